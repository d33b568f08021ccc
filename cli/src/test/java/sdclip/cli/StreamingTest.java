package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.TextEncoder;
import sdclip.model.safetensors.SafetensorsFile;

/** Memory bounded by a batch, whatever the number of prompts: the CLI in a child JVM under a small heap. */
class StreamingTest {
    @TempDir Path dir;

    static String run(ProcessBuilder pb, Path stdout, int seconds) throws IOException, InterruptedException {
        Path err = Files.createTempFile("sdclip-err", ".txt");
        try {
            pb.redirectError(err.toFile());
            if (stdout != null) pb.redirectOutput(stdout.toFile());
            else pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("still running after " + seconds + " s");
            }
            String text = Files.readString(err);
            assertEquals(0, p.exitValue(), text);
            return text;
        } finally {
            Files.deleteIfExists(err);
        }
    }

    @Test
    void hundredThousandPromptsInSixtyFourMegabytes() throws Exception {
        int n = 100_000;
        List<String> prompts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) prompts.add("a photo of " + (i % 997) + (i % 3 == 0 ? " dogs" : " cats on mars"));
        Path file = dir.resolve("p.txt");
        Files.write(file, prompts);
        Path out = dir.resolve("e.safetensors");
        run(ChildCli.command(List.of("-Xmx64m"), "encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4", "--tokenizer", CliTest.vocab(),
                "--quiet", "--threads", "2", "--prompts", file.toString(), "--tensors", "pooled_output,pooled_index", "--output", out.toString()), null, 300);
        // The same prompts in this JVM, in small batches (distinct prompts one at a time).
        try (TextEncoder enc = TextEncoder.open(sdclip.testdata.ReferenceData.require("models/tiny-sd15.safetensors"),
                     TextEncoder.Options.defaults().withHeads(4).withTokenizer(Path.of(CliTest.vocab())).withBatchSize(1));
             SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(List.of("pooled_index", "pooled_output"), List.copyOf(f.names()));
            assertArrayEquals(new long[] {n, 64}, f.info("pooled_output").shape());
            float[] got = f.floats("pooled_output");
            long[] index = f.longs("pooled_index");
            List<String> distinct = prompts.subList(0, 2991); // every (i % 997, i % 3) pair
            Encoding want = enc.encode(distinct, EncodeRequest.pooledOnly());
            for (int i = 0; i < n; i++) {
                int k = i % 2991;
                for (int d = 0; d < 64; d++) {
                    if (Float.floatToRawIntBits(got[i * 64 + d]) != Float.floatToRawIntBits(want.pooledOutput().floats()[k * 64 + d])) {
                        throw new AssertionError("prompt " + i + " value " + d + ": " + got[i * 64 + d] + " != " + want.pooledOutput().floats()[k * 64 + d]);
                    }
                }
                assertEquals(want.pooledIndex().longs()[k], index[i], "pooled_index " + i);
            }
        }
    }

    @Test
    void npyStreamsToStandardOutput() throws Exception {
        Path out = dir.resolve("stdout.npy");
        run(ChildCli.command(List.of(), "encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4", "--tokenizer", CliTest.vocab(),
                "--quiet", "--output", "-", "--format", "npy", "--tensor", "pooled_output", "a dog", "a cat", "a diagram"), out, 120);
        Path file = dir.resolve("file.npy");
        assertEquals(0, CliTest.run("encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4", "--tokenizer", CliTest.vocab(),
                "--quiet", "--output", file.toString(), "--tensor", "pooled_output", "a dog", "a cat", "a diagram").code());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(out));
        assertTrue(Files.size(out) == 128 + 3 * 64 * 4, "header + [3, 64] F32");
    }
}
