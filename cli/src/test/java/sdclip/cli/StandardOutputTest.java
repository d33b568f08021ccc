package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.output.StandardOutput;

/**
 * A failed write to standard output (a full disk, a reader that went away) is one error line and
 * exit 1, and a streaming output stops at the batch where it happened.
 */
class StandardOutputTest {
    @TempDir
    Path dir;

    /** Refuses every write as a full disk does, counting the bytes it was offered. */
    static final class FullDisk extends OutputStream {
        long offered;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            offered += len;
            throw new IOException("No space left on device");
        }
    }

    static CliTest.Run run(PrintWriter out, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(args, out, new PrintWriter(err, true));
        return new CliTest.Run(code, "", err.toString());
    }

    static String sd15() {
        return CliTest.ref("models/tiny-sd15.safetensors");
    }

    @Test
    void tokenizeToAFailingPrintWriterExitsOne() {
        CliTest.Run r =
                run(new PrintWriter(new FullDisk(), true), "tokenize", "--tokenizer", CliTest.vocab(), "--json", "a");
        assertEquals(1, r.code(), r.err());
        assertEquals("sdclip: cannot write to standard output (write error)\n", r.err());
    }

    @Test
    void encodeSummaryAndJsonNameTheSystemsReason() {
        for (List<String> output : List.of(List.<String>of(), List.of("--output", "-", "--format", "json"))) {
            List<String> args = new ArrayList<>(
                    List.of("encode", "--model", sd15(), "--heads", "4", "--tokenizer", CliTest.vocab(), "--quiet"));
            args.addAll(output);
            args.add("a");
            CliTest.Run r = run(new StandardOutput(new FullDisk()), args.toArray(String[]::new));
            assertEquals(1, r.code(), output + ": " + r.err());
            assertEquals(
                    "sdclip: cannot write to standard output (no space left on device)\n", r.err(), output.toString());
        }
    }

    /**
     * 1,000 prompts in batches of 8: the run stops after the first batch. (PrintWriter's encoder
     * offers its unwritten buffer again at each later write, so a run that went on would offer
     * about 8 KB per prompt.)
     */
    @Test
    void jsonlStopsAtTheFirstFailedBatch() throws IOException {
        Path prompts = Files.write(
                dir.resolve("p.txt"),
                IntStream.range(0, 1000).mapToObj(i -> "prompt " + i).toList());
        String[] args = {
            "encode",
            "--model",
            sd15(),
            "--heads",
            "4",
            "--tokenizer",
            CliTest.vocab(),
            "--quiet",
            "--tensors",
            "pooled_output",
            "--output",
            "-",
            "--prompts",
            prompts.toString()
        };
        StringWriter whole = new StringWriter();
        assertEquals(0, Main.run(args, new PrintWriter(whole, true), new PrintWriter(new StringWriter(), true)));
        FullDisk disk = new FullDisk();
        CliTest.Run r = run(new StandardOutput(disk), args);
        assertEquals(1, r.code(), r.err());
        assertEquals("sdclip: cannot write to standard output (no space left on device)\n", r.err());
        long all = whole.toString().length();
        assertTrue(disk.offered > 0 && disk.offered < all / 4, "offered " + disk.offered + " bytes of " + all);
    }

    /** The CLI in a child JVM whose reader closes the pipe after 100 bytes: it stops soon, silently, with status 141 as `| head` expects. */
    @Test
    void closedPipeStopsJsonlAndNpy() throws Exception {
        Path prompts = Files.write(
                dir.resolve("p5k.txt"),
                IntStream.range(0, 5000).mapToObj(i -> "a photo of thing " + i).toList());
        for (String format : List.of("jsonl", "npy")) {
            Path err = dir.resolve("err-" + format + ".txt");
            ProcessBuilder pb = ChildCli.command(
                    List.of(),
                    "encode",
                    "--model",
                    sd15(),
                    "--heads",
                    "4",
                    "--tokenizer",
                    CliTest.vocab(),
                    "--quiet",
                    "--tensors",
                    "pooled_output",
                    "--format",
                    format,
                    "--output",
                    "-",
                    "--prompts",
                    prompts.toString());
            pb.redirectError(err.toFile());
            Process p = pb.start();
            try (var in = p.getInputStream()) {
                assertEquals(100, in.readNBytes(100).length);
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(format + ": still running 120 s after its reader went away");
            }
            String text = Files.readString(err).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
            assertEquals(Main.BROKEN_PIPE, p.exitValue(), format + ": " + text);
            assertEquals("", text, format);
        }
    }
}
