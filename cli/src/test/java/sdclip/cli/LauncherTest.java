package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;

/**
 * The {@code ./sdclip} launcher itself: stdout and exit codes untouched, the JVM's incubator
 * notice gone, and, in a pseudo-terminal (util-linux {@code script}), the progress bar's
 * {@code \r} updates arriving while the job runs rather than all at once at the end. The
 * launcher runs this build's classes ({@code SDCLIP_CLASSPATH}), not a jar that may be stale.
 */
class LauncherTest {
    @TempDir
    Path dir;

    static Path launcher() {
        Path p = Path.of("").toAbsolutePath().getParent().resolve("sdclip");
        Assumptions.assumeTrue(Files.isExecutable(p), "no launcher at " + p);
        return p;
    }

    static ProcessBuilder builder(List<String> command) {
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.put("SDCLIP_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("SDCLIP_TOKENIZER", CliTest.vocab());
        env.remove("SDCLIP_STDERR_TTY");
        return pb;
    }

    /** Stdout, stderr and exit code of the launcher run without a terminal. */
    static CliTest.Run plain(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher().toString()));
        command.addAll(List.of(args));
        Process p = builder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        var err = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "launcher finished");
        return new CliTest.Run(p.exitValue(), out, err.get());
    }

    @Test
    void standardInputReachesJava() throws Exception {
        // java runs in the background behind the stderr relay; it must still read the launcher's
        // standard input (--prompts -), not the /dev/null a background command gets by default.
        Process p = builder(List.of(launcher().toString(), "tokenize", "--json", "--prompts", "-"))
                .start();
        try (var in = p.getOutputStream()) {
            in.write("a cat\na dog\n".getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(
                List.of("a cat", "a dog"),
                out.strip()
                        .lines()
                        .map(l -> (String) Json.parseObject(l).get("text"))
                        .toList());
    }

    @Test
    void aSymbolicLinkToTheLauncherWorks(@TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("sdclip"), launcher());
        Process p = builder(List.of(link.toString(), "--version"))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        assertTrue(out.startsWith("sdclip "), out);
    }

    @Test
    void anInterruptToTheLauncherEndsItWith130AndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        assertEquals(130, stopMidWrite(dir, "-INT"));
    }

    @Test
    void aSignalToTheLauncherReachesJavaAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        assertEquals(143, stopMidWrite(dir, "-TERM"));
    }

    /** Starts an encode through the launcher, sends the launcher's pid {@code signal} mid-write, checks nothing is left; returns the exit code. */
    private static int stopMidWrite(Path dir, String signal) throws Exception {
        // A supervisor stops the pid it started, the launcher's: java must get the signal too,
        // remove its temporary file, and be gone, not finish the job behind the caller's back.
        Path prompts = dir.resolve("p.txt");
        Files.write(
                prompts,
                IntStream.range(0, 50_000)
                        .mapToObj(i -> "a photo of a cat number " + i)
                        .toList());
        Path out = dir.resolve("out.safetensors");
        List<String> command = List.of(
                launcher().toString(),
                "encode",
                "--quiet",
                "--model",
                CliTest.ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--output",
                out.toString(),
                "--prompts",
                prompts.toString());
        Process p = builder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!hasTemporary(dir) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(hasTemporary(dir), "the run started writing");
        List<ProcessHandle> children = p.toHandle().descendants().toList();
        Process kill = new ProcessBuilder("kill", signal, Long.toString(p.pid()))
                .inheritIO()
                .start(); // to the launcher's pid only
        assertEquals(0, kill.waitFor());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher exited");
        for (ProcessHandle c : children) c.onExit().get(30, TimeUnit.SECONDS);
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of("p.txt"),
                    files.map(f -> f.getFileName().toString()).toList(),
                    "no output and no temporary file");
        }
        return p.exitValue();
    }

    private static boolean hasTemporary(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        }
    }

    @Test
    void stdoutAndExitCodesPassThroughAndTheNoticeIsGone() throws Exception {
        CliTest.Run ok = plain("tokenize", "--json", "a dog");
        assertEquals(0, ok.code(), ok.err());
        assertEquals(
                "{\"text\": \"a dog\", \"ids\": [49406, 320, 1929, 49407], \"tokens\": [\"<|startoftext|>\", \"a</w>\", \"dog</w>\", \"<|endoftext|>\"]}\n",
                ok.out());
        assertEquals("", ok.err(), "no incubator notice, nothing else");
        CliTest.Run usage =
                plain("encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--threads", "-3", "a dog");
        assertEquals(2, usage.code());
        assertEquals("", usage.out());
        assertTrue(
                usage.err().startsWith("sdclip: --threads -3")
                        && usage.err().strip().lines().count() == 1,
                usage.err());
        CliTest.Run missing = plain("inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code());
        assertFalse(missing.err().contains("WARNING"), missing.err());
    }

    @Test
    void progressBarIsLiveInATerminal() throws Exception {
        Assumptions.assumeTrue(
                new File("/usr/bin/script").canExecute() || "true".equalsIgnoreCase(System.getenv("CI")),
                "util-linux script is not installed");
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(
                prompts,
                IntStream.range(0, 2000)
                        .mapToObj(i -> "a photo of thing number " + i + " on a table")
                        .collect(Collectors.joining("\n")));
        Path out = dir.resolve("c.safetensors");
        String command =
                quote(launcher().toString()) + " encode --model " + quote(CliTest.ref("models/tiny-sd15.safetensors"))
                        + " --heads 4 --prompts " + quote(prompts.toString()) + " --output " + quote(out.toString());
        ProcessBuilder pb = builder(List.of("script", "-q", "-e", "-c", command, "/dev/null"))
                .redirectErrorStream(true);
        pb.environment().put("SDCLIP_PROGRESS_DELAY_MS", "0"); // show from the first batch; the job is short
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        // Each read of the terminal, in order: what the launcher had passed on by then.
        List<String> reads = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                reads.add(new String(buf, 0, n, StandardCharsets.UTF_8));
                all.write(buf, 0, n);
            }
        }
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        String text = all.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertFalse(text.contains("WARNING: Using incubator modules"), text);
        assertTrue(text.contains("wrote " + out), text);

        // The count each bar update shows, and the read it came in.
        Pattern bar = Pattern.compile("\\] (\\d+)/2000 prompts");
        List<int[]> updates = new ArrayList<>();
        for (int r = 0; r < reads.size(); r++) {
            Matcher m = bar.matcher(reads.get(r));
            while (m.find()) updates.add(new int[] {r, Integer.parseInt(m.group(1))});
        }
        assertTrue(updates.size() >= 3, "several updates: " + text);
        for (int i = 1; i < updates.size(); i++)
            assertTrue(updates.get(i)[1] > updates.get(i - 1)[1], "counts increase: " + text);
        assertEquals(2000, updates.getLast()[1]);
        // Java writes the last update, with its newline, only when the job is done. A relay that held
        // the \r updates back until a newline would pass them all on with it, in one burst; here an
        // earlier update has reached the terminal in a read of its own, before the last one.
        int lastRead = updates.getLast()[0];
        assertTrue(
                updates.getFirst()[0] < lastRead,
                "an update arrived before the job was done, not all at the end: "
                        + updates.stream()
                                .map(u -> "read " + u[0] + ": " + u[1])
                                .toList());
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
