package sdclip.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.function.LongSupplier;

import org.junit.jupiter.api.Test;

/** The progress bar's time left, on a fake clock: the recent rate, not the average since start-up. */
class ProgressTest {
    static final long S = 1_000_000_000L;

    /** A clock the test moves. */
    static final class FakeClock implements LongSupplier {
        long now = 1_000 * S;

        @Override
        public long getAsLong() {
            return now;
        }

        void advance(double seconds) {
            now += Math.round(seconds * S);
        }
    }

    @Test
    void warmUpDoesNotInflateTheEstimate() {
        // A typical start: 2000 prompts, a 5 s first batch (JIT warm-up, tokenizer), then 20 prompts/s.
        // The first batch is not the steady rate, so it must not decide the time left.
        FakeClock clock = new FakeClock();
        Progress.Rate rate = new Progress.Rate(clock.now);
        clock.advance(5);
        rate.update(clock.now, 8);
        assertEquals(1.6, rate.perSecond(), 1e-9, "one update: the average is all there is");
        assertTrue(Double.isNaN(rate.secondsLeft(2000)), "but it is warm-up, so no time left is claimed (not 1245 s)");
        for (int done = 16; done <= 64; done += 8) {
            clock.advance(0.4);
            rate.update(clock.now, done);
        }
        assertEquals(20, rate.perSecond(), 1e-9);
        assertEquals((2000 - 64) / 20.0, rate.secondsLeft(2000), 1e-6, "not (2000 - 64) / (64 / 7 s) = 212 s");
    }

    @Test
    void followsAChangeOfSpeedWithinSeconds() {
        // SDXL: encoder 1 at 40 steps/s, then the wider encoder 2 at 10 steps/s.
        FakeClock clock = new FakeClock();
        Progress.Rate rate = new Progress.Rate(clock.now);
        int done = 0;
        for (int i = 0; i < 50; i++) {
            clock.advance(0.2);
            rate.update(clock.now, done += 8);
        }
        assertEquals(40, rate.perSecond(), 1e-6);
        for (int i = 0; i < 20; i++) { // 16 s at the new speed
            clock.advance(0.8);
            rate.update(clock.now, done += 8);
        }
        assertEquals(10, rate.perSecond(), 10 * 0.05, "within 5% of the new speed after 16 s (tau 3 s)");
        assertTrue(rate.perSecond() > 10, "still converging from above");
        double sinceStart = done / (50 * 0.2 + 20 * 0.8);
        assertTrue(
                Math.abs(rate.perSecond() - 10) < Math.abs(sinceStart - 10) / 5,
                "much closer than the average since start, " + sinceStart);
    }

    @Test
    void sameInstantUpdatesAreCountedInTheNextInterval() {
        FakeClock clock = new FakeClock();
        Progress.Rate rate = new Progress.Rate(clock.now);
        clock.advance(1);
        rate.update(clock.now, 10);
        clock.advance(1);
        rate.update(clock.now, 20);
        rate.update(clock.now, 30); // no time passed: no infinite rate
        assertEquals(10, rate.perSecond(), 1e-9);
        clock.advance(1);
        rate.update(clock.now, 40);
        assertEquals(10 + (1 - Math.exp(-1 / Progress.Rate.TAU_SECONDS)) * (20 - 10), rate.perSecond(), 1e-9);
    }

    @Test
    void barAppearsAfterTheDelayAndRedrawsAtMostTenTimesASecond() {
        FakeClock clock = new FakeClock();
        StringWriter sink = new StringWriter();
        Progress p = new Progress(new PrintWriter(sink), true, "prompts", clock, 2 * S);
        for (int done = 10; done <= 100; done += 10) {
            clock.advance(0.5);
            p.progress(done, 100);
        }
        List<String> draws = List.of(sink.toString().split("\r", -1))
                .subList(1, sink.toString().split("\r", -1).length);
        // Updates at 0.5 s .. 5 s: the first at 2 s (40/100), then every one (0.5 s apart), the last ends the line.
        assertEquals(7, draws.size(), sink.toString());
        assertTrue(
                draws.getFirst().startsWith("[############..................] 40/100 prompts  20.0/s  3 s left"),
                draws.getFirst());
        assertTrue(
                draws.getLast().startsWith("[##############################] 100/100 prompts  20.0/s  done"),
                draws.getLast());
        assertTrue(draws.getLast().endsWith("\n"));
        assertEquals(
                "[..............................] 8/2000 prompts  1.6/s  ",
                Progress.line(8, 2000, "prompts", 1.6, Double.NaN),
                "no time left claimed yet");
        StringWriter fast = new StringWriter();
        Progress q = new Progress(new PrintWriter(fast), true, "prompts", clock, 0);
        for (int done = 1; done <= 50; done++) {
            clock.advance(0.01);
            q.progress(done, 50);
        }
        long redraws = fast.toString().chars().filter(c -> c == '\r').count();
        assertTrue(redraws >= 5 && redraws <= 7, "0.5 s of updates: about 5 redraws plus the last, got " + redraws);
    }

    @Test
    void quietOrShortRunsShowNothing() {
        FakeClock clock = new FakeClock();
        StringWriter sink = new StringWriter();
        Progress off = new Progress(new PrintWriter(sink), false, "prompts", clock, 0);
        clock.advance(5);
        off.progress(1, 2);
        off.progress(2, 2);
        Progress shortRun = new Progress(new PrintWriter(sink), true, "prompts", clock, 2 * S);
        clock.advance(1);
        shortRun.progress(2, 2);
        assertEquals("", sink.toString());
    }

    @Test
    void timeLeftStaysHiddenUntilTheJitHasWarmedUp() {
        // 2000 prompts in batches of 8: a 5 s first batch, then each faster than the last until 0.4 s (20 prompts/s).
        FakeClock clock = new FakeClock();
        Progress.Rate rate = new Progress.Rate(clock.now);
        double[] warmUp = {5, 2, 1.2, 0.8, 0.6, 0.5, 0.45, 0.42};
        int done = 0, firstShown = -1;
        for (int batch = 0; done < 2000; batch++) {
            clock.advance(batch < warmUp.length ? warmUp[batch] : 0.4);
            rate.update(clock.now, done += 8);
            double left = rate.secondsLeft(2000), truth = (2000 - done) / 20.0;
            if (Double.isNaN(left)) {
                assertEquals(-1, firstShown, "once shown, the estimate stays (batch " + batch + ")");
                continue;
            }
            if (firstShown < 0) firstShown = batch;
            assertTrue(
                    left <= 1.25 * truth, "batch " + batch + ": " + left + " s left claimed, " + truth + " s in truth");
        }
        assertTrue(
                firstShown > warmUp.length && firstShown < 30,
                "shown once the speed settled, within a few seconds: batch " + firstShown);
    }

    @Test
    void aRunStoppedMidwayEndsItsLine() {
        FakeClock clock = new FakeClock();
        StringWriter sink = new StringWriter();
        Progress p = new Progress(new PrintWriter(sink), true, "prompts", clock, 0);
        clock.advance(1);
        p.progress(8, 100);
        assertTrue(sink.toString().startsWith("\r[##") && !sink.toString().endsWith("\n"), sink.toString());
        Progress.endOpenLine(); // what the shutdown hook does on Ctrl-C, and Main before an error
        String ended = sink.toString();
        assertTrue(ended.endsWith("   \n"), ended);
        clock.advance(1);
        p.progress(16, 100);
        Progress.endOpenLine();
        assertEquals(ended, sink.toString(), "nothing drawn after the line was ended, and one newline only");
    }
}
