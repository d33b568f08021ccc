package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
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
import sdclip.testdata.ReferenceData;

/** Memory bounded by a batch, whatever the number of prompts: the CLI in a child JVM under a small heap. */
class StreamingTest {
    @TempDir
    Path dir;

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
        run(
                ChildCli.command(
                        List.of("-Xmx64m"),
                        "encode",
                        "--model",
                        CliTest.ref("models/tiny-sd15.safetensors"),
                        "--heads",
                        "4",
                        "--tokenizer",
                        CliTest.vocab(),
                        "--quiet",
                        "--threads",
                        "2",
                        "--prompts",
                        file.toString(),
                        "--tensors",
                        "pooled_output,pooled_index",
                        "--output",
                        out.toString()),
                null,
                300);
        // The same prompts in this JVM, in small batches (distinct prompts one at a time).
        try (TextEncoder enc = TextEncoder.open(
                        ReferenceData.require("models/tiny-sd15.safetensors"),
                        TextEncoder.Options.defaults()
                                .withHeads(4)
                                .withTokenizer(Path.of(CliTest.vocab()))
                                .withBatchSize(1));
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
                    if (Float.floatToRawIntBits(got[i * 64 + d])
                            != Float.floatToRawIntBits(want.pooledOutput().floats()[k * 64 + d])) {
                        throw new AssertionError("prompt " + i + " value " + d + ": " + got[i * 64 + d] + " != "
                                + want.pooledOutput().floats()[k * 64 + d]);
                    }
                }
                assertEquals(want.pooledIndex().longs()[k], index[i], "pooled_index " + i);
            }
        }
    }

    @Test
    void npyStreamsToStandardOutput() throws Exception {
        Path out = dir.resolve("stdout.npy");
        run(
                ChildCli.command(
                        List.of(),
                        "encode",
                        "--model",
                        CliTest.ref("models/tiny-sd15.safetensors"),
                        "--heads",
                        "4",
                        "--tokenizer",
                        CliTest.vocab(),
                        "--quiet",
                        "--output",
                        "-",
                        "--format",
                        "npy",
                        "--tensor",
                        "pooled_output",
                        "a dog",
                        "a cat",
                        "a diagram"),
                out,
                120);
        Path file = dir.resolve("file.npy");
        assertEquals(
                0,
                CliTest.run(
                                "encode",
                                "--model",
                                CliTest.ref("models/tiny-sd15.safetensors"),
                                "--heads",
                                "4",
                                "--tokenizer",
                                CliTest.vocab(),
                                "--quiet",
                                "--output",
                                file.toString(),
                                "--tensor",
                                "pooled_output",
                                "a dog",
                                "a cat",
                                "a diagram")
                        .code());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(out));
        assertTrue(Files.size(out) == 128 + 3 * 64 * 4, "header + [3, 64] F32");
    }

    /**
     * A prompt syntax streams as the plain path does: 20,000 A1111 and ComfyUI prompts (short,
     * BREAK and three-chunk ones) under a 64 MB heap, into each format, equal row for row to a
     * run of the twelve distinct prompts (whose k, three chunks, is the big run's too).
     */
    @Test
    void twentyThousandPromptsWithASyntaxInSixtyFourMegabytes() throws Exception {
        List<String> distinct = new ArrayList<>();
        for (int i = 0; i < 4; i++) distinct.add("a (photo:1.2) of " + i + " [cats]");
        for (int i = 0; i < 4; i++) distinct.add("a red (house: 1.3) BREAK " + i + " trees");
        for (int i = 0; i < 4; i++)
            distinct.add("(masterpiece:1.2), " + "red apple, ".repeat(55 + i) + "(blue sky:0.8)");
        int n = 20_000;
        List<String> prompts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) prompts.add(distinct.get(i % distinct.size()));
        Path big = dir.resolve("big.txt"), small = dir.resolve("small.txt");
        Files.write(big, prompts);
        Files.write(small, distinct);
        record Case(String syntax, String extension, List<String> extra) {}
        for (Case c : List.of(
                new Case("a1111", ".safetensors", List.of()),
                new Case("comfy", ".npy", List.of()),
                new Case("a1111", ".jsonl", List.of("--tensors", "chunks,pooled_output")))) {
            List<String> args = new ArrayList<>(List.of(
                    "encode",
                    "--model",
                    CliTest.ref("models/tiny-sd15.safetensors"),
                    "--heads",
                    "4",
                    "--tokenizer",
                    CliTest.vocab(),
                    "--quiet",
                    "--threads",
                    "2",
                    "--syntax",
                    c.syntax()));
            args.addAll(c.extra());
            Path bigOut = dir.resolve("big-" + c.syntax() + c.extension()),
                    smallOut = dir.resolve("small-" + c.syntax() + c.extension());
            List<String> bigArgs = new ArrayList<>(args), smallArgs = new ArrayList<>(args);
            bigArgs.addAll(List.of("--prompts", big.toString(), "--output", bigOut.toString()));
            smallArgs.addAll(List.of("--prompts", small.toString(), "--output", smallOut.toString()));
            run(ChildCli.command(List.of("-Xmx64m"), bigArgs.toArray(String[]::new)), null, 300);
            CliTest.Run r = CliTest.run(smallArgs.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            switch (c.extension()) {
                case ".safetensors" -> {
                    try (SafetensorsFile b = SafetensorsFile.open(bigOut);
                            SafetensorsFile s = SafetensorsFile.open(smallOut)) {
                        assertEquals(List.copyOf(s.names()), List.copyOf(b.names()));
                        assertArrayEquals(
                                new long[] {n, 3 * 77, 64},
                                b.info("conditioning").shape());
                        for (String name : s.names()) sameRows(name, b.bytes(name), s.bytes(name), n, distinct.size());
                    }
                }
                case ".npy" -> {
                    long row = 3 * 77 * 64 * 4; // [N, 3 * 77, 64] F32 after the header
                    try (FileChannel b = FileChannel.open(bigOut);
                            FileChannel s = FileChannel.open(smallOut);
                            Arena arena = Arena.ofConfined()) {
                        MemorySegment bm = b.map(FileChannel.MapMode.READ_ONLY, 0, b.size(), arena),
                                sm = s.map(FileChannel.MapMode.READ_ONLY, 0, s.size(), arena);
                        long header = s.size() - distinct.size() * row;
                        assertEquals(header, b.size() - n * row, "the same header length");
                        sameRows("conditioning", bm.asSlice(header), sm.asSlice(header), n, distinct.size());
                    }
                }
                default -> {
                    List<String> b = Files.readAllLines(bigOut), s = Files.readAllLines(smallOut);
                    assertEquals(n, b.size());
                    for (int i = 0; i < n; i++) {
                        assertEquals(s.get(i % s.size()), b.get(i), "line " + i);
                    }
                }
            }
        }
    }

    /** Running out of heap (here: a 48 MB prompts file read whole in a 32 MB heap) is one line that says how to raise it. */
    @Test
    void outOfMemoryIsOneLineNamingTheHeap() throws Exception {
        Path file = dir.resolve("huge.txt");
        String line = "a photo of a cat on a sofa, ".repeat(4) + "\n";
        try (var w = Files.newBufferedWriter(file)) {
            for (long written = 0; written < 48L << 20; written += line.length()) w.write(line);
        }
        Path err = dir.resolve("err.txt");
        Process p = ChildCli.command(
                        List.of("-Xmx32m"),
                        "encode",
                        "--model",
                        CliTest.ref("models/tiny-sd15.safetensors"),
                        "--heads",
                        "4",
                        "--tokenizer",
                        CliTest.vocab(),
                        "--quiet",
                        "--prompts",
                        file.toString(),
                        "--output",
                        dir.resolve("e.safetensors").toString())
                .redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "still running");
        String text = Files.readString(err).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
        assertEquals(1, p.exitValue(), text);
        assertEquals(1, text.strip().lines().count(), text);
        assertTrue(
                text.startsWith("sdclip: out of memory")
                        && text.contains("maximum Java heap of 32 MB")
                        && text.contains("SDCLIP_JAVA_OPTS=-Xmx"),
                text);
        assertTrue(!Files.exists(dir.resolve("e.safetensors")), "no output");
    }

    /** Row i of {@code big} (n rows) is byte for byte row {@code i % m} of {@code small} (m rows). */
    private static void sameRows(String name, MemorySegment big, MemorySegment small, int n, int m) {
        long row = small.byteSize() / m;
        assertEquals(row * n, big.byteSize(), name);
        for (int i = 0; i < n; i++) {
            long at = MemorySegment.mismatch(big, i * row, (i + 1) * row, small, (i % m) * row, (i % m + 1) * row);
            if (at >= 0) throw new AssertionError(name + ": prompt " + i + " differs at byte " + at);
        }
    }
}
