package sdclip.cli;

import java.io.PrintWriter;
import java.util.Locale;
import sdclip.model.ProgressListener;

/**
 * A one-line progress bar on stderr (prompts done, rate, time left) for runs that last more
 * than a couple of seconds. Off with {@code --quiet} and when stderr is not a terminal (the
 * launcher says which in {@code SDCLIP_STDERR_TTY}, since the JVM cannot see it).
 */
final class Progress implements ProgressListener {
    private static final long SHOW_AFTER_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private final String unit;
    private boolean shown;

    Progress(PrintWriter err, boolean quiet) { this(err, quiet, "prompts"); }

    /** Counts {@code unit} ("prompts", "images") done. */
    Progress(PrintWriter err, boolean quiet, String unit) {
        this.err = err;
        this.enabled = !quiet && "1".equals(System.getenv("SDCLIP_STDERR_TTY"));
        this.unit = unit;
    }

    @Override
    public synchronized void progress(int done, int total) {
        long elapsed = System.nanoTime() - start;
        if (!enabled || (elapsed < SHOW_AFTER_NANOS && !shown) || total <= 0) return;
        shown = true;
        double seconds = elapsed / 1e9, rate = done / seconds;
        int width = 30, filled = (int) ((long) width * done / total);
        String left = rate > 0 ? String.format(Locale.ROOT, "%.0f s left", (total - done) / rate) : "";
        err.printf(Locale.ROOT, "\r[%s%s] %d/%d %s  %.1f/s  %s   ", "#".repeat(filled), ".".repeat(width - filled), done, total, unit, rate, left);
        if (done >= total) err.println();
        err.flush();
    }
}
