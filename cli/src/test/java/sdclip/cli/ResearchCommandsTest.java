package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.TextEncoder;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;

/** similarity, extract and diff on the reference models. */
class ResearchCommandsTest {
    @TempDir
    Path dir;

    static String ref(String p) {
        return CliTest.ref(p);
    }

    static List<String> prompts() throws IOException {
        return ((List<?>) Json.parse(Files.readString(ReferenceData.require("expected/prompts.json"))))
                .stream().map(String.class::cast).toList();
    }

    /** The experiment in miniature: SD 1.5's F16 tower with CLIP's projection against CLIP itself. */
    @Test
    void similarityReproducesTheReferenceCosines() throws IOException {
        Path prompts = dir.resolve("prompts.jsonl");
        List<String> lines = new ArrayList<>();
        for (String p : prompts()) lines.add("{\"text\": " + Json.quote(p) + "}");
        Files.write(prompts, lines);
        CliTest.Run r = CliTest.run(
                "similarity",
                "--model",
                ref("models/tiny-sd15.safetensors"),
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
                "--prompts",
                prompts.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        List<?> results = (List<?>) o.get("results");
        try (SafetensorsFile exp =
                SafetensorsFile.open(ReferenceData.require("expected/tiny-sd15.expected.safetensors"))) {
            float[] cos = exp.floats("cos_sim_vs_clip");
            assertEquals(cos.length, results.size());
            double mean = 0;
            for (int n = 0; n < cos.length; n++) {
                Map<?, ?> row = (Map<?, ?>) results.get(n);
                assertEquals(prompts().get(n), row.get("text"));
                assertEquals(cos[n], ((Number) row.get("cosine")).doubleValue(), 1e-6, "prompt " + n);
                mean += cos[n] / cos.length;
            }
            assertEquals(mean, ((Number) o.get("mean")).doubleValue(), 1e-6);
        }
        CliTest.Run noProjection = CliTest.run(
                "similarity",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--against",
                ref("models/tiny-clip.safetensors"),
                "--tokenizer",
                CliTest.vocab(),
                "x");
        assertEquals(1, noProjection.code());
        assertTrue(noProjection.err().contains("no text projection"), noProjection.err());
    }

    @Test
    void extractWritesALoadableHuggingFaceFolder() throws IOException {
        for (String dtype : List.of("keep", "f32")) {
            Path out = dir.resolve("sd21-" + dtype);
            CliTest.Run r = CliTest.run(
                    "extract",
                    "--model",
                    ref("models/tiny-sd21.safetensors"),
                    "--heads",
                    "4",
                    "--dtype",
                    dtype,
                    "--output",
                    out.toString());
            assertEquals(0, r.code(), r.err());
            Map<String, Object> config = Json.parseObject(Files.readString(out.resolve("config.json")));
            assertEquals(64L, config.get("hidden_size"));
            assertEquals(4L, config.get("num_attention_heads"));
            assertEquals(3L, config.get("num_hidden_layers"));
            assertEquals(256L, config.get("intermediate_size"));
            assertEquals("gelu", config.get("hidden_act"));
            assertEquals(48L, config.get("projection_dim"));
            assertEquals(49406L, config.get("bos_token_id"));
            assertEquals(49407L, config.get("eos_token_id"));
            try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                assertArrayEquals(
                        new long[] {48, 64}, f.info("text_projection.weight").shape());
                assertTrue(f.has("text_model.encoder.layers.2.self_attn.v_proj.bias"));
                assertEquals(
                        dtype.equals("keep") ? "F16" : "F32",
                        f.info("text_model.final_layer_norm.weight").type().name());
            }
            // Loadable without flags, and it computes what the source computes (clip skip 1: last_hidden_state).
            TextEncoder.Options opts = TextEncoder.Options.defaults()
                    .withTokenizer(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
            try (TextEncoder extracted = TextEncoder.open(out, opts);
                    TextEncoder source = TextEncoder.open(
                            ReferenceData.require("models/tiny-sd21.safetensors"), opts.withHeads(4))) {
                var a = extracted.encode(prompts(), EncodeRequest.standard());
                var b = source.encode(prompts(), EncodeRequest.standard());
                assertArrayEquals(
                        b.get("input_ids").longs(), a.get("input_ids").longs(), "pad id 0 survives the extract");
                assertArrayEquals(
                        b.get("last_hidden_state").floats(),
                        a.get("last_hidden_state").floats());
                assertArrayEquals(
                        b.get("text_embeds").floats(), a.get("text_embeds").floats());
            }
        }
        CliTest.Run again = CliTest.run(
                "extract",
                "--model",
                ref("models/tiny-sd21.safetensors"),
                "--output",
                dir.resolve("sd21-keep").toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists"));
        CliTest.Run bad = CliTest.run(
                "extract",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--encoder",
                "2",
                "--output",
                dir.resolve("never").toString());
        assertEquals(2, bad.code(), "--encoder 2 of a one-encoder model is a usage error");
        try (var s = Files.list(dir)) {
            assertFalse(
                    s.anyMatch(p -> p.getFileName().toString().startsWith(".")
                            || p.getFileName().toString().equals("never")),
                    "no half folder left");
        }
    }

    @Test
    void diffVerdicts() {
        assertEquals(
                "identical", verdict(ref("models/tiny-sd15.safetensors"), ref("models/tiny-sd15-legacy.safetensors")));
        assertEquals("identical", verdict(ref("models/tiny-sd15.safetensors"), ref("models/tiny-sd15-diffusers")));
        assertEquals(
                "identical up to f16 rounding",
                verdict(ref("models/tiny-sd15.safetensors"), ref("models/tiny-clip.safetensors")));
        assertEquals("different", verdict(ref("models/tiny-sd15.safetensors"), ref("models/tiny-sd21.safetensors")));
        CliTest.Run r =
                CliTest.run("diff", "--json", ref("models/tiny-sd15.safetensors"), ref("models/tiny-sd21.safetensors"));
        Map<String, Object> o = Json.parseObject(r.out().strip());
        List<?> tensors = (List<?>) o.get("tensors");
        assertTrue(tensors.size() >= 52);
        Map<?, ?> first = (Map<?, ?>) tensors.getFirst();
        assertEquals("text_model.embeddings.token_embedding.weight", first.get("name"));
        assertTrue(((Number) first.get("max_abs_diff")).doubleValue() > 0);
        assertEquals(false, first.get("within_f16_rounding"));
    }

    private static String verdict(String a, String b) {
        CliTest.Run r = CliTest.run("diff", "--json", a, b);
        assertEquals(0, r.code(), r.err());
        return (String) Json.parseObject(r.out().strip()).get("verdict");
    }
}
