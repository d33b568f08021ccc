package sdclip.cli.output;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

import sdclip.model.ProgressListener;

/**
 * A one-line progress bar on stderr (prompts done, recent rate, time left) for runs that last
 * more than a couple of seconds ({@code SDCLIP_PROGRESS_DELAY_MS}, default 2000). Off with
 * {@code --quiet} and when stderr is not a terminal (the launcher says which in
 * {@code SDCLIP_STDERR_TTY}, since the JVM cannot see it). Redrawn at most ten times a second.
 * A run that stops before the end (Ctrl-C, SIGTERM, an error) still ends the line, so the shell's
 * prompt or the error starts on a line of its own: see {@link #endOpenLine}.
 */
public final class Progress implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean enabled;
    private final String unit;
    private final LongSupplier clock;
    private final long start, showAfter;
    private final Rate rate;
    private long drawn;
    private boolean shown, ended;

    /** The bar whose line is drawn but not ended yet, if any. */
    private static Progress open;
    /** Whether the hook that ends an open line on Ctrl-C or SIGTERM is registered: with the first bar drawn. */
    private static boolean hooked;

    public Progress(PrintWriter err, boolean quiet) {
        this(err, quiet, "prompts");
    }

    /** Counts {@code unit} ("prompts", "images") done. */
    public Progress(PrintWriter err, boolean quiet, String unit) {
        this(
                err,
                !quiet && "1".equals(System.getenv("SDCLIP_STDERR_TTY")),
                unit,
                System::nanoTime,
                delayNanos(System.getenv("SDCLIP_PROGRESS_DELAY_MS")));
    }

    Progress(PrintWriter err, boolean enabled, String unit, LongSupplier clock, long showAfterNanos) {
        this.err = err;
        this.unit = unit;
        this.enabled = enabled;
        this.clock = clock;
        this.start = clock.getAsLong();
        this.showAfter = showAfterNanos;
        this.rate = new Rate(start);
    }

    static long delayNanos(String millis) {
        try {
            return millis == null ? 2_000_000_000L : Math.max(0, Long.parseLong(millis.strip())) * 1_000_000L;
        } catch (NumberFormatException e) {
            return 2_000_000_000L;
        }
    }

    @Override
    public synchronized void progress(int done, int total) {
        long now = clock.getAsLong();
        rate.update(now, done);
        boolean last = done >= total;
        if (!enabled || total <= 0 || ended) return;
        if (shown ? !last && now - drawn < REDRAW_NANOS : now - start < showAfter) return;
        if (!shown) opened(this);
        shown = true;
        drawn = now;
        err.print("\r" + line(done, total, unit, rate.perSecond(), rate.secondsLeft(total)) + "   ");
        if (last) endLine();
        err.flush();
    }

    private static synchronized void opened(Progress p) {
        open = p;
        if (hooked) return;
        hooked = true;
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(Progress::endOpenLine, "sdclip-progress-newline"));
        } catch (IllegalStateException shuttingDown) {
            // Ctrl-C came first: the JVM is already stopping, and whoever stops it ends the line.
        }
    }

    /**
     * Ends the line of a bar still drawn (a newline), and draws no more of it: what the shutdown
     * hook does on Ctrl-C or SIGTERM, and {@code Main} before it prints an error.
     */
    public static void endOpenLine() {
        Progress p;
        synchronized (Progress.class) {
            p = open;
            open = null;
        }
        if (p != null) p.endLine();
    }

    private synchronized void endLine() {
        if (ended) return;
        ended = true;
        err.println();
        err.flush();
        synchronized (Progress.class) {
            if (open == this) open = null;
        }
    }

    /** {@code [#####.....] 120/2000 prompts  18.5/s  102 s left}. */
    static String line(int done, int total, String unit, double perSecond, double secondsLeft) {
        int width = 30, filled = (int) ((long) width * Math.min(done, total) / total);
        String left = done >= total
                ? "done"
                : Double.isFinite(secondsLeft) ? String.format(Locale.ROOT, "%.0f s left", secondsLeft) : "";
        String speed = Double.isFinite(perSecond) ? String.format(Locale.ROOT, "%.1f/s", perSecond) : "";
        return String.format(
                Locale.ROOT,
                "[%s%s] %d/%d %s  %s  %s",
                "#".repeat(filled),
                ".".repeat(width - filled),
                done,
                total,
                unit,
                speed,
                left);
    }

    /**
     * The recent rate: an exponentially weighted average of the rate between updates, each
     * interval weighted by its length ({@code 1 - exp(-dt / tau)}, tau 3 s), so a change of
     * speed (the JIT warming up, SDXL's wider second encoder) shows within seconds. The interval
     * up to the first update (warm-up: JIT, tokenizer) seeds nothing once a second update
     * exists; until then the rate is the average since the start. No time left is claimed until
     * the rate is stable: while the JIT warms up, each batch is faster than the last and the
     * average lags behind, so an estimate then would overshoot several times over. Stable means
     * {@link #STABLE_INTERVALS} intervals in a row, over {@link #STABLE_SECONDS} at least, each
     * within {@link #AGREEMENT} of the average; once stable, the estimate stays shown.
     */
    static final class Rate {
        static final double TAU_SECONDS = 3;
        static final int STABLE_INTERVALS = 3;
        static final double STABLE_SECONDS = 1, AGREEMENT = 0.2;

        private long lastTime;
        private int lastDone, updates, agreeing;
        private double perSecond = Double.NaN, agreeingSeconds;
        private boolean stable;

        Rate(long startNanos) {
            this.lastTime = startNanos;
        }

        void update(long now, int done) {
            double dt = (now - lastTime) / 1e9;
            if (updates == 0) {
                perSecond = dt > 0 ? done / dt : Double.NaN;
            } else if (dt > 0) {
                double recent = (done - lastDone) / dt;
                perSecond =
                        updates == 1 ? recent : perSecond + (1 - Math.exp(-dt / TAU_SECONDS)) * (recent - perSecond);
                settle(recent, dt);
            } else {
                return; // same instant: keep the old reference point, the next interval includes these steps
            }
            updates++;
            lastTime = now;
            lastDone = done;
        }

        /** Counts the intervals in a row whose rate agrees with the average. */
        private void settle(double recent, double dt) {
            if (Math.abs(recent - perSecond) <= AGREEMENT * perSecond) {
                agreeing++;
                agreeingSeconds += dt;
            } else {
                agreeing = 0;
                agreeingSeconds = 0;
            }
            if (agreeing >= STABLE_INTERVALS && agreeingSeconds >= STABLE_SECONDS) stable = true;
        }

        /** Steps per second lately; NaN before the first update. */
        double perSecond() {
            return perSecond;
        }

        /** Seconds until {@code total} at the recent rate; NaN until the rate is stable. */
        double secondsLeft(int total) {
            return stable && perSecond > 0 ? (total - lastDone) / perSecond : Double.NaN;
        }
    }
}
