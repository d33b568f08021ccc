package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.cli.CliTest.ref;
import static sdclip.cli.CliTest.run;
import static sdclip.cli.CliTest.vocab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.RawSafetensors;

/** {@code --syntax}, {@code --emphasis} and {@code --embeddings} through the commands. */
class PromptSyntaxCliTest {
    @TempDir
    Path dir;

    @Test
    void longPromptsAndBreakGiveChunks() throws IOException {
        Path out = dir.resolve("c.safetensors");
        CliTest.Run r = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--output",
                out.toString(),
                "cat ".repeat(150),
                "a cat BREAK a (dog:1.2)",
                "a cat");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(new long[] {3, 154, 64}, f.info("conditioning").shape());
            assertArrayEquals(new long[] {2, 2, 1}, f.longs("chunks"));
            assertEquals("a1111", f.metadata().get("syntax"));
            assertTrue(!f.names().contains("last_hidden_state"), f.names().toString());
        }
        CliTest.Run noNorm = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--emphasis",
                "no-norm",
                "a (cat:1.5)");
        assertEquals(0, noNorm.code(), noNorm.err());
        assertTrue(noNorm.out().contains("[1, 77, 64]"), noNorm.out());
    }

    @Test
    void aMixedEmbeddingsFolderEncodesWhileANamedMisfitIsOneLine() {
        CliTest.Run folder = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                ref("embeddings"),
                "a photo of redfox-a1111 in the snow");
        CliTest.Run words = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "a photo of red fox in the snow");
        assertEquals(0, folder.code(), folder.err());
        assertEquals(words.out(), folder.out());
        String xl = ref("embeddings/redfox-xl.safetensors");
        CliTest.Run named = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                ref("embeddings"),
                "--embeddings",
                xl,
                "x");
        assertEquals(1, named.code());
        assertEquals(
                "sdclip: " + xl + ": embedding vectors have width 32 but text encoder 1 has width 64",
                named.err().strip());
    }

    /**
     * One rule for what a file holds, whatever the syntax: with a syntax, SDXL and SD3 files hold
     * the plain path's tensors (less the hidden states a syntax cannot give) plus {@code chunks},
     * with no per-encoder copy of the conditioning or of the top-level pooled vectors.
     */
    @Test
    void twoEncoderModelsWriteNoDuplicateTensorsWithASyntax() throws IOException {
        for (String[] m : List.of(
                new String[] {"models/tiny-sdxl.safetensors", "2,3"},
                new String[] {"models/tiny-sd3.safetensors", "1,1"})) {
            for (String syntax : List.of("a1111", "comfy")) {
                Path plain = dir.resolve("plain.safetensors"),
                        chunked = dir.resolve("chunked-" + syntax + ".safetensors");
                List<String> base = List.of(
                        "encode",
                        "--model",
                        ref(m[0]),
                        "--heads",
                        m[1],
                        "--tokenizer",
                        vocab(),
                        "--quiet",
                        "a (red:1.2) cat");
                CliTest.Run a = run(concat(base, "--output", plain.toString()));
                CliTest.Run b = run(concat(base, "--syntax", syntax, "--output", chunked.toString()));
                assertEquals(0, a.code() + b.code(), a.err() + b.err());
                try (SafetensorsFile p = SafetensorsFile.open(plain);
                        SafetensorsFile c = SafetensorsFile.open(chunked)) {
                    List<String> want = new ArrayList<>();
                    for (String name : p.names()) {
                        if (name.endsWith("last_hidden_state")) continue;
                        want.add(name);
                        if (name.equals("pooled_index")) want.add("chunks");
                    }
                    assertEquals(want, List.copyOf(c.names()), m[0] + " " + syntax);
                    for (String name : c.names()) {
                        if (!name.equals("chunks") && !name.equals("conditioning")) {
                            assertArrayEquals(p.info(name).shape(), c.info(name).shape(), name);
                        }
                    }
                }
            }
        }
    }

    private static String[] concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    /** A1111's embeddings folder as people have it: an embedding among a hypernetwork, a LoRA, a broken download and a README. */
    private Path crowdedFolder() throws IOException {
        Path emb = Files.createDirectories(dir.resolve("emb"));
        Files.copy(Path.of(ref("embeddings/redfox-a1111.pt")), emb.resolve("redfox-a1111.pt"));
        RawSafetensors.write(
                emb.resolve("anime-hypernetwork.pt"),
                "{\"linear.0.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"linear.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}",
                new byte[24]);
        String lora = "lora_te_text_model_encoder_layers_0_mlp_fc1";
        RawSafetensors.write(
                emb.resolve("style-lora.safetensors"),
                "{\"" + lora + ".alpha\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"" + lora
                        + ".lora_down.weight\":{\"dtype\":\"F32\",\"shape\":[1,4],\"data_offsets\":[4,20]},"
                        + "\"" + lora
                        + ".lora_up.weight\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[20,36]}}",
                new byte[36]);
        Files.writeString(emb.resolve("half-downloaded.bin"), "<html>rate limited</html>\n");
        Files.writeString(emb.resolve("README.txt"), "Put your embeddings here.\n");
        return emb;
    }

    /** The warnings a run printed for the crowded folder: one per file that is not an embedding, in path order, the README not among them. */
    private static List<String> skipped(CliTest.Run r) {
        return r.err().lines().filter(l -> l.startsWith("sdclip: skipped ")).toList();
    }

    private List<String> expectedSkips(Path emb) {
        String notTi =
                ": not a textual inversion embedding (expected string_to_param, emb_params, clip_l and clip_g, or one tensor; found ";
        String lora = "lora_te_text_model_encoder_layers_0_mlp_fc1";
        return List.of(
                "sdclip: skipped " + emb.resolve("anime-hypernetwork.pt") + notTi + "linear.0.bias, linear.0.weight)",
                "sdclip: skipped " + emb.resolve("half-downloaded.bin") + ": " + HALF_DOWNLOADED,
                "sdclip: skipped " + emb.resolve("style-lora.safetensors") + notTi + lora + ".alpha, " + lora
                        + ".lora_down.weight, " + lora + ".lora_up.weight)");
    }

    @Test
    void aFolderOfOtherModelsLoadsItsEmbeddingsAndWarnsOncePerSkippedFile() throws IOException {
        Path emb = crowdedFolder();
        CliTest.Run folder = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                emb.toString(),
                "a photo of redfox-a1111 in the snow");
        CliTest.Run words = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "a photo of red fox in the snow");
        assertEquals(0, folder.code(), folder.err());
        assertEquals(words.out(), folder.out());
        assertEquals(expectedSkips(emb), skipped(folder));
        // similarity encodes with two models: still one warning per file.
        CliTest.Run sim = run(
                "similarity",
                "--model",
                ref("models/tiny-sd21.safetensors"),
                "--against",
                ref("models/tiny-sd21.safetensors"),
                "--heads",
                "4",
                "--against-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                emb.toString(),
                "a redfox-a1111");
        assertEquals(0, sim.code(), sim.err());
        assertEquals(expectedSkips(emb), skipped(sim));
        CliTest.Run tokens = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--syntax",
                "comfy",
                "--embeddings",
                emb.toString(),
                "embedding:redfox-a1111");
        assertEquals(0, tokens.code(), tokens.err());
        assertTrue(tokens.out().contains("redfox-a1111[1]"), tokens.out());
        assertEquals(expectedSkips(emb), skipped(tokens));
        // Named on its own, a file must be an embedding.
        Path hypernetwork = emb.resolve("anime-hypernetwork.pt");
        CliTest.Run named = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                hypernetwork.toString(),
                "x");
        assertOneLine(named, 1, hypernetwork + ": not a textual inversion embedding");
    }

    /** What the safetensors reader says of an HTML page saved under a .bin name. */
    static final String HALF_DOWNLOADED =
            "is neither a PyTorch checkpoint (zip archive or legacy pickle) nor a safetensors or GGUF file";

    @AfterEach
    void restore() {
        Environment.replace(null);
    }

    @Test
    void anEmbeddingNameIsLookedUpInTheModelsFolders() throws IOException {
        Path comfy = dir.resolve("ComfyUI"), webui = dir.resolve("stable-diffusion-webui");
        Files.createDirectories(comfy.resolve("models/embeddings"));
        Files.copy(Path.of(ref("embeddings/redfox-a1111.pt")), comfy.resolve("models/embeddings/redfox-a1111.pt"));
        Files.createDirectories(webui.resolve("embeddings/SD15"));
        Files.copy(
                Path.of(ref("embeddings/redfox-kohya.safetensors")),
                webui.resolve("embeddings/SD15/redfox-kohya.safetensors"));
        CliTest.Run byName = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--models-dir",
                comfy.toString(),
                "--embeddings",
                "redfox-a1111",
                "a photo of redfox-a1111 in the snow");
        CliTest.Run words = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "a photo of red fox in the snow");
        assertEquals(0, byName.code(), byName.err());
        assertEquals(words.out(), byName.out());
        // A1111's embeddings folder sits at its root; SDCLIP_MODELS names the install, one subfolder deep is found.
        Environment.replace(Map.of("SDCLIP_MODELS", webui.toString()));
        CliTest.Run a1111 = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--syntax",
                "comfy",
                "--embeddings",
                "redfox-kohya",
                "a embedding:redfox-kohya");
        assertEquals(0, a1111.code(), a1111.err());
        assertTrue(a1111.out().contains("redfox-kohya[1]"), a1111.out());
        CliTest.Run miss = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--syntax",
                "comfy",
                "--models-dir",
                comfy.toString(),
                "--embeddings",
                "easynegative",
                "x");
        assertEquals(1, miss.code(), miss.err());
        assertEquals(
                "sdclip: no file or folder easynegative, and no embedding named easynegative in the models folders (looked in "
                        + comfy.resolve("models/embeddings")
                        + ", with or without .safetensors .pt .bin, and one subfolder deep)",
                miss.err().strip());
    }

    @Test
    void tokenizeShowsChunksWeightsAndEmbeddings() {
        CliTest.Run r = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--json",
                "--syntax",
                "a1111",
                "--embeddings",
                ref("embeddings/redfox-a1111.pt"),
                "a photo of (redfox-a1111:1.2) BREAK in the snow");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        List<?> chunks = (List<?>) o.get("chunks");
        assertEquals(2, chunks.size());
        Map<?, ?> first = (Map<?, ?>) chunks.getFirst();
        List<?> ids = (List<?>) first.get("ids"), weights = (List<?>) first.get("weights");
        assertEquals(77, ids.size());
        assertEquals(List.of(49406L, 320L, 1125L, 539L, 0L, 0L, 49407L), ids.subList(0, 7));
        assertEquals(1.2, ((Number) weights.get(4)).doubleValue(), 1e-6);
        assertEquals(1.0, ((Number) weights.get(3)).doubleValue());
        assertEquals(
                List.of(
                        Map.of("position", 4L, "name", "redfox-a1111", "vector", 0L),
                        Map.of("position", 5L, "name", "redfox-a1111", "vector", 1L)),
                first.get("embeddings"));
        CliTest.Run comfy = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--syntax",
                "comfy",
                "--embeddings",
                ref("embeddings"),
                "a photo of embedding:redfox-kohya");
        assertEquals(0, comfy.code(), comfy.err());
        assertTrue(comfy.out().contains("redfox-kohya[1]") && comfy.out().contains("(1 chunk)"), comfy.out());
    }

    @Test
    void similarityTakesTheSyntax() {
        CliTest.Run r = run(
                "similarity",
                "--model",
                ref("models/tiny-sd21.safetensors"),
                "--against",
                ref("models/tiny-sd21.safetensors"),
                "--heads",
                "4",
                "--against-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--json",
                "--syntax",
                "comfy",
                "a (cat:1.2) on a sofa");
        assertEquals(0, r.code(), r.err());
        assertEquals(1.0, ((Number) Json.parseObject(r.out().strip()).get("mean")).doubleValue(), 1e-6);
    }

    @Test
    void badEmbeddingsAndSyntaxAreOneLine() {
        String model = ref("models/tiny-sdxl.safetensors");
        CliTest.Run width = run(
                "encode",
                "--model",
                model,
                "--heads",
                "2,3",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                ref("embeddings/redfox-kohya.safetensors"),
                "x");
        assertOneLine(width, 1, "redfox-kohya.safetensors");
        CliTest.Run narrow = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "comfy",
                "--embeddings",
                ref("embeddings/redfox-xl.safetensors"),
                "x");
        assertOneLine(narrow, 1, "width 32");
        CliTest.Run missing = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--embeddings",
                dir.resolve("none.pt").toString(),
                "x");
        assertOneLine(missing, 1, "none.pt");
        CliTest.Run plain = run(
                "tokenize", "--tokenizer", vocab(), "--embeddings", ref("embeddings/redfox-kohya.safetensors"), "x");
        assertOneLine(plain, 2, "--syntax"); // a usage error
        CliTest.Run syntax = run("tokenize", "--tokenizer", vocab(), "--syntax", "webui", "x");
        assertEquals(2, syntax.code());
        assertTrue(syntax.err().contains("webui"), syntax.err());
    }

    static void assertOneLine(CliTest.Run r, int code, String mention) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(mention) && !r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
    }
}
