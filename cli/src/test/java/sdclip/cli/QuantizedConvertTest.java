package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sdclip.engine.Device;
import sdclip.engine.QuantizedWeights;
import sdclip.model.Encoding;
import sdclip.model.ImageEncoder;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufFile;
import sdclip.model.json.Json;
import sdclip.testdata.ReferenceData;

/**
 * {@code convert --type q8_0|q4_k} on the tiny reference models, then computed quantized, against
 * the F32 checkpoint, worst row's cosine; the stored types llama.cpp's converters choose; towers
 * that hold the quantized blocks, not an F32 copy.
 *
 * <p>Issue #25's bounds (0.9995 for Q8_0, 0.995 for Q4_K) are for the real towers and are checked
 * here where the tiny random ones meet them: Q8_0 of tiny-sdxl (measured 0.99979 at worst) and of
 * tiny-clip's images (0.99993). tiny-sd15's 64-wide random layers lose more (Q8_0 0.99940, so
 * 0.999 here); and "q4_k" on these towers is mostly Q4_0, since their 64-wide rows are not whole
 * 256-value superblocks (only fc2 takes Q4_K): measured 0.9004 (tiny-sd15), 0.9284 (tiny-sdxl, its first encoder's last_hidden_state),
 * 0.9832 (images), guarded just below. The real towers' numbers are to be measured.
 */
class QuantizedConvertTest {
    @TempDir
    Path dir;

    static List<String> prompts() throws IOException {
        return ((List<?>) Json.parse(Files.readString(ReferenceData.require("expected/prompts.json"))))
                .stream().map(String.class::cast).toList();
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

    private Path convert(Path src, String type) {
        Path out = dir.resolve(src.getFileName() + "." + type + ".gguf");
        CliTest.Run r = CliTest.run("convert", src.toString(), out.toString(), "--type", type);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    private static TextEncoder.Options text() {
        return TextEncoder.Options.defaults()
                .withDevice(Device.parse("cpu"))
                .withThreads(2)
                .withTokenizer(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-sd15, q8_0, 0.999", "tiny-sd15, q4_k, 0.89", "tiny-sdxl, q8_0, 0.9995", "tiny-sdxl, q4_k, 0.92"})
    void conditioningStaysWithinTheBound(String model, String type, double bound) throws IOException {
        Path src = ReferenceData.require("models/" + model + ".safetensors");
        Path q = convert(src, type);
        List<String> prompts = prompts();
        try (TextEncoder base = TextEncoder.open(src, text());
                TextEncoder quant = TextEncoder.open(q, text())) {
            // the tiny towers' 64-wide rows are not whole Q4_K superblocks: most matrices fall back to Q4_0
            assertEquals(
                    type.equals("q8_0") ? "Q8_0" : "Q4_0",
                    quant.checkpoint().encoder(1).dtype());
            Encoding b = base.encode(prompts), z = quant.encode(prompts);
            for (String name : b.tensors().keySet()) {
                if (!b.get(name).isFloat()) continue;
                long[] shape = b.get(name).shape();
                double cos = minRowCosine(b.get(name).floats(), z.get(name).floats(), (int) shape[shape.length - 1]);
                assertTrue(cos >= bound, model + " " + type + " " + name + " worst row cosine " + cos);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"q8_0, 0.9995", "q4_k, 0.98"})
    void imageEmbedsStayWithinTheBound(String type, double bound) throws IOException {
        Path src = ReferenceData.require("models/tiny-clip.safetensors");
        Path q = convert(src, type);
        List<Path> images = List.of(
                ReferenceData.require("images/astronaut.png"),
                ReferenceData.require("images/chelsea.png"),
                ReferenceData.require("images/CLIP.png"));
        ImageEncoder.Options o = ImageEncoder.Options.defaults()
                .withDevice(Device.parse("cpu"))
                .withThreads(2)
                .withVisionHeads(4);
        try (ImageEncoder base = ImageEncoder.open(src, o);
                ImageEncoder quant = ImageEncoder.open(q, o)) {
            double cos = minRowCosine(
                    base.encode(images).imageEmbeds().floats(),
                    quant.encode(images).imageEmbeds().floats(),
                    32);
            assertTrue(cos >= bound, type + " image_embeds worst row cosine " + cos);
        }
    }

    /** The type is case-insensitive (Q8_0 as llama.cpp prints it); f16 keeps 1-D tensors F32 as the quantized types do. */
    @Test
    void upperCaseTypeAndF16KeepNormsF32() throws IOException {
        Path src = ReferenceData.require("models/tiny-sd15.safetensors");
        String p = "cond_stage_model.transformer.text_model.";
        try (GgufFile g = GgufFile.open(convert(src, "Q8_0"))) {
            assertEquals(GgmlType.Q8_0, g.ggmlType(p + "encoder.layers.0.mlp.fc1.weight"));
        }
        try (GgufFile g = GgufFile.open(convert(src, "f16"))) {
            assertEquals(GgmlType.F16, g.ggmlType(p + "encoder.layers.0.mlp.fc1.weight"));
            assertEquals(GgmlType.F32, g.ggmlType(p + "final_layer_norm.weight"));
            assertEquals(GgmlType.F32, g.ggmlType(p + "encoder.layers.0.mlp.fc1.bias"));
        }
    }

    /** Matrices quantized, norms and biases F32 (as llama.cpp converts), and the towers read the blocks in place. */
    @Test
    void towersHoldTheQuantizedBlocks() throws IOException {
        Path src = ReferenceData.require("models/tiny-sd15.safetensors");
        Path q = convert(src, "q8_0");
        try (GgufFile g = GgufFile.open(q)) {
            assertEquals(GgmlType.F32, g.ggmlType("cond_stage_model.transformer.text_model.final_layer_norm.weight"));
            assertEquals(
                    GgmlType.F32, g.ggmlType("cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.bias"));
            assertEquals(
                    GgmlType.Q8_0,
                    g.ggmlType("cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight"));
            assertEquals(0, g.values().size(), "stable-diffusion.cpp's layout: no metadata");
        }
        try (Checkpoint c = Checkpoint.open(q, null)) {
            long quantized = 0, f32 = 0;
            for (TextTower.Tensor t : c.encoder(1).tensors().values()) {
                if (t.shape().length == 2 && t.name().endsWith("proj.weight")) {
                    QuantizedWeights w = assertInstanceOf(QuantizedWeights.class, t.values(), t.name());
                    quantized += w.segment().byteSize();
                    f32 += w.size() * 4;
                }
            }
            assertTrue(quantized > 0);
            assertEquals(34.0 / 128, (double) quantized / f32, 1e-9, "Q8_0 blocks in place: 34 bytes per 32 values");
        }
    }
}
