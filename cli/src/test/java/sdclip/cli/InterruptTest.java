package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C (SIGINT) and SIGTERM at several moments, including in the middle of writing, leave no
 * temporary file or folder behind, for encode, synth and extract: a child JVM runs the CLI, and
 * the test sends the signal when the run shows it has reached a moment (a {@link Marker}): its
 * first temporary, a progress bar update, a temporary holding so many bytes.
 */
class InterruptTest {
    @TempDir
    Path dir;

    enum Signal {
        TERM,
        INT
    }

    /** A moment of the run, as the run shows it: in the output folder or on its stderr. */
    interface Marker {
        boolean shown(Path out, String stderr) throws IOException;

        /** Its first temporary: the run is about to write. */
        static Marker temporary() {
            return named("its first temporary", (out, err) -> !temporaries(out).isEmpty());
        }

        /** A progress bar update (stderr shown as on a terminal) with at least {@code done} prompts but not all: mid-run. */
        static Marker update(int done) {
            return named("a progress update of " + done + "+ prompts", (out, err) -> {
                Matcher m = BAR.matcher(err);
                while (m.find())
                    if (Integer.parseInt(m.group(1)) >= done && !m.group(1).equals(m.group(2))) return true;
                return false;
            });
        }

        /** A temporary holding at least {@code bytes}: the writer is mid-file. */
        static Marker written(long bytes) {
            return named(bytes + " bytes in a temporary", (out, err) -> {
                try (Stream<Path> s = Files.list(out)) {
                    return s.filter(f -> f.getFileName().toString().startsWith("."))
                            .anyMatch(f -> size(f) >= bytes);
                }
            });
        }

        private static Marker named(String name, Marker m) {
            return new Marker() {
                @Override
                public boolean shown(Path out, String stderr) throws IOException {
                    return m.shown(out, stderr);
                }

                @Override
                public String toString() {
                    return name;
                }
            };
        }
    }

    static final Pattern BAR = Pattern.compile("\\] (\\d+)/(\\d+) prompts");

    /** Runs the command in {@code out}, signals it once {@code marker} shows; returns the exit code. */
    int interrupt(Path out, Signal signal, Marker marker, String... args) throws Exception {
        ProcessBuilder pb = ChildCli.command(List.of("-Xmx256m"), args).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        // The progress bar as the launcher asks for it on a terminal, from the first batch.
        pb.environment().put("SDCLIP_STDERR_TTY", "1");
        pb.environment().put("SDCLIP_PROGRESS_DELAY_MS", "0");
        Process p = pb.start();
        StringBuffer stderr = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), stderr));
        // The deadline bounds a hang only: the marker comes when the run reaches it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!marker.shown(out, stderr.toString())) {
            if (!p.isAlive() || System.nanoTime() > deadline)
                fail(args[0] + " ended or hung before " + marker + ": " + stderr);
            Thread.sleep(2); // polling the folder and stderr; the signal waits for the marker, not for time
        }
        if (signal == Signal.TERM) p.destroy();
        else ChildCli.interrupt(p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops");
        reader.join();
        assertEquals(List.of(), temporaries(out), args[0] + " " + signal + " at " + marker + " leaves no temporary");
        return p.exitValue();
    }

    private static void drain(InputStream in, StringBuffer to) {
        byte[] buf = new byte[4096];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) to.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        } catch (IOException e) {
            to.append("\n(stderr: ").append(e).append(')');
        }
    }

    private static long size(Path f) {
        try {
            return Files.isRegularFile(f) ? Files.size(f) : 0;
        } catch (IOException e) {
            return 0; // renamed or deleted between the listing and now
        }
    }

    static List<String> temporaries(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(f -> f.getFileName().toString())
                    .filter(f -> f.startsWith("."))
                    .toList();
        }
    }

    /** The exit code of a JVM ended by {@code signal}: 128 + its number. */
    static int code(Signal signal) {
        return signal == Signal.TERM ? 143 : 130;
    }

    @Test
    void encodeLeavesNothing() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) prompts.add("a photo of " + i + " astronauts riding horses");
        Path file = dir.resolve("p.txt");
        Files.write(file, prompts);
        Path out = Files.createDirectory(dir.resolve("out"));
        record Stop(String format, Signal signal, Marker marker, boolean midRun) {}
        List<Stop> stops = List.of(
                new Stop("safetensors", Signal.TERM, Marker.temporary(), false),
                new Stop("safetensors", Signal.INT, Marker.update(1), true),
                new Stop("json", Signal.TERM, Marker.update(1000), true),
                new Stop("jsonl", Signal.INT, Marker.update(1), true));
        for (Stop s : stops) {
            Path target = out.resolve("e." + s.format);
            int code = interrupt(
                    out,
                    s.signal,
                    s.marker,
                    "encode",
                    "--model",
                    CliTest.ref("models/tiny-sd15.safetensors"),
                    "--heads",
                    "4",
                    "--tokenizer",
                    CliTest.vocab(),
                    "--prompts",
                    file.toString(),
                    "--tensors",
                    "conditioning",
                    "--output",
                    target.toString());
            if (code != 0) assertFalse(Files.exists(target), "a stopped run leaves no output: " + target);
            // An update short of the total was shown: the run was mid-way when the signal came.
            if (s.midRun) assertEquals(code(s.signal), code, s.signal + " at " + s.marker + " stopped the run mid-way");
        }
    }

    @Test
    void synthAndExtractLeaveNothing() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        String[] synth = {
            "synth",
            "--dtype",
            "f16",
            "--output",
            out.resolve("full.safetensors").toString()
        };
        // The f16 model is 247 MB: at 1 MiB and 64 MiB its writer is mid-file.
        assertEquals(
                143, interrupt(out, Signal.TERM, Marker.written(64 << 20), synth), "a synth stopped while writing");
        assertEquals(130, interrupt(out, Signal.INT, Marker.written(1 << 20), synth), "a synth stopped while writing");
        interrupt(out, Signal.TERM, Marker.temporary(), synth); // at its first temporary, maybe before its writer's own
        String[] quantized = {
            "synth", "--dtype", "q8_0", "--output", out.resolve("full.gguf").toString()
        };
        assertEquals(
                130, interrupt(out, Signal.INT, Marker.written(1 << 20), quantized), "a GGUF synth stopped mid-file");
        interrupt(
                out,
                Signal.TERM,
                Marker.temporary(),
                "extract",
                "--model",
                CliTest.ref("models/tiny-sd21.safetensors"),
                "--heads",
                "4",
                "--output",
                out.resolve("x").toString());
        interrupt(
                out,
                Signal.INT,
                Marker.temporary(),
                "extract",
                "--model",
                CliTest.ref("models/tiny-sdxl.safetensors"),
                "--encoder",
                "2",
                "--heads",
                "2,3",
                "--output",
                out.resolve("y").toString());
    }

    /** Ctrl-C while the progress bar is drawn: the line is ended, so the shell's prompt starts on its own line. */
    @Test
    void ctrlCEndsTheProgressLine() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) prompts.add("a photo of " + i + " astronauts riding horses");
        Path file = Files.write(dir.resolve("p.txt"), prompts);
        ProcessBuilder pb = ChildCli.command(
                List.of("-Xmx256m"),
                "encode",
                "--model",
                CliTest.ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--prompts",
                file.toString(),
                "--tensors",
                "conditioning",
                "--output",
                dir.resolve("e.safetensors").toString());
        pb.environment().put("SDCLIP_STDERR_TTY", "1"); // as the launcher says for a terminal
        pb.environment().put("SDCLIP_PROGRESS_DELAY_MS", "0");
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuffer err = new StringBuffer();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (var in = p.getErrorStream()) {
                byte[] buf = new byte[4096];
                for (int n; (n = in.read(buf)) > 0; ) err.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the process is gone
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && !err.toString().contains("\r[") && System.nanoTime() < deadline) Thread.sleep(5);
        ChildCli.interrupt(p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops");
        reader.join(10_000);
        assertEquals(130, p.exitValue(), "stopped by Ctrl-C, mid-way: " + err);
        String e = err.toString();
        assertTrue(e.contains("\r["), "a bar was drawn: " + e);
        assertTrue(
                e.endsWith("\n") && e.substring(e.lastIndexOf('\r')).contains(" prompts "),
                "the bar's line is ended: " + e.substring(Math.max(0, e.length() - 200)));
    }

    /**
     * Ctrl-C before any bar was drawn or temporary made: the shutdown path ends the (absent)
     * progress line silently and refuses a new temporary with an IOException, which the CLI, seeing
     * the JVM stop, does not report.
     */
    @Test
    void stoppingBeforeAnyBarOrTemporaryIsQuiet() throws Exception {
        Process p = ChildCli.java(EndLineInShutdown.class.getName(), List.of(), dir.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running");
        assertEquals(0, p.exitValue(), out);
        assertEquals("refused\n", out);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "no temporary left");
        }
    }
}
