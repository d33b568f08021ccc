package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/**
 * Every model of {@code ../shared/reference/models} against its expected file (float64 OpenAI
 * reference outputs), on both backends: ids exactly, activations within
 * {@code max |d| / max |expected| <= 1e-4} (the reference README's bar for an F32 engine).
 */
public class ModelConformanceTest {
    static final double TOL = 1e-4;

    /** JUnit's alone: other tests use the static helpers only. */
    ModelConformanceTest() {}

    public static Path ref(String p) {
        return ReferenceData.require(p);
    }

    public static List<String> prompts() throws IOException {
        return ((List<?>) Json.parse(Files.readString(ref("expected/prompts.json"))))
                .stream().map(String.class::cast).toList();
    }

    public static TextEncoder.Options options(String backend, int... heads) {
        return TextEncoder.Options.defaults()
                .withDevice(Device.parse(backend))
                .withThreads(2)
                .withTokenizer(ref("tokenizer/bpe_simple_vocab_16e6.txt.gz"))
                .withHeads(heads.length == 0 ? null : heads);
    }

    /**
     * cpu, reference, and opencl where an OpenCL device exists (PoCL in CI, where a missing one
     * is a failure; elsewhere it is left out with a note on stderr).
     */
    public static Stream<String> backends() {
        boolean opencl;
        String why = "";
        try {
            opencl = !Backends.openClDevices().isEmpty();
        } catch (RuntimeException | LinkageError e) {
            opencl = false;
            why = e.getMessage();
        }
        if (!opencl) {
            String msg = "conformance on --backend opencl skipped: no OpenCL device " + why;
            if ("true".equalsIgnoreCase(System.getenv("CI")))
                throw new IllegalStateException(msg + "; CI must have one (.ci/run installs PoCL)");
            System.err.println(msg);
            return Stream.of("cpu", "reference");
        }
        return Stream.of("cpu", "reference", "opencl");
    }

    static Stream<Arguments> singleEncoderModels() {
        return backends()
                .flatMap(b -> Stream.of(
                        Arguments.of("tiny-clip.safetensors", "tiny-clip", new int[] {4}, b),
                        Arguments.of("tiny-sd15.safetensors", "tiny-sd15", new int[] {4}, b),
                        Arguments.of("tiny-sd15-legacy.safetensors", "tiny-sd15", new int[] {4}, b),
                        Arguments.of("tiny-sd15-diffusers", "tiny-sd15", new int[0], b),
                        Arguments.of("tiny-sd21.safetensors", "tiny-sd21", new int[] {4}, b)));
    }

    @ParameterizedTest(name = "{0} on {3}")
    @MethodSource("singleEncoderModels")
    void singleEncoderModelsMatchTheReference(String model, String expected, int[] heads, String backend)
            throws IOException {
        try (TextEncoder enc = TextEncoder.open(ref("models/" + model), options(backend, heads));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/" + expected + ".expected.safetensors"))) {
            Encoding e = enc.encode(prompts(), EncodeRequest.standard().with(TextOutput.HIDDEN_STATES));
            compare(e, exp, "");
            // penultimate_ln is clip skip 2: SD 2.x's default conditioning, "clip skip 2" elsewhere
            Encoding skip2 = enc.encode(
                    prompts(), EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2));
            close(skip2.get("conditioning").floats(), exp.floats("penultimate_ln"), "penultimate_ln");
            if (expected.equals("tiny-sd21"))
                close(e.get("conditioning").floats(), exp.floats("penultimate_ln"), "sd2 default conditioning");
            else close(e.get("conditioning").floats(), exp.floats("last_hidden_state"), "default conditioning");
        }
    }

    @ParameterizedTest(name = "tiny-sdxl on {0}")
    @MethodSource("backends")
    void sdxlBothEncodersMatchTheReference(String backend) throws IOException {
        try (TextEncoder enc = TextEncoder.open(ref("models/tiny-sdxl.safetensors"), options(backend, 2, 3));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sdxl.expected.safetensors"))) {
            assertEquals(Checkpoint.Family.SDXL, enc.checkpoint().family());
            compare(
                    enc.encode(prompts(), EncodeRequest.standard().encoder(1).with(TextOutput.HIDDEN_STATES)),
                    exp,
                    "e0_");
            compare(
                    enc.encode(prompts(), EncodeRequest.standard().encoder(2).with(TextOutput.HIDDEN_STATES)),
                    exp,
                    "e1_");
            // Combined: encoder 1's and encoder 2's penultimate blocks, raw, side by side.
            Encoding both = enc.encode(prompts());
            float[] c = both.get("conditioning").floats();
            float[] h0 = exp.floats("e0_hidden_states"), h1 = exp.floats("e1_hidden_states");
            int n = prompts().size(), rows = n * 77, d0 = 32, d1 = 48;
            float[] want = new float[rows * (d0 + d1)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(h0, 2 * rows * d0 + r * d0, want, r * (d0 + d1), d0); // e0 block L0-1 = 2
                System.arraycopy(h1, 3 * rows * d1 + r * d1, want, r * (d0 + d1) + d0, d1); // e1 block L1-1 = 3
            }
            assertArrayEquals(
                    new long[] {n, 77, d0 + d1}, both.get("conditioning").shape());
            close(c, want, "sdxl conditioning");
            close(both.get("text_embeds").floats(), exp.floats("e1_text_embeds"), "sdxl text_embeds");
        }
    }

    /**
     * Clip skip K is hidden state K from the end on SDXL too (raw, no final norm): every K of
     * each encoder against the reference hidden states, and the merged default is K = 2.
     */
    @ParameterizedTest(name = "tiny-sdxl clip skip on {0}")
    @MethodSource("backends")
    void sdxlClipSkipCountsFromTheEnd(String backend) throws IOException {
        try (TextEncoder enc = TextEncoder.open(ref("models/tiny-sdxl.safetensors"), options(backend, 2, 3));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sdxl.expected.safetensors"))) {
            int n = prompts().size();
            int[] layers = {3, 4}, widths = {32, 48};
            for (int e = 1; e <= 2; e++) {
                float[] hidden = exp.floats("e" + (e - 1) + "_hidden_states");
                int slab = n * 77 * widths[e - 1];
                for (int k = 1; k <= layers[e - 1] + 1; k++) {
                    int layer = layers[e - 1] + 1 - k;
                    float[] got = enc.encode(
                                    prompts(),
                                    EncodeRequest.of(TextOutput.CONDITIONING)
                                            .encoder(e)
                                            .clipSkip(k))
                            .conditioning()
                            .floats();
                    close(
                            got,
                            Arrays.copyOfRange(hidden, layer * slab, (layer + 1) * slab),
                            "encoder " + e + " clip skip " + k);
                }
            }
            Encoding skip2 = enc.encode(
                    prompts(), EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2));
            Encoding byDefault = enc.encode(prompts(), EncodeRequest.of(TextOutput.CONDITIONING));
            assertArrayEquals(
                    byDefault.conditioning().floats(), skip2.conditioning().floats(), "SDXL default is clip skip 2");
            float[] h0 = exp.floats("e0_hidden_states"), h1 = exp.floats("e1_hidden_states");
            int rows = n * 77;
            close(
                    skip2.encoder(1).conditioning().floats(),
                    Arrays.copyOfRange(h0, 2 * rows * 32, 3 * rows * 32),
                    "encoder1.conditioning = hidden_states[-2]");
            close(
                    skip2.encoder(2).conditioning().floats(),
                    Arrays.copyOfRange(h1, 3 * rows * 48, 4 * rows * 48),
                    "encoder2.conditioning = hidden_states[-2]");
        }
    }

    /** The experiment sdclip grew from, in miniature: SD 1.5's tower with CLIP's borrowed projection. */
    @ParameterizedTest(name = "borrowed projection on {0}")
    @MethodSource("backends")
    void sd15WithClipProjectionMatchesTheReference(String backend) throws IOException {
        try (TextEncoder sd = TextEncoder.open(
                        ref("models/tiny-sd15.safetensors"),
                        options(backend, 4).withProjection(ref("models/tiny-clip.safetensors")));
                TextEncoder clip = TextEncoder.open(ref("models/tiny-clip.safetensors"), options(backend, 4));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sd15.expected.safetensors"))) {
            float[] a = sd.encode(prompts(), EncodeRequest.pooledOnly())
                    .get("text_embeds")
                    .floats();
            float[] b = clip.encode(prompts(), EncodeRequest.pooledOnly())
                    .get("text_embeds")
                    .floats();
            close(a, exp.floats("text_embeds_clip_proj"), "text_embeds_clip_proj");
            float[] cos = exp.floats("cos_sim_vs_clip");
            for (int n = 0; n < cos.length; n++) {
                double c =
                        cosine(Arrays.copyOfRange(a, n * 32, n * 32 + 32), Arrays.copyOfRange(b, n * 32, n * 32 + 32));
                assertEquals(cos[n], c, 1e-6, "cosine of prompt " + n);
            }
        }
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static void compare(Encoding e, SafetensorsFile exp, String prefix) {
        long[] ids = exp.longs(prefix + "input_ids");
        assertArrayEquals(ids, e.get("input_ids").longs(), prefix + "input_ids");
        assertArrayEquals(
                exp.longs(prefix + "pooled_index"), e.get("pooled_index").longs(), prefix + "pooled_index");
        for (String name : new String[] {"hidden_states", "last_hidden_state", "pooled_output", "text_embeds"}) {
            // Only a model without a projection may lack text_embeds, and then the encoding must lack it too.
            boolean optional = name.equals("text_embeds") && !e.has(name);
            if (!exp.has(prefix + name)) {
                assertTrue(
                        optional,
                        prefix + name + " is missing from the expected file"
                                + (e.has(name) ? " but the encoding has it" : ""));
                continue;
            }
            assertTrue(e.has(name), "the encoding lacks " + name + ", expected as " + prefix + name);
            close(e.get(name).floats(), exp.floats(prefix + name), prefix + name);
            assertArrayEquals(exp.info(prefix + name).shape(), e.get(name).shape(), prefix + name + " shape");
        }
    }

    static void close(float[] actual, float[] expected, String what) {
        double err = Seeded.relativeError(actual, expected);
        assertTrue(err <= TOL, what + ": max|d|/max|expected| = " + err);
    }
}
