package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.model.ModelConformanceTest.ref;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.HiddenAct;
import sdclip.model.checkpoint.Naming;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorType;

/**
 * The vision tower in its other layouts, built from tiny-clip's tensors: an OpenAI/OpenCLIP
 * {@code visual.*} file, a Hugging Face CLIPVisionModelWithProjection folder, and broken towers.
 */
class VisionLayoutsTest {
    @TempDir
    Path dir;

    private static final String[] LN = {"layer_norm1", "ln_1", "layer_norm2", "ln_2"};

    /** tiny-clip's vision tower renamed to OpenAI naming: in_proj fused, visual.proj as [W, P]. */
    private Path openAiFile(SafetensorsFile hf, int layers) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        String v = "vision_model.";
        w.addFloats(
                "visual.conv1.weight", new long[] {64, 3, 14, 14}, hf.floats(v + "embeddings.patch_embedding.weight"));
        w.addFloats("visual.class_embedding", new long[] {64}, hf.floats(v + "embeddings.class_embedding"));
        w.addFloats(
                "visual.positional_embedding",
                new long[] {257, 64},
                hf.floats(v + "embeddings.position_embedding.weight"));
        w.addFloats("visual.ln_pre.weight", new long[] {64}, hf.floats(v + "pre_layrnorm.weight"));
        w.addFloats("visual.ln_pre.bias", new long[] {64}, hf.floats(v + "pre_layrnorm.bias"));
        for (int l = 0; l < layers; l++) {
            String s = v + "encoder.layers." + l + ".", o = "visual.transformer.resblocks." + l + ".";
            for (int i = 0; i < 4; i += 2) {
                w.addFloats(o + LN[i + 1] + ".weight", new long[] {64}, hf.floats(s + LN[i] + ".weight"));
                w.addFloats(o + LN[i + 1] + ".bias", new long[] {64}, hf.floats(s + LN[i] + ".bias"));
            }
            float[] inW = new float[3 * 64 * 64], inB = new float[3 * 64];
            String[] qkv = {"q", "k", "v"};
            for (int i = 0; i < 3; i++) {
                System.arraycopy(hf.floats(s + "self_attn." + qkv[i] + "_proj.weight"), 0, inW, i * 64 * 64, 64 * 64);
                System.arraycopy(hf.floats(s + "self_attn." + qkv[i] + "_proj.bias"), 0, inB, i * 64, 64);
            }
            w.addFloats(o + "attn.in_proj_weight", new long[] {192, 64}, inW);
            w.addFloats(o + "attn.in_proj_bias", new long[] {192}, inB);
            w.addFloats(o + "attn.out_proj.weight", new long[] {64, 64}, hf.floats(s + "self_attn.out_proj.weight"));
            w.addFloats(o + "attn.out_proj.bias", new long[] {64}, hf.floats(s + "self_attn.out_proj.bias"));
            w.addFloats(o + "mlp.c_fc.weight", new long[] {256, 64}, hf.floats(s + "mlp.fc1.weight"));
            w.addFloats(o + "mlp.c_fc.bias", new long[] {256}, hf.floats(s + "mlp.fc1.bias"));
            w.addFloats(o + "mlp.c_proj.weight", new long[] {64, 256}, hf.floats(s + "mlp.fc2.weight"));
            w.addFloats(o + "mlp.c_proj.bias", new long[] {64}, hf.floats(s + "mlp.fc2.bias"));
        }
        w.addFloats("visual.ln_post.weight", new long[] {64}, hf.floats(v + "post_layernorm.weight"));
        w.addFloats("visual.ln_post.bias", new long[] {64}, hf.floats(v + "post_layernorm.bias"));
        float[] p = hf.floats("visual_projection.weight"), t = new float[p.length]; // [32, 64] -> [64, 32]
        for (int r = 0; r < 32; r++) for (int c = 0; c < 64; c++) t[c * 32 + r] = p[r * 64 + c];
        w.addFloats("visual.proj", new long[] {64, 32}, t);
        Path file = dir.resolve("openai-visual.safetensors");
        w.write(file);
        return file;
    }

    private Path hfVisionFolder(SafetensorsFile hf, String config) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        for (String n : hf.names()) {
            if (n.startsWith("vision_model.") || n.equals("visual_projection.weight"))
                w.addFloats(n, hf.info(n).shape(), hf.floats(n));
        }
        Path folder = Files.createDirectories(dir.resolve("vision-folder"));
        w.write(folder.resolve("model.safetensors"));
        Files.writeString(folder.resolve("config.json"), config);
        return folder;
    }

    @Test
    void openAiNamingGivesTheSameEmbeddings() throws IOException {
        try (SafetensorsFile hf = SafetensorsFile.open(ref("models/tiny-clip.safetensors"));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            Path file = openAiFile(hf, 2);
            try (Checkpoint c = Checkpoint.open(file, null, 4)) {
                assertEquals(Checkpoint.Family.CLIP_VISION, c.family());
                assertEquals(Naming.OPENAI, c.visionTower().naming());
                assertTrue(c.encoders().isEmpty());
            }
            try (ImageEncoder enc = ImageEncoder.open(
                    file, ImageEncoder.Options.defaults().withVisionHeads(4).withThreads(2))) {
                ImageEncoding e = enc.encode(exp.floats("pixel_values"), ImageRequest.standard());
                ModelConformanceTest.close(
                        e.imageEmbeds().floats(), exp.floats("image_embeds"), "image_embeds (openai naming)");
            }
            ModelFormatException noText = assertThrows(ModelFormatException.class, () -> TextEncoder.open(file));
            assertTrue(noText.getMessage().contains("has no text encoder"), noText.getMessage());
        }
    }

    @Test
    void huggingFaceVisionFolderTakesHeadsAndActivationFromConfig() throws IOException {
        try (SafetensorsFile hf = SafetensorsFile.open(ref("models/tiny-clip.safetensors"));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            Path folder = hfVisionFolder(
                    hf,
                    "{\"model_type\": \"clip_vision_model\", \"num_attention_heads\": 4, \"hidden_act\": \"quick_gelu\"}");
            try (ImageEncoder enc =
                    ImageEncoder.open(folder, ImageEncoder.Options.defaults().withThreads(2))) {
                assertEquals(4, enc.config().heads());
                assertEquals(HiddenAct.QUICK_GELU, enc.config().activation());
                assertEquals(Checkpoint.Family.CLIP_VISION, enc.checkpoint().family());
                ImageEncoding e = enc.encode(exp.floats("pixel_values"), ImageRequest.standard());
                ModelConformanceTest.close(
                        e.imageEmbeds().floats(), exp.floats("image_embeds"), "image_embeds (HF vision folder)");
            }
        }
    }

    @Test
    void inferredHeadsAreWidthOver64AndTheOverrideWins() throws IOException {
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-clip.safetensors"), new int[] {4})) {
            assertEquals(1, c.visionTower().config().heads()); // 64 / 64: why the reference models need --vision-heads
        }
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-clip.safetensors"), new int[] {4}, 4)) {
            assertEquals(4, c.visionTower().config().heads());
            assertEquals(257, c.visionTower().config().positions());
            assertArrayEquals(
                    new long[] {64, 3, 14, 14},
                    c.visionTower()
                            .tensor("vision_model.embeddings.patch_embedding.weight")
                            .shape());
        }
    }

    @Test
    void brokenTowersAreClearErrors() throws IOException {
        try (SafetensorsFile hf = SafetensorsFile.open(ref("models/tiny-clip.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String n : hf.names()) {
                if (n.equals("vision_model.post_layernorm.bias")) continue;
                if (n.equals("vision_model.embeddings.position_embedding.weight"))
                    w.addFloats(n, new long[] {256, 64}, new float[256 * 64]);
                else w.addFloats(n, hf.info(n).shape(), hf.floats(n));
            }
            Path file = dir.resolve("broken.safetensors");
            w.write(file);
            try (Checkpoint c = Checkpoint.open(file, null)) {
                assertEquals(64, c.encoders().getFirst().config().width()); // the text tower still opens
                SafetensorsException e = assertThrows(SafetensorsException.class, c::visionTower);
                assertTrue(e.getMessage().contains("256 positions"), e.getMessage());
            }
            ModelFormatException sd = assertThrows(
                    ModelFormatException.class, () -> ImageEncoder.open(ref("models/tiny-sd15.safetensors")));
            assertTrue(sd.getMessage().contains("has no CLIP vision tower"), sd.getMessage());
        }
    }

    /** OpenCLIP's ViT-H/14 and ViT-bigG/14 (widths 1280 and 1664): 16 heads of 80 and 104, exact GELU, from the shapes alone. */
    @Test
    void openClipBigTowersGetSixteenHeadsAndGelu() throws IOException {
        for (int w : new int[] {1280, 1664}) {
            SafetensorsWriter sw = new SafetensorsWriter();
            int mlp = 8, positions = 5; // a 2 x 2 patch grid: small, the shapes are what matters here
            zeros(sw, "visual.conv1.weight", w, 3, 14, 14);
            zeros(sw, "visual.class_embedding", w);
            zeros(sw, "visual.positional_embedding", positions, w);
            for (String n : new String[] {
                "visual.ln_pre",
                "visual.ln_post",
                "visual.transformer.resblocks.0.ln_1",
                "visual.transformer.resblocks.0.ln_2"
            }) {
                zeros(sw, n + ".weight", w);
                zeros(sw, n + ".bias", w);
            }
            String b = "visual.transformer.resblocks.0.";
            zeros(sw, b + "attn.in_proj_weight", 3 * w, w);
            zeros(sw, b + "attn.in_proj_bias", 3 * w);
            zeros(sw, b + "attn.out_proj.weight", w, w);
            zeros(sw, b + "attn.out_proj.bias", w);
            zeros(sw, b + "mlp.c_fc.weight", mlp, w);
            zeros(sw, b + "mlp.c_fc.bias", mlp);
            zeros(sw, b + "mlp.c_proj.weight", w, mlp);
            zeros(sw, b + "mlp.c_proj.bias", w);
            zeros(sw, "visual.proj", w, 1024);
            Path file = dir.resolve("openclip-" + w + ".safetensors");
            sw.write(file);
            try (Checkpoint c = Checkpoint.open(file, null)) {
                var cfg = c.visionTower().config();
                assertEquals(16, cfg.heads());
                assertEquals(w / 16, cfg.headDim());
                assertEquals(HiddenAct.GELU, cfg.activation());
                assertEquals(28, cfg.imageSize());
                assertEquals(1024, cfg.projectionDim());
                assertEquals(mlp, cfg.mlpWidth());
            }
            Files.delete(file);
        }
    }

    /** An F16 tensor of zeros (F16 zero is all zero bits). */
    private static void zeros(SafetensorsWriter w, String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        long bytes = 2 * n;
        w.add(name, TensorType.F16, shape, out -> {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            for (long left = bytes; left > 0; left -= buf.capacity()) {
                buf.clear().limit((int) Math.min(left, buf.capacity()));
                SafetensorsWriter.writeFully(out, buf);
            }
        });
    }
}
