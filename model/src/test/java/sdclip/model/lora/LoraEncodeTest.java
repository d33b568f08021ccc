package sdclip.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.Lora;
import sdclip.model.ModelFormatException;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.lora.LoraFixtures.Model;
import sdclip.model.lora.LoraFixtures.Stacked;
import sdclip.model.prompt.PromptSyntax;
import sdclip.testdata.ReferenceData;

/**
 * LoRAs on the tiny reference models, in every format sdclip reads, against the plain encode of
 * a checkpoint merged independently ({@link LoraFixtures#merged}): the production merge and the
 * test's compute the same expression in double in the same order and round once, so the merged
 * weights, and therefore every output, are equal bit for bit.
 */
class LoraEncodeTest {
    @TempDir
    Path dir;

    private static final List<String> PROMPTS =
            List.of("a photo of a cat", "an oil painting of a lighthouse at dusk, highly detailed", "");

    /** Networks on layers 0 and 1 of every kind of linear of {@code encoder} (as written) of width w and MLP m. */
    private static List<FakeNetwork> loras(int encoder, int w, int m, int rank, float alpha, long seed) {
        List<FakeNetwork> out = new ArrayList<>();
        int l = 0;
        for (String module : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"))
            out.add(FakeNetwork.lora(encoder, l++ % 2, module, w, w, rank, alpha, seed++));
        out.add(FakeNetwork.lora(encoder, 1, "mlp.fc1", m, w, rank, alpha, seed++));
        out.add(FakeNetwork.lora(encoder, 0, "mlp.fc2", w, m, rank, alpha, seed));
        return out;
    }

    private static TextEncoder open(Path model, Model m) throws IOException {
        return TextEncoder.open(
                model,
                TextEncoder.Options.defaults()
                        .withHeads(m.heads())
                        .withTokenizer(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"))
                        .withThreads(2));
    }

    private static Encoding encode(
            Path model, Model m, PromptOptions options, EncodeRequest request, List<String> prompts)
            throws IOException {
        try (TextEncoder enc = open(model, m)) {
            return enc.encode(prompts, request.prompts(options));
        }
    }

    private static void assertBitEqual(Encoding want, Encoding got) {
        assertEquals(want.tensors().keySet(), got.tensors().keySet());
        for (var e : want.tensors().entrySet()) {
            HostTensor w = e.getValue(), g = got.get(e.getKey());
            assertArrayEquals(w.shape(), g.shape(), e.getKey());
            if (w.dtype().equals("I64")) assertArrayEquals(w.longs(), g.longs(), e.getKey());
            else {
                float[] a = w.floats(), b = g.floats();
                for (int i = 0; i < a.length; i++)
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i]))
                        throw new AssertionError(e.getKey() + "[" + i + "]: expected " + a[i] + ", got " + b[i]);
            }
        }
    }

    /** Plain and A1111 encodes with the LoRAs equal the merged checkpoint's, bit for bit; and they differ from the base model's. */
    private void check(Model m, List<Stacked> stack, List<Lora> loras) throws IOException {
        Path merged = LoraFixtures.merged(m, stack, dir.resolve("merged-" + System.nanoTime() + ".safetensors"));
        for (PromptSyntax syntax : List.of(PromptSyntax.PLAIN, PromptSyntax.A1111)) {
            EncodeRequest request = syntax == PromptSyntax.PLAIN
                    ? EncodeRequest.standard()
                    : EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
            PromptOptions plain = PromptOptions.plain().withSyntax(syntax);
            Encoding want = encode(merged, m, plain, request, PROMPTS);
            Encoding got = encode(m.path(), m, plain.withLoras(loras), request, PROMPTS);
            assertBitEqual(want, got);
            Encoding base = encode(m.path(), m, plain, request, PROMPTS);
            assertFalse(
                    java.util.Arrays.equals(
                            base.conditioning().floats(), got.conditioning().floats()),
                    "the LoRA changes the conditioning");
        }
    }

    @Test
    void kohyaOnSd15EqualsTheMergedCheckpoint() throws IOException {
        List<FakeNetwork> nets = loras(0, 64, 256, 4, 2f, 1);
        // A UNet key is ignored.
        Path file = LoraFixtures.kohya(
                dir.resolve("k.safetensors"),
                nets,
                false,
                Map.of("lora_unet_down_blocks_0_attentions_0_proj_in.alpha", new float[] {4}));
        check(LoraFixtures.SD15, List.of(new Stacked(nets, 0.8)), List.of(new Lora(file, 0.8)));
    }

    @Test
    void f16FactorsAndTorchFilesGiveTheSameNetwork() throws IOException {
        List<FakeNetwork> nets = loras(0, 64, 256, 3, 1.5f, 11);
        Path f16 = LoraFixtures.kohya(dir.resolve("k16.safetensors"), nets, true, Map.of());
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (FakeNetwork n : nets) {
            for (var p : n.parts().entrySet()) {
                shapes.put(n.kohyaStem() + "." + p.getKey(), n.shapes().get(p.getKey()));
                values.put(n.kohyaStem() + "." + p.getKey(), p.getValue());
            }
            shapes.put(n.kohyaStem() + ".alpha", new long[] {});
            values.put(n.kohyaStem() + ".alpha", new float[] {n.alpha()});
        }
        Path pt = TorchZip.write(dir.resolve("k.pt"), shapes, values);
        check(LoraFixtures.SD15, List.of(new Stacked(nets, 1.0)), List.of(new Lora(f16, 1.0)));
        check(LoraFixtures.SD15, List.of(new Stacked(nets, 1.0)), List.of(new Lora(pt, 1.0)));
    }

    @Test
    void diffusersPeftWithAlphaFromTheMetadata() throws IOException {
        // PEFT's scale is lora_alpha / r from the adapter metadata: 8 / 4.
        List<FakeNetwork> nets = loras(1, 64, 256, 4, 8f, 21);
        Path file = LoraFixtures.diffusers(dir.resolve("d.safetensors"), nets, 8f, 4);
        check(LoraFixtures.SD15, List.of(new Stacked(nets, 0.5)), List.of(new Lora(file, 0.5)));
    }

    @Test
    void lohaAndLokrStackedWithALora() throws IOException {
        List<FakeNetwork> loha = List.of(
                FakeNetwork.loha(0, 0, "self_attn.q_proj", 64, 64, 2, 1f, 31),
                FakeNetwork.loha(0, 2, "mlp.fc1", 256, 64, 3, 6f, 32));
        List<FakeNetwork> lokr = List.of(
                FakeNetwork.lokr(0, 1, "self_attn.v_proj", 64, 64, 4, 8, 2, 4f, 33),
                FakeNetwork.lokr(0, 2, "mlp.fc1", 256, 64, 16, 4, 3, Float.NaN, 34));
        List<FakeNetwork> lora = loras(0, 64, 256, 2, Float.NaN, 35); // no alpha: scale 1
        Path a = LoraFixtures.kohya(dir.resolve("loha.safetensors"), loha, false, Map.of());
        Path b = LoraFixtures.kohya(dir.resolve("lokr.safetensors"), lokr, false, Map.of());
        Path c = LoraFixtures.kohya(dir.resolve("lora.safetensors"), lora, true, Map.of());
        check(
                LoraFixtures.SD15,
                List.of(new Stacked(loha, 0.7), new Stacked(lokr, -0.4), new Stacked(lora, 0.3)),
                List.of(new Lora(a, 0.7), new Lora(b, -0.4), new Lora(c, 0.3)));
    }

    @Test
    void kohyaNamesOnSd2sFusedAttention() throws IOException {
        // kohya's SD 2.x networks name HF modules; q, k and v go into row slices of in_proj_weight.
        List<FakeNetwork> nets = loras(0, 64, 256, 4, 3f, 41);
        Path file = LoraFixtures.kohya(dir.resolve("sd2.safetensors"), nets, false, Map.of());
        check(LoraFixtures.SD21, List.of(new Stacked(nets, 1.0)), List.of(new Lora(file, 1.0)));
    }

    @Test
    void sdxlBothEncodersTe1AndTe2() throws IOException {
        List<FakeNetwork> nets = new ArrayList<>(loras(1, 32, 128, 2, 1f, 51));
        nets.addAll(loras(2, 48, 192, 3, 2f, 61));
        Path file = LoraFixtures.kohya(dir.resolve("xl.safetensors"), nets, false, Map.of());
        check(LoraFixtures.SDXL, List.of(new Stacked(nets, 0.9)), List.of(new Lora(file, 0.9)));
        // Encoder 2 alone merges encoder 2 alone, and gives encoder 2's part of the full run.
        try (TextEncoder enc = open(LoraFixtures.SDXL.path(), LoraFixtures.SDXL)) {
            PromptOptions o = PromptOptions.plain().withLoras(List.of(new Lora(file, 0.9)));
            Encoding both = enc.encode(PROMPTS, EncodeRequest.standard().prompts(o));
            Encoding two =
                    enc.encode(PROMPTS, EncodeRequest.standard().encoder(2).prompts(o));
            assertArrayEquals(
                    both.get("encoder2.last_hidden_state").floats(),
                    two.get("last_hidden_state").floats());
        }
    }

    @Test
    void a1111TagsApplyPerPromptAndAMissingOneIsSkippedWithANote() throws IOException {
        Model m = LoraFixtures.SD15;
        List<FakeNetwork> nets = loras(0, 64, 256, 4, 2f, 71);
        Path folder = Files.createDirectories(dir.resolve("models/Lora/style"));
        LoraFixtures.kohya(folder.resolve("detail.safetensors"), nets, false, Map.of());
        Path merged = LoraFixtures.merged(m, List.of(new Stacked(nets, 0.6)), dir.resolve("m.safetensors"));
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT);
        PromptOptions a1111 = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        List<String> prompts = List.of(
                "a cat <lora:detail:0.6>, masterpiece", // the LoRA
                "a cat <lora:missing:1> <hypernet:x:1>, masterpiece", // skipped, ignored
                "a cat <lyco:detail:te=0.6:unet=0.2>, masterpiece"); // the LoRA, named weights
        try (TextEncoder enc = open(m.path(), m)) {
            PromptOptions o = a1111.withLoraFolders(List.of(dir.resolve("models/Lora")));
            Encoding got = enc.encode(prompts, request.prompts(o));
            List<String> notes = enc.notes(prompts, request.prompts(o));
            assertEquals(2, notes.size(), notes.toString());
            assertTrue(notes.get(0).startsWith("LoRA \"missing\" is in none of the LoRA folders"), notes.get(0));
            assertTrue(notes.get(1).startsWith("<hypernet:...> tags are removed"), notes.get(1));
            Encoding withLora = encode(merged, m, a1111, request, List.of("a cat , masterpiece"));
            Encoding without = encode(m.path(), m, a1111, request, List.of("a cat  , masterpiece"));
            float[] cond = got.conditioning().floats();
            int row = cond.length / 3;
            assertArrayEquals(withLora.conditioning().floats(), java.util.Arrays.copyOfRange(cond, 0, row));
            assertArrayEquals(without.conditioning().floats(), java.util.Arrays.copyOfRange(cond, row, 2 * row));
            assertArrayEquals(withLora.conditioning().floats(), java.util.Arrays.copyOfRange(cond, 2 * row, 3 * row));
            // Stream gives the same rows.
            List<float[]> streamed = new ArrayList<>();
            enc.stream(
                    prompts,
                    request.prompts(o),
                    (first, batch) -> streamed.add(batch.conditioning().floats()));
            float[] all = new float[cond.length];
            int at = 0;
            for (float[] b : streamed) {
                System.arraycopy(b, 0, all, at, b.length);
                at += b.length;
            }
            assertArrayEquals(cond, all);
            // Scheduled texts of a prompt with a tag are encoded with its LoRA, row by row.
            Encoding scheduled =
                    enc.encode(List.of("[a cat:a dog:0.5] <lora:detail:0.6>", "a fox"), request.prompts(o));
            Encoding expected = encode(merged, m, a1111, request, List.of("a cat ", "a dog "));
            Encoding fox = encode(m.path(), m, a1111, request, List.of("a fox"));
            float[] rows = scheduled.conditioning().floats(),
                    want = expected.conditioning().floats();
            assertArrayEquals(want, java.util.Arrays.copyOfRange(rows, 0, want.length));
            assertArrayEquals(
                    fox.conditioning().floats(), java.util.Arrays.copyOfRange(rows, want.length, rows.length));
            assertArrayEquals(
                    new long[] {0, 0, 1}, scheduled.get("schedule_prompt").longs());
        }
    }

    @Test
    void anUnknownTextEncoderKeyIsAnErrorNamingIt() throws IOException {
        List<FakeNetwork> nets = loras(0, 64, 256, 2, 1f, 81);
        Path file = LoraFixtures.kohya(
                dir.resolve("bad.safetensors"),
                nets,
                false,
                Map.of("lora_te_text_model_embeddings_token_embedding.alpha", new float[] {1}));
        ModelFormatException e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SD15.path(),
                        LoraFixtures.SD15,
                        PromptOptions.plain().withLoras(List.of(new Lora(file, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(
                e.getMessage()
                        .startsWith(
                                file
                                        + ": lora_te_text_model_embeddings_token_embedding.alpha is a text-encoder key sdclip cannot map"),
                e.getMessage());
        Path dora = LoraFixtures.kohya(
                dir.resolve("dora.safetensors"),
                nets,
                false,
                Map.of("lora_te_text_model_encoder_layers_0_self_attn_q_proj.dora_scale", new float[] {1}));
        e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SD15.path(),
                        LoraFixtures.SD15,
                        PromptOptions.plain().withLoras(List.of(new Lora(dora, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(e.getMessage().contains("\"dora_scale\" is not a part sdclip can apply"), e.getMessage());
    }

    @Test
    void aLoraForAnotherArchitectureIsRefused() throws IOException {
        List<FakeNetwork> xl = new ArrayList<>(loras(1, 32, 128, 2, 1f, 91));
        xl.addAll(loras(2, 48, 192, 2, 1f, 92));
        Path sdxlLora = LoraFixtures.kohya(dir.resolve("xl.safetensors"), xl, false, Map.of());
        ModelFormatException e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SD15.path(),
                        LoraFixtures.SD15,
                        PromptOptions.plain().withLoras(List.of(new Lora(sdxlLora, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(
                e.getMessage().contains("layer") || e.getMessage().contains("is for text encoder 2"), e.getMessage());
        Path sd15Lora =
                LoraFixtures.kohya(dir.resolve("sd15.safetensors"), loras(0, 64, 256, 2, 1f, 93), false, Map.of());
        e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SDXL.path(),
                        LoraFixtures.SDXL,
                        PromptOptions.plain().withLoras(List.of(new Lora(sd15Lora, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(
                e.getMessage().contains("is a lora_te_ key, for a model with one text encoder; this model has 2"),
                e.getMessage());
        Path te1Only =
                LoraFixtures.kohya(dir.resolve("te1.safetensors"), loras(1, 64, 256, 2, 1f, 94), false, Map.of());
        e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SDXL.path(),
                        LoraFixtures.SDXL,
                        PromptOptions.plain().withLoras(List.of(new Lora(te1Only, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(e.getMessage().contains("expected [2, 32]: a network for another model"), e.getMessage());
        Path deeper = LoraFixtures.kohya(
                dir.resolve("deeper.safetensors"),
                List.of(FakeNetwork.lora(0, 7, "mlp.fc1", 256, 64, 2, 1f, 95)),
                false,
                Map.of());
        e = assertThrows(
                ModelFormatException.class,
                () -> encode(
                        LoraFixtures.SD15.path(),
                        LoraFixtures.SD15,
                        PromptOptions.plain().withLoras(List.of(new Lora(deeper, 1))),
                        EncodeRequest.standard(),
                        PROMPTS));
        assertTrue(
                e.getMessage().contains("lora_te_text_model_encoder_layers_7_mlp_fc1.")
                        && e.getMessage()
                                .contains(" is for a layer the CLIP-L text encoder lacks (it has 3 layers):"
                                        + " a network for another model"),
                e.getMessage());
    }

    @Test
    void aUnetOnlyLoraChangesNothingAndSaysSo() throws IOException {
        Path file = LoraFixtures.kohya(
                dir.resolve("unet.safetensors"),
                List.of(),
                false,
                Map.of("lora_unet_mid_block_attentions_0_proj_in.alpha", new float[] {1}));
        Model m = LoraFixtures.SD15;
        PromptOptions o = PromptOptions.plain().withLoras(List.of(new Lora(file, 1)));
        assertBitEqual(
                encode(m.path(), m, PromptOptions.plain(), EncodeRequest.standard(), PROMPTS),
                encode(m.path(), m, o, EncodeRequest.standard(), PROMPTS));
        try (TextEncoder enc = open(m.path(), m)) {
            assertEquals(
                    List.of(
                            file
                                    + " has no text-encoder weights (a UNet-only network): it leaves the conditioning as it is"),
                    enc.notes(PROMPTS, EncodeRequest.standard().prompts(o)));
        }
    }
}
