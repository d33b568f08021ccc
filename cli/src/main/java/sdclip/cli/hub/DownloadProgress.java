package sdclip.cli.hub;

import java.io.PrintWriter;
import java.util.Locale;

import sdclip.cli.Environment;

/**
 * A one-line byte progress bar on stderr for {@code sdclip pull} (bytes, rate, file). Off with
 * {@code --quiet} and when stderr is not a terminal ({@code SDCLIP_STDERR_TTY}, as for
 * {@code Progress}).
 */
public final class DownloadProgress {
    private static final long EVERY_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private String file = "";
    private long total, start, last;
    private boolean shown;

    public DownloadProgress(PrintWriter err, boolean quiet) {
        this.err = err;
        this.enabled = !quiet && "1".equals(Environment.get().get("SDCLIP_STDERR_TTY"));
    }

    /** A new file of {@code total} bytes (0 when unknown), starting at {@code done}. */
    void begin(String file, long done, long total) {
        this.file = file;
        this.total = total;
        this.start = System.nanoTime();
        this.last = 0;
        this.shown = false;
        update(done, done);
    }

    /** {@code done} bytes of the file are on disk, {@code resumedAt} of them from an earlier try. */
    void update(long done, long resumedAt) {
        long now = System.nanoTime();
        if (!enabled || now - last < EVERY_NANOS) return;
        last = now;
        shown = true;
        double seconds = Math.max(1e-9, (now - start) / 1e9), rate = (done - resumedAt) / seconds;
        int width = 30, filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
        err.printf(
                Locale.ROOT,
                "\r[%s%s] %s / %s  %s/s  %s   ",
                "#".repeat(filled),
                ".".repeat(width - filled),
                size(done),
                total > 0 ? size(total) : "?",
                size((long) rate),
                file);
        err.flush();
    }

    /** Ends the file's line, if one was drawn. */
    void end() {
        if (shown) {
            err.println();
            err.flush();
        }
    }

    /** Bytes as B, KiB, MiB or GiB with one decimal. */
    public static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
