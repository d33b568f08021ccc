package sdclip.model.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.engine.DType;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.ModelConformanceTest;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.HiddenAct;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/** The formula model against {@code full-sd15.weights.json} and {@code full-sd15.expected.safetensors}. */
class FormulaModelTest {
    static Path dir, file;

    @BeforeAll
    static void synth() throws IOException {
        ReferenceData.require();
        dir = Files.createTempDirectory("sdclip-formula");
        file = dir.resolve("full-sd15.safetensors");
        // F32: exact for every tensor (F16 would round the layer-norm weights 1 + u/4).
        FormulaModel.write(file, DType.F32);
    }

    @AfterAll
    static void clean() throws IOException {
        if (file != null) Files.deleteIfExists(file);
        if (dir != null) Files.deleteIfExists(dir);
    }

    @Test
    void buildingBlocksMatchTheTestVectors() throws IOException {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tensors = (List<Map<String, Object>>)
                Json.parseObject(Files.readString(ReferenceData.require("expected/full-sd15.weights.json")))
                        .get("tensors");
        assertEquals(6, tensors.size());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Map<String, Object> t : tensors) {
                String name = (String) t.get("name");
                long seed = FormulaModel.fnv1a64(name);
                assertEquals(Long.parseUnsignedLong(((String) t.get("fnv1a64")).substring(2), 16), seed, name);
                List<?> z = (List<?>) t.get("first_z"),
                        u = (List<?>) t.get("first_u"),
                        v = (List<?>) t.get("first_values");
                for (int i = 0; i < 4; i++) {
                    assertEquals(
                            Long.parseUnsignedLong(((String) z.get(i)).substring(2), 16),
                            FormulaModel.z(seed, i),
                            name + " z" + i);
                    assertEquals(((Number) u.get(i)).doubleValue(), FormulaModel.u(seed, i), 0, name + " u" + i);
                    assertEquals(
                            ((Number) v.get(i)).doubleValue(), f.weights(name).get(i), 0, name + " value " + i);
                }
                float[] all = f.floats(name);
                double sum = 0;
                for (float x : all) sum += x;
                assertEquals(((Number) t.get("count")).longValue(), all.length, name);
                assertEquals(((Number) t.get("sum")).doubleValue(), sum, 0, name + " sum");
                assertArrayEquals(
                        ((List<?>) t.get("shape"))
                                .stream().mapToLong(x -> (Long) x).toArray(),
                        f.info(name).shape());
            }
        }
    }

    @Test
    void theReadmeTestVectors() {
        assertEquals(0xcbf29ce484222325L, FormulaModel.fnv1a64(""));
        assertEquals(0xaf63dc4c8601ec8cL, FormulaModel.fnv1a64("a"));
        assertEquals(0xe220a8397b1dcdafL, FormulaModel.z(0, 0));
        assertEquals(0x6e789e6aa1b965f4L, FormulaModel.z(0, 1));
        assertEquals(0x06c45d188009454fL, FormulaModel.z(0, 2));
    }

    static List<String> prompts() {
        return List.of("a diagram", "a dog", "a cat", "a photo of an astronaut riding a horse on mars");
    }

    @Test
    void fullSizeModelMatchesTheReferenceOnCpu() throws IOException {
        try (TextEncoder enc = TextEncoder.open(file, ModelConformanceTest.options("cpu"));
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/full-sd15.expected.safetensors"))) {
            ClipTextConfig c = enc.configs().getFirst();
            assertEquals(new ClipTextConfig(768, 12, 12, 3072, 49408, 77, 768, HiddenAct.QUICK_GELU, 1e-5f), c);
            Encoding e = enc.encode(prompts());
            assertArrayEquals(exp.longs("input_ids"), e.get("input_ids").longs());
            assertArrayEquals(exp.longs("pooled_index"), e.get("pooled_index").longs());
            for (String name : new String[] {"last_hidden_state", "pooled_output", "text_embeds"})
                within(e.get(name).floats(), exp.floats(name), name);
            Encoding skip2 = enc.encode(
                    prompts(), EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2));
            within(skip2.get("conditioning").floats(), exp.floats("penultimate_ln"), "penultimate_ln");
        }
    }

    @Test
    void fullSizeModelMatchesTheReferenceOnOpenCl() throws IOException {
        Assumptions.assumeTrue(ModelConformanceTest.backends().anyMatch("opencl"::equals), "no OpenCL device");
        try (TextEncoder enc = TextEncoder.open(file, ModelConformanceTest.options("opencl"));
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/full-sd15.expected.safetensors"))) {
            Encoding e = enc.encode(prompts());
            assertArrayEquals(exp.longs("input_ids"), e.get("input_ids").longs());
            for (String name : new String[] {"last_hidden_state", "pooled_output", "text_embeds"})
                within(e.get(name).floats(), exp.floats(name), name);
        }
    }

    /** The scalar oracle is slow at full size: the pooled-only path keeps it to the prompts' own tokens. */
    @Test
    void fullSizeModelMatchesTheReferenceOnTheReferenceBackend() throws IOException {
        try (TextEncoder enc = TextEncoder.open(file, ModelConformanceTest.options("reference"));
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/full-sd15.expected.safetensors"))) {
            Encoding e = enc.encode(prompts(), EncodeRequest.pooledOnly());
            within(e.get("pooled_output").floats(), exp.floats("pooled_output"), "pooled_output");
            within(e.get("text_embeds").floats(), exp.floats("text_embeds"), "text_embeds");
        }
    }

    static void within(float[] actual, float[] expected, String what) {
        double err = Seeded.relativeError(actual, expected);
        assertTrue(err <= 1e-3, what + ": max|d|/max|expected| = " + err);
    }
}
