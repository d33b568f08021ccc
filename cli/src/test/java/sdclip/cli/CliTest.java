package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufWriter;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/** The commands end to end through {@link Main#run}, with exit codes and the one-line error rule. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    static String ref(String p) {
        return ReferenceData.require(p).toString();
    }

    static String vocab() {
        return ref("tokenizer/bpe_simple_vocab_16e6.txt.gz");
    }

    /** {@return {@code encode} of the reference tiny SD 1.5 model (4 heads, the CLIP vocabulary, quiet), then {@code more}} */
    static String[] encodeTinySd15(String... more) {
        List<String> args = new ArrayList<>(List.of(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertEquals(0, v.code);
        assertTrue(v.out.startsWith("sdclip "), v.out);
        Run h = run("--help");
        assertEquals(0, h.code);
        for (String c : List.of("inspect", "tokenize", "encode", "synth", "bench")) assertTrue(h.out.contains(c), c);
    }

    /** Each help page says what its command accepts: every output form, every variable in the order read. */
    @Test
    void helpPagesSayEverythingTheCommandsTake() {
        String image = run("encode-image", "--help").out.replaceAll("\\s+", " ");
        for (String f : List.of(".safetensors", ".npy", ".json", ".jsonl", "- for standard output"))
            assertTrue(image.contains(f), f + ": " + image);
        String encode = run("encode", "--help").out.replaceAll("\\s+", " ");
        for (String f : List.of(".safetensors", ".npy", ".json", ".jsonl", "- for standard output"))
            assertTrue(encode.contains(f), f + ": " + encode);
        assertTrue(run("score", "--help").out.replaceAll("\\s+", " ").contains("a .csv or .json file"));
        String pull = run("pull", "--help").out.replaceAll("\\s+", " ");
        List<String> order = List.of(
                "$HF_HUB_CACHE",
                "$HUGGINGFACE_HUB_CACHE",
                "$HF_HOME/hub",
                "$XDG_CACHE_HOME/huggingface/hub",
                "~/.cache/huggingface/hub");
        for (int i = 1; i < order.size(); i++) {
            assertTrue(
                    pull.indexOf(order.get(i - 1)) >= 0 && pull.indexOf(order.get(i - 1)) < pull.indexOf(order.get(i)),
                    order.get(i) + " after " + order.get(i - 1) + ": " + pull);
        }
        assertTrue(run("bench", "--help").out.replaceAll("\\s+", " ").contains("at most 3600"));
    }

    @Test
    void tokenizeJsonMatchesTheReferenceCases() throws IOException {
        List<String> lines = Files.readAllLines(ReferenceData.require("tokenizer/tokens.jsonl"))
                .subList(0, 40);
        Path prompts = dir.resolve("p.jsonl");
        Files.write(prompts, lines); // tokens.jsonl lines are themselves {"text": ...} objects
        Run r = run("tokenize", "--tokenizer", vocab(), "--json", "--no-truncate", "--prompts", prompts.toString());
        assertEquals(0, r.code, r.err);
        List<String> out = r.out.lines().toList();
        assertEquals(lines.size(), out.size());
        for (int i = 0; i < lines.size(); i++) {
            Map<String, Object> want = Json.parseObject(lines.get(i)), got = Json.parseObject(out.get(i));
            assertEquals(want.get("text"), got.get("text"));
            assertEquals(want.get("ids"), got.get("ids"), "line " + (i + 1));
            assertEquals(want.get("tokens"), got.get("tokens"), "line " + (i + 1));
        }
    }

    @Test
    void tokenizePadsAndTruncates() {
        Map<String, Object> o =
                Json.parseObject(run("tokenize", "--tokenizer", vocab(), "--json", "--pad", "zero", "a dog")
                        .out
                        .strip());
        List<?> ids = (List<?>) o.get("ids");
        assertEquals(77, ids.size());
        assertEquals(0L, ids.get(76));
        List<?> cut = (List<?>) Json.parseObject(run("tokenize", "--tokenizer", vocab(), "--json", "cat ".repeat(90))
                        .out
                        .strip())
                .get("ids");
        assertEquals(77, cut.size());
        assertEquals(49407L, cut.get(76));
    }

    @Test
    void inspectJsonReportsTheFamily() {
        Run r = run("inspect", "--json", "--heads", "2,3", ref("models/tiny-sdxl.safetensors"));
        assertEquals(0, r.code, r.err);
        Map<String, Object> o = Json.parseObject(r.out.strip());
        assertEquals("sdxl", o.get("family"));
        List<?> enc = (List<?>) o.get("encoders");
        assertEquals(2, enc.size());
        Map<?, ?> e2 = (Map<?, ?>) enc.get(1);
        assertEquals(48L, e2.get("width"));
        assertEquals(3L, e2.get("heads"));
        assertEquals("gelu", e2.get("activation"));
        assertEquals(40L, e2.get("projection_dim"));
        assertEquals(Json.NULL, ((Map<?, ?>) enc.get(0)).get("projection_dim"));
    }

    @Test
    void encodeWritesTheReferenceConditioning() throws IOException {
        Path out = dir.resolve("c.safetensors");
        Run r = run(
                "encode",
                "--model",
                ref("models/tiny-sd21.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--output",
                out.toString(),
                "a dog",
                "a cat");
        assertEquals(0, r.code, r.err);
        try (SafetensorsFile f = SafetensorsFile.open(out);
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/tiny-sd21.expected.safetensors"))) {
            assertArrayEquals(new long[] {2, 77, 64}, f.info("conditioning").shape());
            float[] want = Arrays.copyOfRange(exp.floats("penultimate_ln"), 77 * 64, 3 * 77 * 64); // prompts 1 and 2
            assertTrue(Seeded.relativeError(f.floats("conditioning"), want) < 1e-4);
            assertArrayEquals(Arrays.copyOfRange(exp.longs("input_ids"), 77, 3 * 77), f.longs("input_ids"));
        }
        Path npy = dir.resolve("c.npy");
        assertEquals(
                0,
                run(
                                "encode",
                                "--model",
                                ref("models/tiny-sd21.safetensors"),
                                "--heads",
                                "4",
                                "--tokenizer",
                                vocab(),
                                "--output",
                                npy.toString(),
                                "--tensor",
                                "text_embeds",
                                "a dog")
                        .code);
        byte[] bytes = Files.readAllBytes(npy);
        assertEquals((byte) 0x93, bytes[0]);
        String header = new String(bytes, 10, (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8);
        assertTrue(header.contains("'shape': (1, 48)") && header.contains("<f4"), header);
        assertEquals(0, (10 + header.length()) % 64);
        assertEquals(10 + header.length() + 48 * 4, bytes.length);
    }

    @Test
    void errorsAreOneLineWithExitCodes() throws IOException {
        Run missing = run("inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code);
        assertEquals(1, missing.err.strip().lines().count(), missing.err);
        assertTrue(missing.err.contains("nope.safetensors") && !missing.err.contains("Exception"), missing.err);
        Path png = dir.resolve("image.safetensors");
        Files.copy(ReferenceData.require("images/CLIP.png"), png);
        Run notSafetensors = run(
                "encode",
                "--model",
                png.toString(),
                "--tokenizer",
                vocab(),
                "--output",
                dir.resolve("o.safetensors").toString(),
                "x");
        assertEquals(1, notSafetensors.code);
        assertTrue(
                notSafetensors.err.contains("image.safetensors") && notSafetensors.err.contains("header length"),
                notSafetensors.err);
        assertFalse(Files.exists(dir.resolve("o.safetensors")), "no output written on failure");
        Run usage = run("encode", "--bogus");
        assertEquals(2, usage.code);
        Run verbose =
                run("--verbose", "inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(1, verbose.code);
        assertTrue(verbose.err.contains("\tat "), "stack trace with --verbose");
    }

    /** encode-image runs no text tower: its help lists none of the text tower's options, which it refuses. */
    @Test
    void encodeImageHelpListsNoOptionItRefuses() {
        String image = run("encode-image", "--help").out;
        assertFalse(image.contains("--heads"), image);
        assertFalse(image.contains("--tokenizer"), image);
        assertTrue(
                image.contains("--vision-heads") && image.contains("--backend") && image.contains("--threads"), image);
        String encode = run("encode", "--help").out;
        assertTrue(encode.contains("--heads") && encode.contains("--tokenizer"), encode);
    }

    /** A missing model is quoted as typed, not as the path it became (the path of nosuchfs://x is nosuchfs:/x). */
    @Test
    void aMissingModelIsQuotedAsTyped() {
        for (String typed : List.of("nosuchfs://x", dir + "//missing/")) {
            for (Run r : List.of(
                    run("encode", "--model", typed, "--quiet", "a dog"),
                    run("inspect", typed),
                    run("encode-image", "--model", typed, ref("images/CLIP.png")))) {
                assertEquals(1, r.code, r.err);
                assertEquals("sdclip: " + typed + ": no such file or folder", r.err.strip());
            }
        }
        // A usage error still comes first.
        assertEquals(2, run("encode", "--model", "nosuchfs://x", "--threads", "-1", "a dog").code);
    }

    /** A tensor named "" shows as "" where a message lists a file's keys, not as a gap. */
    @Test
    void anEmptyTensorNameShows() throws IOException {
        Path st = dir.resolve("empty-name.safetensors"), gguf = dir.resolve("empty-name.gguf");
        new SafetensorsWriter()
                .addFloats("", new long[] {2}, new float[] {1, 2})
                .addFloats("w", new long[] {1}, new float[] {3})
                .write(st);
        GgufWriter g = new GgufWriter();
        for (String name : List.of("", "w"))
            g.tensor(
                    name,
                    GgmlType.F32,
                    new long[] {2},
                    out -> SafetensorsWriter.writeFully(
                            out,
                            ByteBuffer.allocate(8)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .putFloat(1)
                                    .putFloat(2)
                                    .flip()));
        g.write(gguf);
        for (Path p : List.of(st, gguf)) {
            Run r = run("inspect", p.toString());
            assertEquals(1, r.code, r.err);
            assertTrue(
                    r.err.startsWith(
                            "sdclip: " + p
                                    + ": holds no CLIP text encoder sdclip recognises; its top key prefixes are \"\" (1), w (1) ("),
                    r.err);
        }
        Run embedding = run(encodeTinySd15("--syntax", "a1111", "--embeddings", st.toString(), "a dog"));
        assertEquals(1, embedding.code, embedding.err);
        assertTrue(embedding.err.strip().endsWith("or one tensor; found \"\", w)"), embedding.err);
    }
}
