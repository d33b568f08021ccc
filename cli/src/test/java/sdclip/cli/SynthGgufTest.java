package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.engine.Device;
import sdclip.engine.QuantizedWeights;
import sdclip.model.Encoding;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufFile;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.synth.FormulaModel;
import sdclip.testdata.ReferenceData;

/**
 * {@code synth --dtype q8_0}: the full-size formula model written quantized as GGUF, in a child
 * JVM of 64 MB heap (the model is computed tensor by tensor while written, never held), then
 * encoded against the F32 formula model's reference outputs.
 */
class SynthGgufTest {
    @TempDir
    Path dir;

    @Test
    void q8_0FormulaModelIsQuantizedAndEncodesCloseToF32() throws Exception {
        Path out = dir.resolve("formula.q8_0.gguf");
        String err = StreamingTest.run(
                ChildCli.command(List.of("-Xmx64m"), "synth", "--output", out.toString(), "--dtype", "q8_0"),
                null,
                120);
        assertEquals(
                "wrote " + out + ": 197 tensors (F32 122, Q8_0 75), 131.7 MB",
                err.strip().lines().toList().getLast()); // after the JVM's incubator note
        try (GgufFile g = GgufFile.open(out)) {
            assertEquals(GgmlType.Q8_0, g.ggmlType("text_model.encoder.layers.0.self_attn.q_proj.weight"));
            assertEquals(GgmlType.Q8_0, g.ggmlType("text_model.encoder.layers.11.mlp.fc2.weight"));
            assertEquals(GgmlType.Q8_0, g.ggmlType("text_model.embeddings.token_embedding.weight"));
            assertEquals(GgmlType.F32, g.ggmlType("text_model.final_layer_norm.weight"), "1-D tensors stay F32");
            assertEquals(GgmlType.F32, g.ggmlType("text_model.encoder.layers.0.mlp.fc1.bias"));
            assertEquals(0, g.values().size(), "convert's layout: no metadata");
            // the blocks hold the formula's values, to within half a Q8_0 step (|values| < 1/32: step < 1/32/127)
            String name = "text_model.embeddings.position_embedding.weight";
            long seed = FormulaModel.fnv1a64(name);
            float[] got = new float[77 * 768];
            g.weights(name).copyTo(0, got, 0, got.length);
            double worst = 0;
            for (int i = 0; i < got.length; i++)
                worst = Math.max(worst, Math.abs(got[i] - (float) (0x1p-5 * FormulaModel.u(seed, i))));
            assertTrue(worst > 0 && worst <= 0x1p-5 / 127 / 2 * 1.01, "worst error " + worst);
        }
        try (Checkpoint c = Checkpoint.open(out, null)) {
            assertInstanceOf(
                    QuantizedWeights.class,
                    c.encoder(1)
                            .tensors()
                            .get("text_model.encoder.layers.0.mlp.fc1.weight")
                            .values(),
                    "the tower computes with the blocks");
        }
        TextEncoder.Options o = TextEncoder.Options.defaults()
                .withDevice(Device.parse("cpu"))
                .withThreads(2)
                .withTokenizer(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
        List<String> prompts = List.of("a diagram", "a photo of an astronaut riding a horse on mars");
        try (TextEncoder enc = TextEncoder.open(out, o);
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/full-sd15.expected.safetensors"))) {
            Encoding e = enc.encode(prompts);
            // the reference holds four prompts, these two among them: rows 0 and 3
            long[] ids = exp.longs("input_ids");
            assertArrayEquals(
                    Arrays.copyOfRange(ids, 3 * 77, 4 * 77),
                    Arrays.copyOfRange(e.get("input_ids").longs(), 77, 154));
            float[] want = exp.floats("last_hidden_state"),
                    got = e.get("last_hidden_state").floats();
            int row = 77 * 768;
            float[] w = new float[2 * row];
            System.arraycopy(want, 0, w, 0, row);
            System.arraycopy(want, 3 * row, w, row, row);
            double cos = QuantizedConvertTest.minRowCosine(w, got, 768);
            assertTrue(cos >= 0.999, "last_hidden_state worst row cosine " + cos);
            float[] embeds = exp.floats("text_embeds"), we = new float[2 * 768];
            System.arraycopy(embeds, 0, we, 0, 768);
            System.arraycopy(embeds, 3 * 768, we, 768, 768);
            double ce =
                    QuantizedConvertTest.minRowCosine(we, e.get("text_embeds").floats(), 768);
            assertTrue(ce >= 0.999, "text_embeds worst row cosine " + ce);
            assertTrue(cos < 1 - 1e-7, "quantized, so not the F32 model's output exactly: " + cos);
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(out), files.toList(), "no temporary left");
        }
    }
}
