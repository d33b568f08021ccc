package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.cli.CliTest.ref;
import static sdclip.cli.CliTest.run;
import static sdclip.cli.CliTest.vocab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Lora;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.testdata.Seeded;

/** {@code --lora}, {@code --loras} and A1111's LoRA tags through the commands. */
class LoraCliTest {
    @TempDir
    Path dir;

    /** A kohya LoRA of rank 2 on layer 0's q and fc1 of the tiny SD 1.5 model (width 64, MLP 256). */
    static Path lora(Path file, String... extraKeys) throws IOException {
        Seeded s = new Seeded(5);
        SafetensorsWriter w = new SafetensorsWriter();
        String q = "lora_te_text_model_encoder_layers_0_self_attn_q_proj",
                fc1 = "lora_te_text_model_encoder_layers_0_mlp_fc1";
        w.addFloats(q + ".lora_down.weight", new long[] {2, 64}, s.normal(128, 1));
        w.addFloats(q + ".lora_up.weight", new long[] {64, 2}, s.normal(128, 1));
        w.addFloats(q + ".alpha", new long[] {}, new float[] {1});
        w.addFloats(fc1 + ".lora_down.weight", new long[] {2, 64}, s.normal(128, 1));
        w.addFloats(fc1 + ".lora_up.weight", new long[] {256, 2}, s.normal(512, 1));
        w.addFloats("lora_unet_mid_block_attentions_0_proj_in.alpha", new long[] {}, new float[] {1});
        for (String k : extraKeys) w.addFloats(k, new long[] {}, new float[] {1});
        Files.createDirectories(file.getParent());
        w.write(file);
        return file;
    }

    private static String[] encode(String... more) {
        return CliTest.encodeTinySd15(more);
    }

    private static float[] library(String prompt, PromptOptions options) throws IOException {
        try (TextEncoder enc = TextEncoder.open(
                Path.of(ref("models/tiny-sd15.safetensors")),
                TextEncoder.Options.defaults().withHeads(4).withTokenizer(Path.of(vocab())))) {
            EncodeRequest request = options.syntax() == PromptSyntax.PLAIN
                    ? EncodeRequest.standard()
                    : EncodeRequest.of(sdclip.model.TextOutput.CONDITIONING);
            return enc.encode(List.of(prompt), request.prompts(options))
                    .conditioning()
                    .floats();
        }
    }

    @Test
    void loraByFileAndByNameEqualsTheLibrary() throws IOException {
        Path file = lora(dir.resolve("models/Lora/styles/detail.safetensors"));
        float[] want = library("a photo of a cat", PromptOptions.plain().withLoras(List.of(new Lora(file, 0.5))));
        float[] base = library("a photo of a cat", PromptOptions.plain());
        assertFalse(java.util.Arrays.equals(want, base));
        List<String[]> forms = List.of(
                new String[] {"--lora", file + ":0.5"},
                new String[] {
                    "--lora",
                    "detail:0.5",
                    "--loras",
                    dir.resolve("models/Lora").toString()
                },
                new String[] {"--lora", "detail:.5", "--models-dir", dir.toString()});
        for (String[] fixed : forms) {
            Path out = dir.resolve("o" + System.nanoTime() + ".safetensors");
            List<String> args = new ArrayList<>(List.of(fixed));
            args.addAll(List.of("--output", out.toString(), "a photo of a cat"));
            CliTest.Run r = run(encode(args.toArray(String[]::new)));
            assertEquals(0, r.code(), String.join(" ", fixed) + ": " + r.err());
            try (SafetensorsFile f = SafetensorsFile.open(out)) {
                assertArrayEquals(want, f.floats("conditioning"), String.join(" ", fixed));
                assertTrue(
                        f.metadata().get("loras").endsWith("detail.safetensors:0.5"),
                        f.metadata().toString());
            }
        }
    }

    @Test
    void aMissingLoraFlagIsAnErrorAndAMissingTagAWarning() throws IOException {
        CliTest.Run r = run(encode("--lora", "nowhere:0.7", "a cat"));
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: --lora nowhere:0.7: no file nowhere, and no LoRA of that name in a LoRA folder (give --loras DIR or --models-dir)\n",
                r.err());
        // A weight that is not a number, and a folder, are usage errors saying so (not "no file").
        r = run(encode("--lora", "nowhere:abc", "a cat"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("sdclip: --lora nowhere:abc: the weight \"abc\" is not a number"), r.err());
        r = run(encode("--lora", dir.toString(), "a cat"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("sdclip: --lora " + dir + ": is a folder; give a LoRA file or name"), r.err());
        Path file = lora(dir.resolve("Lora/detail.safetensors"));
        Path out = dir.resolve("t.safetensors");
        r = run(encode(
                "--syntax",
                "a1111",
                "--loras",
                dir.resolve("Lora").toString(),
                "--output",
                out.toString(),
                "a cat <lora:detail:0.5> <lora:gone:1>",
                "a dog <lora:gone> <hypernet:x:1>"));
        assertEquals(0, r.code(), r.err());
        assertEquals(
                List.of(
                        "sdclip: warning: LoRA \"gone\" is in none of the LoRA folders [" + dir.resolve("Lora")
                                + "]; its tag is skipped",
                        "sdclip: warning: <hypernet:...> tags are removed from the prompt and ignored: hypernetworks change the UNet, not the text encoder",
                        "wrote " + out),
                r.err().lines().toList());
        PromptOptions a1111 = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            float[] cond = f.floats("conditioning");
            float[] first = library("a cat  ", a1111.withLoras(List.of(new Lora(file, 0.5)))),
                    second = library("a dog  ", a1111);
            assertArrayEquals(first, java.util.Arrays.copyOfRange(cond, 0, first.length));
            assertArrayEquals(second, java.util.Arrays.copyOfRange(cond, first.length, cond.length));
        }
    }

    @Test
    void anUnknownTextEncoderKeyIsOneLineNamingIt() throws IOException {
        Path file = lora(dir.resolve("bad.safetensors"), "lora_te_text_model_final_layer_norm.alpha");
        CliTest.Run r = run(encode("--lora", file.toString(), "a cat"));
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: " + file
                        + ": lora_te_text_model_final_layer_norm.alpha is a text-encoder key sdclip cannot map: it applies networks to the attention (q, k, v, out) and MLP (fc1, fc2) linears of each layer\n",
                r.err());
    }

    @Test
    void similarityAppliesTheLoraToTheFirstModel() throws IOException {
        Path file = lora(dir.resolve("l.safetensors"));
        String clip = ref("models/tiny-clip.safetensors");
        // tiny-clip's text tower is tiny-sd15's in F32: the same LoRA fits it.
        CliTest.Run same =
                run("similarity", "--model", clip, "--against", clip, "--tokenizer", vocab(), "--json", "a cat");
        CliTest.Run changed = run(
                "similarity",
                "--model",
                clip,
                "--against",
                clip,
                "--tokenizer",
                vocab(),
                "--json",
                "--lora",
                file.toString(),
                "a cat");
        assertEquals(0, same.code(), same.err());
        assertEquals(0, changed.code(), changed.err());
        assertTrue(same.out().contains("\"mean\": 1.0") || same.out().contains("\"mean\": 0.99999"), same.out());
        assertFalse(changed.out().contains("\"mean\": 1.0"), changed.out());
    }

    /**
     * The full-size F16 formula model (SD 1.5's shapes) with a rank-8 F16 LoRA on all 72 linears,
     * in a child JVM of 64 MB heap: the merged copies live off the heap, so it runs, and gives
     * what this JVM gives.
     */
    @Test
    void sixtyFourMegabytesOfHeapWithALoraOnTheFullSizeModel() throws Exception {
        Path model = dir.resolve("full-f16.safetensors");
        sdclip.model.synth.FormulaModel.write(model, sdclip.engine.DType.F16);
        Seeded s = new Seeded(64);
        SafetensorsWriter w = new SafetensorsWriter();
        int width = sdclip.model.synth.FormulaModel.WIDTH, mlp = sdclip.model.synth.FormulaModel.MLP, r = 8;
        for (int l = 0; l < sdclip.model.synth.FormulaModel.LAYERS; l++) {
            for (String m : List.of(
                    "self_attn_q_proj",
                    "self_attn_k_proj",
                    "self_attn_v_proj",
                    "self_attn_out_proj",
                    "mlp_fc1",
                    "mlp_fc2")) {
                int out = m.equals("mlp_fc1") ? mlp : width, in = m.equals("mlp_fc2") ? mlp : width;
                String stem = "lora_te_text_model_encoder_layers_" + l + "_" + m;
                w.addFloats(stem + ".lora_down.weight", new long[] {r, in}, s.normal(r * in, 0.02f));
                w.addFloats(stem + ".lora_up.weight", new long[] {out, r}, s.normal(out * r, 0.02f));
                w.addFloats(stem + ".alpha", new long[] {}, new float[] {4});
            }
        }
        Path lora = dir.resolve("full-lora.safetensors");
        w.write(lora);
        Path out = dir.resolve("full.safetensors");
        String err = StreamingTest.run(
                ChildCli.command(
                        List.of("-Xmx64m"),
                        "encode",
                        "--model",
                        model.toString(),
                        "--tokenizer",
                        vocab(),
                        "--quiet",
                        "--threads",
                        "2",
                        "--lora",
                        lora + ":0.8",
                        "--tensors",
                        "conditioning",
                        "--output",
                        out.toString(),
                        "a photo of a cat"),
                null,
                300);
        assertEquals("wrote " + out, err.strip().lines().toList().getLast()); // after the JVM's incubator note
        try (TextEncoder enc =
                        TextEncoder.open(model, TextEncoder.Options.defaults().withTokenizer(Path.of(vocab())));
                SafetensorsFile f = SafetensorsFile.open(out)) {
            float[] want = enc.encode(
                            List.of("a photo of a cat"),
                            EncodeRequest.of(sdclip.model.TextOutput.CONDITIONING)
                                    .prompts(PromptOptions.plain().withLoras(List.of(new Lora(lora, 0.8)))))
                    .conditioning()
                    .floats();
            assertArrayEquals(want, f.floats("conditioning"));
        }
    }
}
