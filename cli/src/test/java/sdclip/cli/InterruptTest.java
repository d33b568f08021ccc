package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C (SIGINT) and SIGTERM at several moments, including in the middle of writing, leave no
 * temporary file or folder behind, for encode, synth and extract: a child JVM runs the CLI, the
 * test waits until its temporary appears, waits a little more, and sends the signal.
 */
class InterruptTest {
    @TempDir Path dir;

    enum Signal { TERM, INT }

    /** Runs the command in {@code out}, signals it {@code delayMs} after its first temporary appears; returns the exit code. */
    int interrupt(Path out, Signal signal, long delayMs, String... args) throws Exception {
        Process p = ChildCli.command(List.of("-Xmx256m"), args).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && temporaries(out).isEmpty() && System.nanoTime() < deadline) Thread.sleep(2);
        Thread.sleep(delayMs);
        if (signal == Signal.TERM) p.destroy();
        else ChildCli.interrupt(p);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops");
        assertEquals(List.of(), temporaries(out), args[0] + " " + signal + " after " + delayMs + " ms leaves no temporary");
        return p.exitValue();
    }

    static List<String> temporaries(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(f -> f.getFileName().toString()).filter(f -> f.startsWith(".")).toList();
        }
    }

    @Test
    void encodeLeavesNothing() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 40_000; i++) prompts.add("a photo of " + i + " astronauts riding horses");
        Path file = dir.resolve("p.txt");
        Files.write(file, prompts);
        Path out = Files.createDirectory(dir.resolve("out"));
        List<Integer> codes = new ArrayList<>();
        String[][] runs = {{"safetensors", "TERM", "0"}, {"safetensors", "INT", "400"}, {"json", "TERM", "300"}, {"jsonl", "INT", "100"}};
        for (String[] r : runs) {
            Path target = out.resolve("e." + r[0]);
            int code = interrupt(out, Signal.valueOf(r[1]), Long.parseLong(r[2]), "encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4",
                    "--tokenizer", CliTest.vocab(), "--quiet", "--prompts", file.toString(), "--tensors", "conditioning", "--output", target.toString());
            codes.add(code);
            if (code != 0) assertFalse(Files.exists(target), "a stopped run leaves no output: " + target);
        }
        assertTrue(codes.stream().anyMatch(c -> c == 143 || c == 130), "at least one run was stopped mid-way: " + codes);
    }

    @Test
    void synthAndExtractLeaveNothing() throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        int term = interrupt(out, Signal.TERM, 300, "synth", "--dtype", "f16", "--output", out.resolve("full.safetensors").toString());
        int intr = interrupt(out, Signal.INT, 50, "synth", "--dtype", "f16", "--output", out.resolve("full.safetensors").toString());
        assertTrue(term == 143 || intr == 130, "a synth was stopped while writing: " + term + ", " + intr);
        interrupt(out, Signal.TERM, 0, "synth", "--dtype", "f16", "--output", out.resolve("full.safetensors").toString()); // before its writer's own temporary
        interrupt(out, Signal.TERM, 0, "extract", "--model", CliTest.ref("models/tiny-sd21.safetensors"), "--heads", "4", "--output", out.resolve("x").toString());
        interrupt(out, Signal.INT, 0, "extract", "--model", CliTest.ref("models/tiny-sdxl.safetensors"), "--encoder", "2", "--heads", "2,3", "--output", out.resolve("y").toString());
    }

    /** Ctrl-C while the progress bar is drawn: the line is ended, so the shell's prompt starts on its own line. */
    @Test
    void ctrlCEndsTheProgressLine() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) prompts.add("a photo of " + i + " astronauts riding horses");
        Path file = Files.write(dir.resolve("p.txt"), prompts);
        ProcessBuilder pb = ChildCli.command(List.of("-Xmx256m"), "encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4",
                "--tokenizer", CliTest.vocab(), "--prompts", file.toString(), "--tensors", "conditioning", "--output", dir.resolve("e.safetensors").toString());
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
        assertTrue(e.endsWith("\n") && e.substring(e.lastIndexOf('\r')).contains(" prompts "), "the bar's line is ended: " + e.substring(Math.max(0, e.length() - 200)));
    }
}
