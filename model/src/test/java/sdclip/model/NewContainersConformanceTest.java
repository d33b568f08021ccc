package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.testdata.Seeded;

/**
 * PyTorch checkpoints, SD3 and Flux single files and prefix-less Hugging Face text models
 * against the reference expected tensors (section 6 of the reference README).
 */
class NewContainersConformanceTest {
    @TempDir
    Path dir;

    static Path ref(String p) {
        return ModelConformanceTest.ref(p);
    }

    /** Both torch formats hold tiny-sd15's F16 tensors: the same outputs, bit for bit, as the safetensors file. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15.ckpt", "tiny-sd15-torch-legacy.ckpt", "tiny-flux.safetensors"})
    void encodeLikeTinySd15(String model) throws IOException {
        EncodeRequest all = EncodeRequest.standard().with(TextOutput.HIDDEN_STATES);
        try (TextEncoder enc = TextEncoder.open(ref("models/" + model), ModelConformanceTest.options("cpu", 4));
                TextEncoder base =
                        TextEncoder.open(ref("models/tiny-sd15.safetensors"), ModelConformanceTest.options("cpu", 4));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sd15.expected.safetensors"))) {
            assertEquals(
                    model.startsWith("tiny-flux") ? Checkpoint.Family.FLUX : Checkpoint.Family.SD1,
                    enc.checkpoint().family());
            Encoding e = enc.encode(ModelConformanceTest.prompts(), all);
            ModelConformanceTest.compare(e, exp, "");
            ModelConformanceTest.close(
                    e.get("conditioning").floats(), exp.floats("last_hidden_state"), "default conditioning");
            Encoding b = base.encode(ModelConformanceTest.prompts(), all);
            for (String name : b.tensors().keySet()) {
                if (b.get(name).isFloat())
                    assertArrayEquals(b.get(name).floats(), e.get(name).floats(), name);
                else assertArrayEquals(b.get(name).longs(), e.get(name).longs(), name);
            }
        }
    }

    @Test
    void sd3MatchesTinySdxlsEncoders() throws IOException {
        try (TextEncoder enc = TextEncoder.open(
                        ref("models/tiny-sd3.safetensors"), ModelConformanceTest.options("cpu", 2, 3));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sdxl.expected.safetensors"))) {
            Checkpoint c = enc.checkpoint();
            assertEquals(Checkpoint.Family.SD3, c.family());
            assertEquals(2, c.t5Tensors(), "the T5 stub is listed");
            var prompts = ModelConformanceTest.prompts();
            ModelConformanceTest.compare(
                    enc.encode(prompts, EncodeRequest.standard().encoder(1).with(TextOutput.HIDDEN_STATES)),
                    exp,
                    "e0_");
            ModelConformanceTest.compare(
                    enc.encode(prompts, EncodeRequest.standard().encoder(2).with(TextOutput.HIDDEN_STATES)),
                    exp,
                    "e1_");
            Encoding both = enc.encode(prompts);
            int n = prompts.size(), rows = n * 77, d0 = 32, d1 = 48, p1 = 40;
            float[] h0 = exp.floats("e0_hidden_states"), h1 = exp.floats("e1_hidden_states");
            float[] want = new float[rows * (d0 + d1)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(h0, 2 * rows * d0 + r * d0, want, r * (d0 + d1), d0);
                System.arraycopy(h1, 3 * rows * d1 + r * d1, want, r * (d0 + d1) + d0, d1);
            }
            assertArrayEquals(
                    new long[] {n, 77, d0 + d1}, both.get("conditioning").shape());
            ModelConformanceTest.close(both.get("conditioning").floats(), want, "sd3 conditioning");
            // The pooled vector of sd3_infer.py: CLIP-L's pooled output (unprojected), then CLIP-G's projected one.
            float[] l = exp.floats("e0_pooled_output"),
                    g = exp.floats("e1_text_embeds"),
                    pooled = new float[n * (d0 + p1)];
            for (int r = 0; r < n; r++) {
                System.arraycopy(l, r * d0, pooled, r * (d0 + p1), d0);
                System.arraycopy(g, r * p1, pooled, r * (d0 + p1) + d0, p1);
            }
            assertArrayEquals(new long[] {n, d0 + p1}, both.get("pooled_output").shape());
            ModelConformanceTest.close(both.get("pooled_output").floats(), pooled, "sd3 pooled");
            assertFalse(both.has("text_embeds"), "SD3 has no single text_embeds");
            ModelConformanceTest.close(both.get("encoder2.text_embeds").floats(), g, "encoder2.text_embeds");
            assertArrayEquals(
                    exp.longs("e1_input_ids"), both.get("encoder2.input_ids").longs(), "CLIP-G pads with 0");
            // The pooled-only path builds the same vector.
            ModelConformanceTest.close(
                    enc.encode(prompts, EncodeRequest.pooledOnly())
                            .get("pooled_output")
                            .floats(),
                    pooled,
                    "sd3 pooled-only");
        }
    }

    /** tiny-clip with every text_model. prefix dropped, as recent transformers save a CLIPTextModel. */
    @Test
    void huggingFaceWithoutTextModelPrefix() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("bare"));
        try (SafetensorsFile clip = SafetensorsFile.open(ref("models/tiny-clip.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String name : clip.names()) {
                if (!name.startsWith("text_model.") && !name.equals("text_projection.weight")) continue;
                TensorInfo t = clip.info(name);
                w.addBytes(name.replaceFirst("^text_model\\.", ""), t.type(), t.shape(), clip.bytes(name));
            }
            w.write(folder.resolve("model.safetensors"));
            Files.copy(folder.resolve("model.safetensors"), dir.resolve("bare.safetensors"));
        }
        for (Path model : new Path[] {folder, dir.resolve("bare.safetensors")}) {
            try (TextEncoder enc = TextEncoder.open(model, ModelConformanceTest.options("cpu", 4));
                    SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
                assertEquals(Checkpoint.Family.CLIP_TEXT, enc.checkpoint().family());
                assertEquals("", enc.checkpoint().encoder(1).prefix());
                ModelConformanceTest.compare(
                        enc.encode(
                                ModelConformanceTest.prompts(),
                                EncodeRequest.standard().with(TextOutput.HIDDEN_STATES)),
                        exp,
                        "");
            }
        }
    }

    @Test
    void resultsMatchTheReferenceWithinOneInAMillionOfTheSafetensorsRun() throws IOException {
        // The torch file's tensors are the safetensors file's bytes: errors against the float64 reference are the same
        // too.
        try (TextEncoder enc = TextEncoder.open(
                        ref("models/tiny-sd15-torch-legacy.ckpt"), ModelConformanceTest.options("cpu", 4));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-sd15.expected.safetensors"))) {
            double err = Seeded.relativeError(
                    enc.encode(ModelConformanceTest.prompts())
                            .get("last_hidden_state")
                            .floats(),
                    exp.floats("last_hidden_state"));
            assertTrue(err <= 1e-6, "max|d|/max|expected| = " + err);
        }
    }
}
