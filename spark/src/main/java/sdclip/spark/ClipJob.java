package sdclip.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * CLIP scores and embeddings of a dataset, as a Spark application:
 * {@code spark-submit --class sdclip.spark.ClipJob sdclip-spark.jar score --model M --input I --output O},
 * or {@code java -cp ... sdclip.spark.ClipJob ... --master local[N]}. Inputs are a folder of
 * images with sidecar captions, webdataset tar shards, or parquet tables; outputs are parquet
 * parts or clip-retrieval's layout, with a summary. A run killed part way and rerun with the
 * same arguments computes only the parts that are missing; {@code --help} says the rest.
 *
 * <p>Exit status: 0 done, 1 a failure (one line on standard error naming the file and the
 * problem), 2 a usage error.
 */
public final class ClipJob {
    private ClipJob() {}

    /**
     * Runs the job and exits with its status.
     *
     * @param args the command line ({@code --help} lists it)
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, null));
    }

    /**
     * Runs the job on {@code spark}, or on a session of its own (stopped at the end) when null.
     *
     * @return the exit status
     */
    static int run(String[] args, PrintStream out, PrintStream err, SparkSession spark) {
        JobOptions o;
        try {
            o = JobOptions.parse(args);
        } catch (JobOptions.UsageException e) {
            err.println("ClipJob: " + e.getMessage() + " (see --help)");
            return 2;
        }
        if (o == null) {
            out.print(JobOptions.HELP);
            return 0;
        }
        boolean own = spark == null;
        try {
            checkLocalInputs(o);
            if (own) {
                SparkConf conf = new SparkConf();
                if (o.master() == null && !conf.contains("spark.master")) {
                    err.println("ClipJob: no Spark master: give --master local[N] (or run through spark-submit)"
                            + " (see --help)");
                    return 2;
                }
                SparkSession.Builder b = SparkSession.builder().appName("sdclip ClipJob");
                if (o.master() != null) b.master(o.master());
                if (!o.verbose() && !conf.contains("spark.log.level")) b.config("spark.log.level", "WARN");
                spark = b.getOrCreate();
                if (!o.verbose()) quietTaskFailures();
            }
            JobRun.Result r = new JobRun(o, spark).run();
            print(out, r);
            return 0;
        } catch (Exception | OutOfMemoryError e) {
            err.println("ClipJob: " + describe(e));
            if (o.verbose()) e.printStackTrace(err);
            return 1;
        } finally {
            if (own && spark != null) spark.stop();
        }
    }

    /**
     * Without --verbose, a failed task is told once, in ClipJob's line: Spark's executor and
     * scheduler would log its stack trace on this JVM's standard error first (in local mode).
     */
    private static void quietTaskFailures() {
        for (String logger : List.of(
                "org.apache.spark.executor.Executor",
                "org.apache.spark.scheduler.TaskSetManager",
                "org.apache.spark.util.Utils")) Configurator.setLevel(logger, Level.OFF);
    }

    /**
     * Refuses, before Spark starts, a local input that is not there (the common mistake, told
     * without a cluster's start-up). Globs and other filesystems are left to the run.
     */
    private static void checkLocalInputs(JobOptions o) throws IOException {
        for (String input : o.inputs()) {
            for (String one : JobInputs.expandBraces(input)) {
                if (one.matches(".*[*?\\[{].*")) continue;
                Path p;
                if (one.startsWith("file:")) p = Path.of(URI.create(one));
                else if (one.matches("^[A-Za-z][A-Za-z0-9+.-]+:/.*")) continue;
                else p = Path.of(one);
                if (!Files.exists(p)) throw new FileNotFoundException(one + ": no such file or folder");
            }
        }
    }

    /** One line for a failure: the first cause that says what went wrong (a task's own, under Spark's wrapping). */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (isSpark(t) || t.getMessage() == null)) t = t.getCause();
        String m = t.getMessage();
        if (m == null || m.isBlank()) return t.getClass().getSimpleName();
        String first = m.lines().findFirst().orElse(m).strip();
        if (t instanceof OutOfMemoryError)
            return "out of memory (" + first
                    + "); give the driver or executors more (--driver-memory, --executor-memory)";
        return first;
    }

    private static boolean isSpark(Throwable t) {
        String n = t.getClass().getName();
        return n.startsWith("org.apache.spark.") || n.startsWith("java.util.concurrent.");
    }

    /** The summary, a few lines: what ran, the rows, the errors by reason, the cosines. */
    private static void print(PrintStream out, JobRun.Result r) {
        Map<String, Object> s = r.summary();
        out.printf(
                Locale.ROOT,
                "%s: %d parts, %d computed by this run, in %s%n",
                s.get("work"),
                r.parts(),
                r.ran(),
                s.get("output"));
        out.printf(Locale.ROOT, "rows %s, written %s, errors %s%n", s.get("rows"), s.get("written"), s.get("errors"));
        @SuppressWarnings("unchecked") // built by PartStats.toJson
        Map<String, Object> reasons = (Map<String, Object>) s.get("errors_by_reason");
        List<Map.Entry<String, Object>> sorted = new ArrayList<>(reasons.entrySet());
        sorted.sort((a, b) -> Long.compare(((Number) b.getValue()).longValue(), ((Number) a.getValue()).longValue()));
        for (Map.Entry<String, Object> e : sorted.subList(0, Math.min(10, sorted.size())))
            out.printf(Locale.ROOT, "  %6s  %s%n", e.getValue(), e.getKey());
        if (sorted.size() > 10) out.printf(Locale.ROOT, "  ... %d more reasons in _summary.json%n", sorted.size() - 10);
        if (s.containsKey("cosine_mean")) {
            out.printf(
                    Locale.ROOT,
                    "cosine mean %.4f (min %.4f, max %.4f) over %s scored rows; CLIPScore mean %.4f%n",
                    (Double) s.get("cosine_mean"),
                    (Double) s.get("cosine_min"),
                    (Double) s.get("cosine_max"),
                    s.get("scored"),
                    (Double) s.get("clip_score_mean"));
            @SuppressWarnings("unchecked") // built by PartStats.toJson
            Map<String, Object> h = (Map<String, Object>) s.get("cosine_histogram");
            long most = 1;
            for (Object v : h.values()) most = Math.max(most, ((Number) v).longValue());
            for (Map.Entry<String, Object> e : h.entrySet()) {
                long n = ((Number) e.getValue()).longValue();
                out.printf(Locale.ROOT, "  %s %6d %s%n", e.getKey(), n, "#".repeat((int) Math.max(1, 40 * n / most)));
            }
        }
        if (s.containsKey("top_fraction_kept"))
            out.printf(
                    Locale.ROOT,
                    "top fraction %s: %s rows kept%s%n",
                    s.get("top_fraction"),
                    s.get("top_fraction_kept"),
                    s.containsKey("top_fraction_cosine")
                            ? String.format(
                                    Locale.ROOT, ", cosine at least %.6f", (Double) s.get("top_fraction_cosine"))
                            : "");
        out.println("summary: " + s.get("output") + "/_summary.json");
    }
}
