package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClipJob} as users start it, {@code java -cp ... sdclip.spark.ClipJob}, in child JVMs:
 * the exit statuses and one-line errors; and a job whose JVM dies mid-run (halted as a kill
 * would, while a task reads an input file) rerun with the same arguments: the output then has
 * every row once, equal to an uninterrupted run's.
 */
class ClipJobProcessTest {
    @TempDir
    static Path dir;

    /** Runs ClipJob in a new JVM with this JVM's options and class path; returns [status, stdout, stderr]. */
    static Object[] child(List<String> jvm, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) cmd.add(a);
        // Short runs: C1 only and the serial collector start Spark on less CPU (the suite shares two cores).
        cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ClipJob.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt"), err = Files.createTempFile(dir, "err", ".txt");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM ended");
        // The JVM's own notice of the incubator module (sdclip's fast backend) is not ClipJob's.
        String errors = Files.readString(err, StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        return new Object[] {p.exitValue(), Files.readString(out), errors};
    }

    @Test
    void exitStatusesAndOneLineErrors() throws Exception {
        Object[] help = child(List.of(), "--help");
        assertEquals(0, help[0]);
        assertTrue(((String) help[1]).startsWith("Usage: ClipJob (score | embed-images | embed-texts)"));

        Object[] flag = child(List.of(), "score", "--input", "x", "--output", "y", "--model", "m", "--bogus");
        assertEquals(2, flag[0]);
        assertEquals("ClipJob: unknown option --bogus (see --help)\n", flag[2]);
        assertEquals("", flag[1]);

        Object[] value =
                child(List.of(), "score", "--input", "x", "--output", "y", "--model", "m", "--top-fraction", "1.5");
        assertEquals(2, value[0]);
        assertEquals("ClipJob: --top-fraction 1.5: must be from 0.0 to 1.0 (see --help)\n", value[2]);

        Path missing = dir.resolve("no-such-folder");
        Object[] input = child(
                List.of(),
                "score",
                "--input",
                missing.toString(),
                "--output",
                dir.resolve("o").toString(),
                "--model",
                "m",
                "--master",
                "local[1]");
        assertEquals(1, input[0]);
        assertEquals("ClipJob: " + missing + ": no such file or folder\n", input[2]);

        // A model no task can open fails the job in one line, without the tasks' stack traces.
        Path images = Files.createDirectories(dir.resolve("one-image"));
        Files.copy(Fixtures.ref("images/chelsea.png"), images.resolve("chelsea.png"));
        Path model = dir.resolve("missing.safetensors");
        Object[] job = child(
                List.of(),
                "embed-images",
                "--input",
                images.toString(),
                "--output",
                dir.resolve("o2").toString(),
                "--model",
                model.toString(),
                "--master",
                "local[1]");
        assertEquals(1, job[0]);
        List<String> lines = ((String) job[2]).lines().toList();
        assertEquals("ClipJob: " + model + ": no such file or folder", lines.getLast(), (String) job[2]);
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ")), (String) job[2]);
        assertFalse(Files.exists(dir.resolve("o2")), "a failed job with no part done leaves no output folder");
    }

    @Test
    void aJobKilledMidRunAndRerunHasEveryRowOnce() throws Exception {
        Path images = Fixtures.images(Files.createDirectories(dir.resolve("images")));
        List<String> names;
        try (Stream<Path> s = Files.list(images)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(12, names.size());
        Path killed = dir.resolve("killed"), whole = dir.resolve("whole");
        List<String> common = new ArrayList<>(List.of(
                "embed-images",
                "--input",
                images.toString(),
                "--shard-size",
                "2",
                "--model",
                Fixtures.clip(),
                "--vision-heads",
                "4",
                "--batch-size",
                "1"));
        // One task at a time (local[1]), parts in order: the JVM halts while part 3 reads its first file,
        // after parts 0 to 2 were published.
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--output", killed.toString(), "--master", "local[1]"));
        List<String> jvm = new ArrayList<>(TrapFileSystem.jvmOptions());
        jvm.add("-Dsdclip.trap.halt=" + names.get(6));
        Object[] r = child(jvm, args.toArray(String[]::new));
        assertEquals(137, r[0], () -> "stdout: " + r[1] + "\nstderr: " + r[2]);
        List<String> markers;
        try (Stream<Path> s = Files.list(killed.resolve("_parts"))) {
            markers = s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .toList();
        }
        assertEquals(List.of("part-00000.json", "part-00001.json", "part-00002.json"), markers);
        assertTrue(Files.notExists(killed.resolve("_SUCCESS")));

        SparkSession spark = SparkTests.local2();
        List<String> rerun = new ArrayList<>(common);
        rerun.addAll(List.of("--output", killed.toString()));
        assertEquals(0, ClipJob.run(rerun.toArray(String[]::new), System.out, System.err, spark));
        List<String> clean = new ArrayList<>(common);
        clean.addAll(List.of("--output", whole.toString()));
        assertEquals(0, ClipJob.run(clean.toArray(String[]::new), System.out, System.err, spark));

        Map<String, Row> a = ClipJobTest.rows(killed), b = ClipJobTest.rows(whole);
        assertEquals(12, a.size());
        assertEquals(b.keySet(), a.keySet());
        for (String k : a.keySet()) assertEquals(b.get(k).toString(), a.get(k).toString(), k);
        @SuppressWarnings("unchecked")
        Map<String, Object> s =
                ClipJobTest.JSON.readValue(killed.resolve("_summary.json").toFile(), Map.class);
        assertEquals(6, s.get("parts"));
        assertEquals(3, s.get("parts_run"), "the rerun computed the three missing parts");
        assertEquals(12, s.get("rows"));
    }
}
