package sdclip.cli.hub;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP body that gives up when the server sends nothing for too long: a read that has waited
 * longer than the limit gets its stream closed under it, and fails. {@code java.net.http}'s
 * request timeout ends with the response headers, so without this a server that stalls in the
 * middle of a body would hang a download for good. Time the caller spends between reads (writing
 * to disk) does not count.
 */
final class StallGuard extends FilterInputStream {
    /** {@link #waitingSince} once the watchdog has claimed a read that waited too long. */
    private static final long CLAIMED = Long.MIN_VALUE;

    private final long limitNanos;
    /** When the read in progress began, 0 when none is waiting, or {@link #CLAIMED}. */
    private final AtomicLong waitingSince = new AtomicLong();

    private volatile boolean stalled;
    private final Thread watchdog;

    StallGuard(InputStream body, Duration limit) {
        super(body);
        this.limitNanos = limit.toNanos();
        long tick = Math.max(10, Math.min(1000, limit.toMillis() / 4));
        this.watchdog =
                Thread.ofPlatform().daemon().name("sdclip-download-watchdog").start(() -> watch(tick));
    }

    /** {@return whether the stream was closed because the server went quiet} */
    boolean stalled() {
        return stalled;
    }

    private void watch(long tickMillis) {
        try {
            while (true) {
                Thread.sleep(tickMillis);
                long since = waitingSince.get();
                // Claimed only if that same read is still waiting: one that returned meanwhile
                // has reset the value, and the swap fails.
                if (since != 0
                        && since != CLAIMED
                        && System.nanoTime() - since > limitNanos
                        && waitingSince.compareAndSet(since, CLAIMED)) {
                    stalled = true;
                    in.close(); // wakes the waiting read with an IOException
                    return;
                }
            }
        } catch (InterruptedException | IOException e) {
            // closed by the reader, or the close failed: either way nothing is left to watch
        }
    }

    @Override
    public int read() throws IOException {
        long start = begin();
        try {
            return in.read();
        } finally {
            waitingSince.compareAndSet(start, 0);
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        long start = begin();
        try {
            return in.read(b, off, len);
        } finally {
            waitingSince.compareAndSet(start, 0);
        }
    }

    /** Marks a read as waiting from now; after a stall the stream is closed and reads fail. */
    private long begin() throws IOException {
        if (stalled) throw new IOException("closed after the server went quiet");
        long start = System.nanoTime();
        if (start == 0 || start == CLAIMED) start++;
        waitingSince.set(start);
        return start;
    }

    @Override
    public void close() throws IOException {
        watchdog.interrupt();
        in.close();
    }
}
