package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.output.JsonWriter;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/**
 * Every command's JSON is strict JSON, non-finite numbers included (as null); and encode's
 * {@code .json} output, {@code --clip-skip} and {@code --hidden-states} against the reference.
 */
class JsonOutputTest {
    @TempDir
    Path dir;

    static String ref(String p) {
        return CliTest.ref(p);
    }

    @Test
    void writerSpellsNonFiniteNumbersAsNull() {
        for (double v : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            assertEquals("null", JsonWriter.number(v));
            assertEquals("null", JsonWriter.number((float) v));
            assertEquals("null", JsonWriter.number(v, 3));
        }
        assertEquals("0.1", JsonWriter.number(0.1));
        assertEquals("1.0E-5", JsonWriter.number(1e-5f), "the float's own shortest spelling");
        assertEquals("2.500", JsonWriter.number(2.5, 3));
        assertEquals("\"a \\\"b\\\"\\n\"", JsonWriter.string("a \"b\"\n"));
        List<?> parsed = (List<?>) Json.parse("[" + JsonWriter.number(-0.5) + ", " + JsonWriter.number(1e300) + ", "
                + JsonWriter.number(Float.MIN_VALUE) + "]");
        assertEquals(-0.5, ((Number) parsed.get(0)).doubleValue());
        assertEquals(1e300, ((Number) parsed.get(1)).doubleValue());
        assertEquals(Float.MIN_VALUE, ((Number) parsed.get(2)).floatValue());
    }

    /** Conditioning at clip skip 2 and every hidden state, in a .json file, match the reference. */
    @Test
    void encodeJsonWithClipSkipAndHiddenStates() throws IOException {
        Path out = dir.resolve("c.json");
        CliTest.Run r = CliTest.run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--clip-skip",
                "2",
                "--hidden-states",
                "--output",
                out.toString(),
                "a dog",
                "a cat");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(Files.readString(out));
        try (SafetensorsFile exp =
                SafetensorsFile.open(ReferenceData.require("expected/tiny-sd15.expected.safetensors"))) {
            int n = 2, rows = 77 * 64; // prompts 1 and 2 of the reference's twelve
            assertArrayEquals(Arrays.copyOfRange(exp.longs("input_ids"), 77, 3 * 77), longs(o, "input_ids", 2, 77));
            assertClose(
                    Arrays.copyOfRange(exp.floats("penultimate_ln"), rows, 3 * rows),
                    floats(o, "conditioning", 2, 77, 64),
                    "conditioning at clip skip 2");
            assertClose(
                    Arrays.copyOfRange(exp.floats("last_hidden_state"), rows, 3 * rows),
                    floats(o, "last_hidden_state", 2, 77, 64),
                    "last_hidden_state");
            float[] hidden = exp.floats("hidden_states"), want = new float[4 * n * rows];
            for (int layer = 0; layer < 4; layer++)
                System.arraycopy(hidden, (layer * 12 + 1) * rows, want, layer * n * rows, n * rows);
            assertClose(want, floats(o, "hidden_states", 4, 2, 77, 64), "hidden_states");
        }
        // --clip-skip 1 on SD 2.x (whose default is 2) gives the last hidden state.
        Path sd21 = dir.resolve("sd21.json");
        assertEquals(
                0,
                CliTest.run(
                                "encode",
                                "--model",
                                ref("models/tiny-sd21.safetensors"),
                                "--heads",
                                "4",
                                "--tokenizer",
                                CliTest.vocab(),
                                "--clip-skip",
                                "1",
                                "--output",
                                sd21.toString(),
                                "a dog")
                        .code());
        Map<String, Object> o21 = Json.parseObject(Files.readString(sd21));
        assertTrue(!o21.containsKey("hidden_states"), "hidden_states only when asked for");
        try (SafetensorsFile exp =
                SafetensorsFile.open(ReferenceData.require("expected/tiny-sd21.expected.safetensors"))) {
            assertClose(
                    Arrays.copyOfRange(exp.floats("last_hidden_state"), 77 * 64, 2 * 77 * 64),
                    floats(o21, "conditioning", 1, 77, 64),
                    "sd21 at clip skip 1");
        }
    }

    /** A model whose final layer norm is NaN: encode's .json, similarity and diff still write valid JSON, with null. */
    @Test
    void nanOutputsAreNullInEveryCommand() throws IOException {
        Path model = poisoned(dir.resolve("nan-sd15.safetensors"));
        Path out = dir.resolve("nan.json");
        CliTest.Run enc = CliTest.run(
                "encode",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--output",
                out.toString(),
                "a dog");
        assertEquals(0, enc.code(), enc.err());
        Map<String, Object> o = Json.parseObject(Files.readString(out));
        List<?> cond = (List<?>) ((Map<?, ?>) o.get("conditioning")).get("data");
        assertEquals(77 * 64, cond.size());
        assertTrue(cond.stream().allMatch(v -> v == Json.NULL), "NaN conditioning is null");

        CliTest.Run sim = CliTest.run(
                "similarity",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--projection",
                ref("models/tiny-clip.safetensors"),
                "--against",
                ref("models/tiny-clip.safetensors"),
                "--against-heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--json",
                "a dog",
                "a cat");
        assertEquals(0, sim.code(), sim.err());
        Map<String, Object> s = Json.parseObject(sim.out().strip());
        assertEquals(Json.NULL, ((Map<?, ?>) ((List<?>) s.get("results")).getFirst()).get("cosine"));
        assertEquals(Json.NULL, s.get("mean"));

        CliTest.Run diff = CliTest.run("diff", "--json", ref("models/tiny-sd15.safetensors"), model.toString());
        assertEquals(0, diff.code(), diff.err());
        Map<?, ?> row = ((List<?>) Json.parseObject(diff.out().strip()).get("tensors"))
                .stream()
                        .map(t -> (Map<?, ?>) t)
                        .filter(t -> t.get("name").equals("text_model.final_layer_norm.weight"))
                        .findFirst()
                        .orElseThrow();
        assertEquals("changed", row.get("status"));
        assertEquals(Json.NULL, row.get("max_abs_diff"));
        assertEquals(Json.NULL, row.get("relative_error"));
    }

    /** A copy of tiny SD 1.5 whose final layer norm weight is all NaN. */
    static Path poisoned(Path target) throws IOException {
        byte[] bytes = Files.readAllBytes(ReferenceData.require("models/tiny-sd15.safetensors"));
        int headerLength = (int)
                ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Map<String, Object> header = Json.parseObject(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        Map<?, ?> t = (Map<?, ?>) header.get("cond_stage_model.transformer.text_model.final_layer_norm.weight");
        assertEquals("F16", t.get("dtype"));
        List<?> offsets = (List<?>) t.get("data_offsets");
        ByteBuffer data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long at = (Long) offsets.get(0); at < (Long) offsets.get(1); at += 2)
            data.putShort((int) (8 + headerLength + at), (short) 0x7E00); // F16 NaN
        return Files.write(target, bytes);
    }

    static float[] floats(Map<String, Object> o, String name, long... shape) {
        Map<?, ?> t = (Map<?, ?>) o.get(name);
        assertEquals("F32", t.get("dtype"), name);
        assertEquals(Arrays.stream(shape).boxed().toList(), t.get("shape"), name + " shape");
        List<?> data = (List<?>) t.get("data");
        float[] v = new float[data.size()];
        for (int i = 0; i < v.length; i++) v[i] = ((Number) data.get(i)).floatValue();
        return v;
    }

    static long[] longs(Map<String, Object> o, String name, long... shape) {
        Map<?, ?> t = (Map<?, ?>) o.get(name);
        assertEquals("I64", t.get("dtype"), name);
        assertEquals(Arrays.stream(shape).boxed().toList(), t.get("shape"), name + " shape");
        return ((List<?>) t.get("data")).stream().mapToLong(x -> (Long) x).toArray();
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double err = Seeded.relativeError(got, want);
        assertTrue(err < 1e-4, what + ": max|d|/max|expected| = " + err);
    }
}
