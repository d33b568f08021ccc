package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.engine.Device;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.HiddenAct;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufFile;
import sdclip.model.gguf.GgufTestWriter;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.GgufFixtures;
import sdclip.testdata.Seeded;

/**
 * The three GGUF layouts encode like the checkpoints they were converted from: bit for bit when
 * the GGUF holds the same F32/F16 values, and within a stated cosine when it holds Q8_0.
 * stable-diffusion.cpp and Hugging Face-named files are converted from the reference models at
 * test time by {@link GgufTestWriter} (gguf-py's layout, byte for byte; the conversions are
 * megabytes, too big to commit); the llama.cpp CLIP file is gguf-py's own fixture.
 */
class GgufLayoutsTest {
    @TempDir
    Path dir;

    /** Q8_0 of these tiny random towers stays this close to F32/F16, row by row (measured: 0.99966 for CLIP-L's text_embeds, 0.99992
     * for the vision tower's image_embeds). */
    static final double Q8_0_COSINE = 0.9995;

    /**
     * The same with every tensor whose rows are whole blocks quantized, layer norms included, as
     * stable-diffusion.cpp does (measured: 0.99927 at worst, SD 1.x conditioning; 0.9996 SD 2.x, 0.9998
     * SDXL).
     */
    static final double Q8_0_ALL_COSINE = 0.999;

    static Path ref(String p) {
        return ModelConformanceTest.ref(p);
    }

    /** How a converter stores each tensor. */
    enum Store {
        /** As in the source; I64 as I32 (stable-diffusion.cpp narrows position_ids). */
        KEEP,
        /** Q8_0 where rows are whole blocks, 1-D norms and biases too (stable-diffusion.cpp --type q8_0). */
        Q8_0_ALL,
        /** Q8_0 for 2-D {@code .weight} tensors only (llama.cpp's CLIP quantizer). */
        Q8_0_MATRICES
    }

    static Path convert(Path src, Path out, UnaryOperator<String> rename, Store how, GgufTestWriter w)
            throws IOException {
        try (TensorStore s = Checkpoint.openTensors(src)) {
            for (String name : s.names()) {
                String to = rename.apply(name);
                if (to == null) continue;
                TensorInfo t = s.info(name);
                long[] shape = t.shape();
                long rows = shape.length == 0 ? 1 : shape[shape.length - 1];
                boolean floats = t.type().computeType() != null;
                boolean quantize = floats
                        && rows % 32 == 0
                        && (how == Store.Q8_0_ALL
                                || (how == Store.Q8_0_MATRICES && shape.length == 2 && to.endsWith(".weight")));
                if (quantize) w.tensor(to, GgmlType.Q8_0, shape, GgufTestWriter.q8_0(s.floats(name)));
                else if (t.type() == TensorType.I64) {
                    long[] v = s.longs(name);
                    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    for (long x : v) b.putInt((int) x);
                    w.tensor(to, GgmlType.I32, shape, b.array());
                } else {
                    GgmlType type = GgmlType.parse(t.type().name());
                    w.tensor(to, type, shape, s.bytes(name).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
        return w.write(out);
    }

    static double minRowCosine(float[] a, float[] b, int width) {
        double worst = 1;
        for (int r = 0; r < a.length / width; r++) {
            double ab = 0, aa = 0, bb = 0;
            for (int i = r * width; i < (r + 1) * width; i++) {
                ab += (double) a[i] * b[i];
                aa += (double) a[i] * a[i];
                bb += (double) b[i] * b[i];
            }
            if (aa > 0 && bb > 0) worst = Math.min(worst, ab / Math.sqrt(aa * bb));
        }
        return worst;
    }

    private static void sameFloats(HostTensor want, HostTensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        assertArrayEquals(want.floats(), got.floats(), what);
    }

    /** stable-diffusion.cpp's conversions keep the checkpoint's names and add no metadata at all. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15", "tiny-sd21", "tiny-sdxl"})
    void stableDiffusionCppConversionsEncodeLikeTheirCheckpoints(String model) throws IOException {
        Path src = ref("models/" + model + ".safetensors");
        Path f16 = convert(src, dir.resolve(model + ".f16.gguf"), n -> n, Store.KEEP, new GgufTestWriter());
        Path q8 = convert(src, dir.resolve(model + ".q8_0.gguf"), n -> n, Store.Q8_0_ALL, new GgufTestWriter());
        List<String> prompts = ModelConformanceTest.prompts();
        try (TextEncoder base = TextEncoder.open(src, ModelConformanceTest.options("cpu"));
                TextEncoder same = TextEncoder.open(f16, ModelConformanceTest.options("cpu"));
                TextEncoder quant = TextEncoder.open(q8, ModelConformanceTest.options("cpu"))) {
            assertEquals(base.checkpoint().family(), same.checkpoint().family());
            assertEquals(
                    base.checkpoint().layout() + " (gguf)", same.checkpoint().layout());
            try (GgufFile g = GgufFile.open(f16)) {
                assertTrue(g.values().size() == 0, "no metadata, not even general.architecture");
            }
            assertEquals("F16", same.checkpoint().encoder(1).dtype());
            assertEquals("Q8_0", quant.checkpoint().encoder(1).dtype());
            Encoding b = base.encode(prompts), s = same.encode(prompts), q = quant.encode(prompts);
            for (String name : b.tensors().keySet()) {
                if (!b.get(name).isFloat()) continue;
                sameFloats(b.get(name), s.get(name), model + " " + name);
                long[] shape = b.get(name).shape();
                int width = (int) shape[shape.length - 1];
                double cos = minRowCosine(b.get(name).floats(), q.get(name).floats(), width);
                assertTrue(cos >= Q8_0_ALL_COSINE, model + " " + name + " Q8_0 cosine " + cos);
                assertFalse(
                        java.util.Arrays.equals(
                                b.get(name).floats(), q.get(name).floats()),
                        name);
            }
        }
    }

    /** A text encoder alone under Hugging Face names (ComfyUI-GGUF's CLIP-L files), F32 and Q8_0. */
    @Test
    void huggingFaceNamedTextEncoders() throws IOException {
        Path src = ref("models/tiny-clip.safetensors");
        UnaryOperator<String> textOnly =
                n -> n.startsWith("text_model.") || n.equals("text_projection.weight") ? n : null;
        Path f32 = convert(src, dir.resolve("clip-l.gguf"), textOnly, Store.KEEP, new GgufTestWriter());
        Path q8 = convert(src, dir.resolve("clip-l.q8_0.gguf"), textOnly, Store.Q8_0_ALL, new GgufTestWriter());
        List<String> prompts = ModelConformanceTest.prompts();
        try (TextEncoder base = TextEncoder.open(src, ModelConformanceTest.options("cpu", 4));
                TextEncoder same = TextEncoder.open(f32, ModelConformanceTest.options("cpu", 4));
                TextEncoder quant = TextEncoder.open(q8, ModelConformanceTest.options("cpu", 4))) {
            assertEquals(Checkpoint.Family.CLIP_TEXT, same.checkpoint().family());
            assertEquals("huggingface (gguf)", same.checkpoint().layout());
            EncodeRequest r = EncodeRequest.standard().with(TextOutput.TEXT_EMBEDS);
            Encoding b = base.encode(prompts, r), s = same.encode(prompts, r), q = quant.encode(prompts, r);
            sameFloats(b.get("text_embeds"), s.get("text_embeds"), "text_embeds");
            sameFloats(b.get("conditioning"), s.get("conditioning"), "conditioning");
            double cos = minRowCosine(
                    b.get("text_embeds").floats(), q.get("text_embeds").floats(), 32);
            assertTrue(cos >= Q8_0_COSINE, "Q8_0 text_embeds cosine " + cos);
        }
    }

    static ImageEncoder.Options imageOptions() {
        // no head count given: a llama.cpp file's clip.vision.attention.head_count (4) must be used, not width / 64
        return ImageEncoder.Options.defaults().withDevice(Device.parse("cpu")).withThreads(2);
    }

    static List<Path> images() throws IOException {
        return List.of(ref("images/astronaut.png"), ref("images/chelsea.png"), ref("images/CLIP.png"));
    }

    /**
     * gguf-py's conversion of tiny-clip's vision tower as llama.cpp's convert_image_encoder_to_gguf.py writes it
     * (2-D and 4-D weights F16): image embeddings bit for bit those of tiny-clip with the same tensors rounded to F16.
     */
    @Test
    void llamaCppClipVisionFileEncodesImages() throws IOException {
        Path gguf = GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir);
        Path rounded = dir.resolve("tiny-clip-rounded.safetensors");
        try (SafetensorsFile clip = SafetensorsFile.open(ref("models/tiny-clip.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String n : clip.names()) {
                TensorInfo t = clip.info(n);
                boolean f16 = (n.startsWith("vision_model.") || n.equals("visual_projection.weight"))
                        && (t.rank() == 4 || (t.rank() == 2 && n.endsWith(".weight")));
                if (f16)
                    w.addBytes(
                            n,
                            TensorType.F16,
                            t.shape(),
                            java.lang.foreign.MemorySegment.ofArray(GgufTestWriter.f16(clip.floats(n))));
                else w.addBytes(n, t.type(), t.shape(), clip.bytes(n));
            }
            w.write(rounded);
        }
        Path q8 = dir.resolve("tiny-clip-vision.q8_0.gguf");
        GgufTestWriter qw = new GgufTestWriter().string("general.architecture", "clip");
        try (GgufFile g = GgufFile.open(gguf)) {
            qw.u32("clip.vision.attention.head_count", g.integer("clip.vision.attention.head_count"))
                    .bool("clip.use_gelu", false);
        }
        convert(gguf, q8, n -> n, Store.Q8_0_MATRICES, qw);
        try (ImageEncoder base = ImageEncoder.open(rounded, imageOptions().withVisionHeads(4));
                ImageEncoder same = ImageEncoder.open(gguf, imageOptions());
                ImageEncoder quant = ImageEncoder.open(q8, imageOptions())) {
            Checkpoint c = same.checkpoint();
            assertEquals(Checkpoint.Family.CLIP_VISION, c.family());
            assertEquals("llama.cpp clip (gguf)", c.layout());
            assertEquals(4, c.visionTower().config().heads());
            assertEquals(HiddenAct.QUICK_GELU, c.visionTower().config().activation());
            assertEquals("F16", c.visionTower().dtype());
            assertEquals("Q8_0", quant.checkpoint().visionTower().dtype());
            HostTensor want = base.encode(images()).imageEmbeds();
            sameFloats(want, same.encode(images()).imageEmbeds(), "image_embeds");
            double cos = minRowCosine(
                    want.floats(), quant.encode(images()).imageEmbeds().floats(), 32);
            assertTrue(cos >= Q8_0_COSINE, "Q8_0 image_embeds cosine " + cos);
        }
    }

    /**
     * Quantized GGUF files on OpenCL, whose kernels read the Q8_0 blocks (token and position
     * embeddings included), encode as on the CPU backend within F32 accumulation error; so does the
     * llama.cpp F16 vision file, whose F32 class table comes with F16 positions.
     */
    @Test
    void quantizedFilesEncodeOnOpenClAsOnTheCpu() throws IOException {
        Assumptions.assumeTrue(ModelConformanceTest.backends().anyMatch("opencl"::equals), "no OpenCL device");
        UnaryOperator<String> textOnly =
                n -> n.startsWith("text_model.") || n.equals("text_projection.weight") ? n : null;
        Path text = convert(
                ref("models/tiny-clip.safetensors"),
                dir.resolve("clip-l.q8_0.gguf"),
                textOnly,
                Store.Q8_0_ALL,
                new GgufTestWriter());
        EncodeRequest r = EncodeRequest.standard().with(TextOutput.TEXT_EMBEDS);
        try (TextEncoder cpu = TextEncoder.open(text, ModelConformanceTest.options("cpu", 4));
                TextEncoder cl = TextEncoder.open(text, ModelConformanceTest.options("opencl", 4))) {
            assertEquals("Q8_0", cl.checkpoint().encoder(1).dtype());
            for (String name : new String[] {"text_embeds", "conditioning"}) {
                float[] want =
                        cpu.encode(ModelConformanceTest.prompts(), r).get(name).floats();
                float[] got =
                        cl.encode(ModelConformanceTest.prompts(), r).get(name).floats();
                double err = Seeded.relativeError(got, want);
                assertTrue(err <= ModelConformanceTest.TOL, "Q8_0 " + name + " on OpenCL: " + err);
            }
        }
        Path f16 = GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir);
        Path q8 = dir.resolve("tiny-clip-vision.q8_0.gguf");
        GgufTestWriter qw = new GgufTestWriter().string("general.architecture", "clip");
        try (GgufFile g = GgufFile.open(f16)) {
            qw.u32("clip.vision.attention.head_count", g.integer("clip.vision.attention.head_count"))
                    .bool("clip.use_gelu", false);
        }
        convert(f16, q8, n -> n, Store.Q8_0_MATRICES, qw);
        for (Path file : List.of(f16, q8)) {
            try (ImageEncoder cpu = ImageEncoder.open(file, imageOptions());
                    ImageEncoder cl = ImageEncoder.open(file, imageOptions().withDevice(Device.parse("opencl")))) {
                float[] want = cpu.encode(images()).imageEmbeds().floats();
                float[] got = cl.encode(images()).imageEmbeds().floats();
                double err = Seeded.relativeError(got, want);
                assertTrue(err <= ModelConformanceTest.TOL, file.getFileName() + " on OpenCL: " + err);
            }
        }
    }

    /** llama.cpp's naming of a CLIPModel key (get_tensor_name of convert_image_encoder_to_gguf.py). */
    static String llamaCppName(String n) {
        if (n.contains("projection")) return n;
        if (n.equals("logit_scale") || n.endsWith("position_ids")) return null;
        String[][] r = {
            {"text_model", "t"},
            {"vision_model", "v"},
            {"encoder.layers", "blk"},
            {"embeddings.", ""},
            {"_proj", ""},
            {"self_attn.", "attn_"},
            {"layer_norm", "ln"},
            {"layernorm", "ln"},
            {"mlp.fc1", "ffn_down"},
            {"mlp.fc2", "ffn_up"},
            {"embedding", "embd"},
            {"final", "post"},
            {"layrnorm", "ln"}
        };
        for (String[] p : r) n = n.replace(p[0], p[1]);
        return n;
    }

    /** A two-tower llama.cpp CLIP file (F32) scores as tiny-clip does: both towers' embeddings bit for bit. */
    @Test
    void llamaCppTwoTowerFileScores() throws IOException {
        Path src = ref("models/tiny-clip.safetensors");
        GgufTestWriter w = new GgufTestWriter()
                .string("general.architecture", "clip")
                .bool("clip.has_text_encoder", true)
                .bool("clip.has_vision_encoder", true)
                .u32("clip.text.attention.head_count", 4)
                .u32("clip.vision.attention.head_count", 4)
                .bool("clip.use_gelu", false);
        Path gguf = convert(src, dir.resolve("tiny-clip.gguf"), GgufLayoutsTest::llamaCppName, Store.KEEP, w);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertTrue(g.names().contains("v.blk.1.ffn_down.weight"));
            assertArrayEquals(
                    new long[] {256, 64}, g.info("v.blk.1.ffn_down.weight").shape(), "fc1 as ffn_down");
            assertTrue(g.names().contains("t.post_ln.weight"));
        }
        List<String> prompts = ModelConformanceTest.prompts();
        try (ImageEncoder baseImages = ImageEncoder.open(src, imageOptions().withVisionHeads(4));
                ImageEncoder images = ImageEncoder.open(gguf, imageOptions());
                TextEncoder baseText = TextEncoder.open(src, ModelConformanceTest.options("cpu", 4));
                TextEncoder text = TextEncoder.open(gguf, ModelConformanceTest.options("cpu"))) {
            assertEquals(Checkpoint.Family.CLIP, text.checkpoint().family());
            assertEquals(4, text.checkpoint().encoder(1).config().heads(), "clip.text.attention.head_count");
            sameFloats(
                    baseImages.encode(images()).imageEmbeds(),
                    images.encode(images()).imageEmbeds(),
                    "image");
            EncodeRequest r = EncodeRequest.pooledOnly();
            sameFloats(
                    baseText.encode(prompts, r).get("text_embeds"),
                    text.encode(prompts, r).get("text_embeds"),
                    "text");
        }
    }

    @Test
    void clipUseGeluPicksTheVisionActivation() throws IOException {
        Path gguf = GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir);
        GgufTestWriter w =
                new GgufTestWriter().string("general.architecture", "clip").bool("clip.use_gelu", true);
        Path gelu = convert(gguf, dir.resolve("gelu.gguf"), n -> n, Store.KEEP, w);
        try (Checkpoint c = Checkpoint.open(gelu, null, 4)) {
            assertEquals(HiddenAct.GELU, c.visionTower().config().activation());
        }
    }

    @Test
    void multimodalProjectorsAreRefusedSayingWhy() throws IOException {
        Path gguf = GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir);
        GgufTestWriter w =
                new GgufTestWriter().string("general.architecture", "clip").bool("clip.has_llava_projector", true);
        Path mmproj = convert(gguf, dir.resolve("mmproj-tiny.gguf"), n -> n, Store.KEEP, w);
        ModelFormatException e = assertThrows(
                ModelFormatException.class, () -> Checkpoint.open(mmproj, null).close());
        assertTrue(e.getMessage().startsWith(mmproj + ": is a multimodal projector (mmproj)"), e.getMessage());
    }
}
