package sdclip.engine.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool that runs {@code tasks} numbered tasks on all its threads, the caller included,
 * and returns when every task is done. Tasks are handed out one at a time from a shared
 * counter, so uneven tasks still keep every core busy. One job runs at a time; concurrent
 * callers wait their turn. Each task learns its worker index, so per-thread scratch needs no
 * locking.
 */
public final class WorkerPool implements AutoCloseable {

    /** One task of a job. */
    @FunctionalInterface
    public interface Task {
        void run(int task, int worker);
    }

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger nextTask = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Task task;
    private volatile int taskCount;
    private volatile Thread caller;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] =
                    Thread.ofPlatform().daemon().name("sdclip-worker-" + worker).unstarted(() -> loop(worker));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task(0..tasks-1)} across the pool; rethrows the first failure. */
    public synchronized void run(int tasks, Task body) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (threads == 1 || tasks <= 1) {
            for (int t = 0; t < tasks; t++) body.run(t, 0);
            return;
        }
        task = body;
        taskCount = tasks;
        failure = null;
        caller = Thread.currentThread();
        nextTask.set(0);
        running.set(workers.length);
        generation++;
        for (Thread w : workers) LockSupport.unpark(w);
        work(0);
        for (int spins = 0; running.get() > 0; spins++) {
            if (spins < 2_000) Thread.onSpinWait();
            else LockSupport.park(this);
        }
        task = null;
        Throwable f = failure;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void work(int worker) {
        Task body = task;
        int count = taskCount;
        try {
            for (int t; (t = nextTask.getAndIncrement()) < count; ) body.run(t, worker);
        } catch (Throwable e) {
            if (failure == null) failure = e;
            nextTask.set(count); // stop handing out work
        }
    }

    private void loop(int worker) {
        int seen = 0;
        while (true) {
            for (int spins = 0; generation == seen && !closed; spins++) {
                if (spins < 20_000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            work(worker);
            if (running.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
