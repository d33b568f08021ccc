package sdclip.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;

/**
 * The local filesystem ({@code file:}), failing where a test says: opening the file named by
 * the system property {@code sdclip.trap.halt} halts the JVM at once (as a kill would, exit
 * 137); opening the file named {@link #failOnce} in a task's first attempt throws (the task
 * fails, and Spark retries it). Put in place of the local filesystem by {@link #register}, or
 * by the same two settings as {@code -Dspark.hadoop.*} properties.
 */
public class TrapFileSystem extends LocalFileSystem {
    /** A file name whose first attempt's open fails, or null. */
    static volatile String failOnce;

    /** How many opens failed. */
    static final AtomicInteger FAILED = new AtomicInteger();

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        String name = f.getName();
        if (name.equals(System.getProperty("sdclip.trap.halt")))
            Runtime.getRuntime().halt(137);
        TaskContext task = TaskContext.get();
        if (name.equals(failOnce) && task != null && task.attemptNumber() == 0) {
            FAILED.incrementAndGet();
            throw new UncheckedIOException(new IOException("injected failure opening " + f));
        }
        return super.open(f, bufferSize);
    }

    /** The JVM options that make a child JVM's Spark use it. */
    static List<String> jvmOptions() {
        return List.of(
                "-Dspark.hadoop.fs.file.impl=" + TrapFileSystem.class.getName(),
                "-Dspark.hadoop.fs.file.impl.disable.cache=true");
    }

    /** Puts it in place of the local filesystem in a Hadoop configuration (uncached: made anew from this one). */
    static void register(Configuration conf) {
        conf.set("fs.file.impl", TrapFileSystem.class.getName());
        conf.setBoolean("fs.file.impl.disable.cache", true);
    }

    /** Puts the local filesystem back. */
    static void unregister(Configuration conf) {
        conf.unset("fs.file.impl");
        conf.unset("fs.file.impl.disable.cache");
    }
}
