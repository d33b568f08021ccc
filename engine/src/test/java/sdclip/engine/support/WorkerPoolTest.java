package sdclip.engine.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void runsEveryTaskExactlyOnceAcrossManyJobs() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int job = 0; job < 2000; job++) {
                int tasks = 1 + job % 37;
                AtomicIntegerArray hits = new AtomicIntegerArray(tasks);
                pool.run(tasks, (t, w) -> {
                    assertTrue(w >= 0 && w < 3);
                    hits.incrementAndGet(t);
                });
                for (int t = 0; t < tasks; t++) assertEquals(1, hits.get(t), "job " + job + " task " + t);
            }
        }
    }

    @Test
    void rethrowsATaskFailureAndStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(
                    IllegalStateException.class,
                    () -> pool.run(100, (t, w) -> {
                        if (t == 57) throw new IllegalStateException("task 57");
                    }));
            assertEquals("task 57", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.run(10, (t, w) -> hits.incrementAndGet(t));
            for (int t = 0; t < 10; t++) assertEquals(1, hits.get(t));
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeJob() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2)) {
            Thread[] callers = new Thread[4];
            AtomicIntegerArray totals = new AtomicIntegerArray(callers.length);
            for (int c = 0; c < callers.length; c++) {
                int id = c;
                callers[c] = new Thread(() -> {
                    for (int i = 0; i < 200; i++) pool.run(50, (t, w) -> totals.incrementAndGet(id));
                });
                callers[c].start();
            }
            for (Thread t : callers) t.join();
            for (int c = 0; c < callers.length; c++) assertEquals(200 * 50, totals.get(c));
        }
    }
}
