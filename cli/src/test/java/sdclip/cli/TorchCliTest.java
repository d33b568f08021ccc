package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/** PyTorch checkpoints, SD3 and Flux through the CLI: inspect, encode, convert, and hostile pickles refused. */
class TorchCliTest {
    static final Path PWNED = Path.of("/tmp/sdclip-pwned");

    @TempDir
    Path dir;

    static String ref(String p) {
        return CliTest.ref(p);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15.ckpt", "tiny-sd15-torch-legacy.ckpt"})
    void convertEqualsTheSafetensorsFileTensorForTensor(String ckpt) throws IOException {
        Path out = dir.resolve("out.safetensors");
        CliTest.Run r = CliTest.run("convert", ref("models/" + ckpt), out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile want = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"));
                SafetensorsFile got = SafetensorsFile.open(out)) {
            assertEquals(want.names(), got.names());
            for (String n : want.names()) sameTensor(want, got, n);
            assertEquals("470000", got.metadata().get("global_step"));
            assertEquals("3", got.metadata().get("epoch"));
            assertEquals("pt", got.metadata().get("format"));
        }
        assertEquals(List.of(out), files(), "no temporary file left beside the output");
    }

    private static void sameTensor(SafetensorsFile want, SafetensorsFile got, String n) {
        assertEquals(want.info(n).type(), got.info(n).type(), n);
        assertArrayEquals(want.info(n).shape(), got.info(n).shape(), n);
        assertEquals(
                -1,
                MemorySegment.mismatch(
                        want.bytes(n),
                        0,
                        want.bytes(n).byteSize(),
                        got.bytes(n),
                        0,
                        got.bytes(n).byteSize()),
                n + " bytes");
    }

    /** A legacy torch file whose object is an empty dict: magic, protocol, sys info, {}, no storage keys. */
    @Test
    void convertOfAFileWithNoTensorsFailsWithOneLine() throws IOException {
        Path in = dir.resolve("empty.ckpt"), out = dir.resolve("empty.safetensors");
        Files.write(
                in,
                java.util.HexFormat.of()
                        .parseHex("80028a0a6cfc9c46f9206aa850192e" + "80024de9032e" + "80027d2e" + "80027d2e"
                                + "80025d2e"));
        CliTest.Run r = CliTest.run("convert", in.toString(), out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(in + ": holds no tensors"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out), "no empty safetensors written");
    }

    @Test
    void convertToF32WidensEveryHalfTensorExactly() throws IOException {
        Path out = dir.resolve("f32.safetensors");
        assertEquals(
                0,
                CliTest.run("convert", "--dtype", "f32", ref("models/tiny-sd15-torch-legacy.ckpt"), out.toString())
                        .code());
        try (SafetensorsFile want = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"));
                SafetensorsFile got = SafetensorsFile.open(out)) {
            int widened = 0;
            for (String n : want.names()) {
                TensorType t = want.info(n).type();
                if (t.computeType() == null) {
                    sameTensor(want, got, n); // I64 and the like: copied as they are
                    continue;
                }
                assertEquals(TensorType.F32, got.info(n).type(), n);
                assertArrayEquals(want.floats(n), got.floats(n), n);
                if (t == TensorType.F16) widened++;
            }
            assertTrue(widened >= 52, widened + " F16 tensors widened");
        }
    }

    @Test
    void convertTextEncodersOnlyKeepsTheirOriginalNames() throws IOException {
        Path out = dir.resolve("te.safetensors");
        CliTest.Run r = CliTest.run("convert", "--text-encoders-only", ref("models/tiny-sd15.ckpt"), out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile want = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"));
                SafetensorsFile got = SafetensorsFile.open(out)) {
            List<String> expected = want.names().stream()
                    .filter(n -> n.startsWith("cond_stage_model.transformer.text_model."))
                    .sorted()
                    .toList();
            assertEquals(expected, got.names().stream().sorted().toList());
            for (String n : expected) sameTensor(want, got, n);
        }
        // and it still encodes: the converted file is an SD 1.x checkpoint
        Map<String, Object> o = Json.parseObject(
                CliTest.run("inspect", "--json", out.toString()).out().strip());
        assertEquals("sd1", o.get("family"));
    }

    @Test
    void convertRefusesItsInputAndOtherFormatsAsUsageErrors() throws IOException {
        Path copy = Files.copy(ReferenceData.require("models/tiny-sd15.safetensors"), dir.resolve("m.safetensors"));
        CliTest.Run same = CliTest.run("convert", copy.toString(), copy.toString());
        assertEquals(2, same.code());
        assertTrue(same.err().startsWith("sdclip: " + copy + ": is the input file"), same.err());
        CliTest.Run npy =
                CliTest.run("convert", copy.toString(), dir.resolve("x.npy").toString());
        assertEquals(2, npy.code());
        assertEquals(List.of(copy), files());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15.ckpt", "tiny-sd15-torch-legacy.ckpt", "tiny-flux.safetensors"})
    void encodeMatchesTheReference(String model) throws IOException {
        Path out = dir.resolve("cond.safetensors");
        List<String> prompts = ((List<?>) Json.parse(Files.readString(ReferenceData.require("expected/prompts.json"))))
                .stream().map(String.class::cast).toList();
        String[] args = Stream.concat(
                        Stream.of(
                                "encode",
                                "--model",
                                ref("models/" + model),
                                "--heads",
                                "4",
                                "--tokenizer",
                                CliTest.vocab(),
                                "--quiet",
                                "--tensors",
                                "input_ids,conditioning,last_hidden_state,pooled_output",
                                "--output",
                                out.toString(),
                                "--"),
                        prompts.stream())
                .toArray(String[]::new);
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/tiny-sd15.expected.safetensors"));
                SafetensorsFile got = SafetensorsFile.open(out)) {
            assertArrayEquals(exp.longs("input_ids"), got.longs("input_ids"));
            for (String[] pair : new String[][] {
                {"conditioning", "last_hidden_state"},
                {"last_hidden_state", "last_hidden_state"},
                {"pooled_output", "pooled_output"}
            }) {
                double err = Seeded.relativeError(got.floats(pair[0]), exp.floats(pair[1]));
                assertTrue(err <= 1e-6, pair[0] + ": " + err);
            }
        }
    }

    @Test
    void inspectJsonReportsTheNewFamilies() {
        Map<String, Object> sd3 =
                Json.parseObject(CliTest.run("inspect", "--json", "--heads", "2,3", ref("models/tiny-sd3.safetensors"))
                        .out()
                        .strip());
        assertEquals("sd3", sd3.get("family"));
        assertEquals(
                Map.of("prefix", "text_encoders.t5xxl.", "tensors", 2L, "parameters", 320L, "run", false),
                sd3.get("t5"));
        assertEquals(
                List.of(49407L, 0L),
                ((List<?>) sd3.get("encoders"))
                        .stream().map(e -> ((Map<?, ?>) e).get("pad_id")).toList());
        Map<String, Object> flux =
                Json.parseObject(CliTest.run("inspect", "--json", ref("models/tiny-flux.safetensors"))
                        .out()
                        .strip());
        assertEquals("flux", flux.get("family"));
        Map<String, Object> ckpt =
                Json.parseObject(CliTest.run("inspect", "--json", ref("models/tiny-sd15-torch-legacy.ckpt"))
                        .out()
                        .strip());
        assertEquals("sd1", ckpt.get("family"));
        CliTest.Run text = CliTest.run("inspect", "--heads", "2,3", ref("models/tiny-sd3.safetensors"));
        assertTrue(
                text.out()
                        .contains(
                                "T5 encoder: prefix \"text_encoders.t5xxl.\", 2 tensor(s), 320 parameters (listed, not run"),
                text.out());
    }

    /**
     * Each hostile file, through inspect, encode and convert: exit 1, one line naming it, nothing
     * run or written, and refused before any other work: encode is given a broken vocabulary,
     * which would be the error had it been read first.
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "evil-os-system.ckpt",
                "evil-eval-in-state-dict.ckpt",
                "evil-subprocess.pt",
                "evil-storage-path.ckpt",
                "evil-huge-numel.ckpt",
                "truncated.ckpt"
            })
    void hostilePicklesAreRefusedByEveryCommand(String name, @TempDir Path inputs) throws IOException {
        String file = ref("pickles/" + name);
        String vocab = Files.writeString(inputs.resolve("bpe_simple_vocab_16e6.txt.gz"), "not a vocabulary")
                .toString();
        CliTest.Run read = CliTest.run("tokenize", "--tokenizer", vocab, "a dog");
        assertTrue(
                read.code() == 1 && read.err().contains(vocab),
                "the broken vocabulary is refused when read: " + read.err());
        Path out = dir.resolve("out.safetensors");
        List<String[]> commands = List.of(
                new String[] {"inspect", file},
                new String[] {"encode", "--model", file, "--tokenizer", vocab, "--output", out.toString(), "a dog"},
                new String[] {"convert", file, out.toString()},
                new String[] {"convert", "--text-encoders-only", file, out.toString()});
        for (String[] command : commands) {
            Files.deleteIfExists(PWNED);
            // Bounds a parser that loops on a hostile file; not a claim about speed.
            CliTest.Run r = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> CliTest.run(command));
            String what = String.join(" ", command);
            assertEquals(1, r.code(), what);
            assertTrue(r.err().startsWith("sdclip: " + file + ": "), what + ": " + r.err());
            assertEquals(1, r.err().lines().count(), what + ": " + r.err());
            assertFalse(Files.exists(PWNED), what + ": " + PWNED + " appeared");
            assertEquals(List.of(), files(), what + ": wrote something");
            // The two files whose one tensor (w) is broken open, and only reading w is refused: by convert, which reads
            // every tensor; the other commands need a text encoder, which these files do not hold. The claim is refused
            // from itself, before anything the size of 2^31 - 1 floats is allocated (an attempt would be an
            // out-of-memory line).
            boolean whole = command[0].equals("convert") && !command[1].startsWith("--");
            if (name.equals("evil-huge-numel.ckpt"))
                assertTrue(
                        r.err()
                                .contains(
                                        whole
                                                ? "tensor w cannot be read: its storage 0 claims 2147483647 F32 elements (8589934588"
                                                        + " bytes) but holds 16 bytes"
                                                : "holds no CLIP text encoder sdclip recognises; its top key prefixes are w (1)"),
                        what + ": " + r.err());
            if (name.equals("evil-storage-path.ckpt"))
                assertTrue(
                        r.err()
                                .contains(
                                        whole
                                                ? "tensor w cannot be read: its storage key \"../../../../tmp/escape\" does not name"
                                                : "holds no CLIP text encoder sdclip recognises"),
                        what + ": " + r.err());
        }
    }

    @Test
    void aTorchExtensionOnAnotherFileIsOneLine() throws IOException {
        Path fake = Files.writeString(dir.resolve("model.ckpt"), "GIF89a not a checkpoint");
        CliTest.Run r = CliTest.run("inspect", fake.toString());
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: " + fake
                        + ": is neither a PyTorch checkpoint (zip archive or legacy pickle) nor a safetensors or GGUF file",
                r.err().strip());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
