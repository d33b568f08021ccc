package sdclip.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.ModelConformanceTest;
import sdclip.model.TextEncoder;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.testdata.Seeded;

/** Family recognition on every reference file (expectations from models.json), and broken checkpoints. */
class CheckpointTest {
    @TempDir
    Path dir;

    static Path ref(String p) {
        return ModelConformanceTest.ref(p);
    }

    @Test
    void recognisesEveryReferenceFile() throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, Object> models = (Map<String, Object>) Json.parse(Files.readString(ref("models/models.json")));
        record Want(String key, Checkpoint.Family family, Naming naming) {}
        List<Want> wants = List.of(
                new Want("tiny-clip", Checkpoint.Family.CLIP, Naming.HUGGING_FACE),
                new Want("tiny-sd15", Checkpoint.Family.SD1, Naming.HUGGING_FACE),
                new Want("tiny-sd15-legacy", Checkpoint.Family.SD1, Naming.HUGGING_FACE),
                new Want("tiny-sd21", Checkpoint.Family.SD2, Naming.OPENAI));
        for (Want w : wants) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) models.get(w.key);
            @SuppressWarnings("unchecked")
            Map<String, Object> text = (Map<String, Object>) m.get("text");
            int heads = ((Long) text.get("heads")).intValue();
            try (Checkpoint c = Checkpoint.open(ref("models/" + m.get("file")), new int[] {heads})) {
                assertEquals(w.family, c.family(), w.key);
                TextTower t = c.encoders().getFirst();
                assertEquals(m.get("text_prefix"), t.prefix(), w.key);
                assertEquals(w.naming, t.naming(), w.key);
                assertEquals(m.get("dtype"), t.dtype(), w.key);
                assertEquals(((Long) m.get("pad_id")).intValue(), t.padId(), w.key);
                ClipTextConfig k = t.config();
                assertEquals(text.get("width"), (long) k.width(), w.key);
                assertEquals(text.get("layers"), (long) k.layers(), w.key);
                assertEquals(text.get("mlp_width"), (long) k.mlpWidth(), w.key);
                assertEquals(text.get("vocab_size"), (long) k.vocabSize(), w.key);
                assertEquals(text.get("context_length"), (long) k.contextLength(), w.key);
                assertEquals(text.get("activation"), k.activation().id(), w.key);
                Object embed = text.get("embed_dim");
                assertEquals(embed == Json.NULL ? 0L : (Long) embed, (long) k.projectionDim(), w.key);
                assertEquals(w.key.equals("tiny-clip"), c.hasVisionTower(), w.key);
            }
        }
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-sdxl.safetensors"), new int[] {2, 3})) {
            assertEquals(Checkpoint.Family.SDXL, c.family());
            assertEquals(
                    List.of(32, 48),
                    c.encoders().stream().map(t -> t.config().width()).toList());
            assertEquals(
                    List.of(HiddenAct.QUICK_GELU, HiddenAct.GELU),
                    c.encoders().stream().map(t -> t.config().activation()).toList());
            assertEquals(
                    List.of(49407, 0),
                    c.encoders().stream().map(TextTower::padId).toList());
        }
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-sd15-diffusers"), null)) {
            assertEquals(Checkpoint.Family.SD1, c.family());
            assertEquals("diffusers", c.layout());
            assertEquals(4, c.encoders().getFirst().config().heads(), "heads from config.json");
        }
    }

    @Test
    void theFormatIsToldByTheFirstBytesWhateverTheExtension() throws IOException {
        String token = "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight";
        float[] want;
        try (SafetensorsFile f = SafetensorsFile.open(ref("models/tiny-sd15.safetensors"))) {
            want = f.floats(token);
        }
        // torch zip and legacy pickle saved as .safetensors, and safetensors saved as .ckpt
        String[][] copies = {
            {"models/tiny-sd15.ckpt", "zip.safetensors"},
            {"models/tiny-sd15-torch-legacy.ckpt", "legacy.safetensors"},
            {"models/tiny-sd15.safetensors", "st.ckpt"},
        };
        for (String[] c : copies) {
            Path copy = Files.copy(ref(c[0]), dir.resolve(c[1]));
            try (var store = Checkpoint.openTensors(copy)) {
                assertArrayEquals(want, store.floats(token), c[1]);
            }
            try (Checkpoint cp = Checkpoint.open(copy, new int[] {4})) {
                assertEquals(Checkpoint.Family.SD1, cp.family(), c[1]);
            }
        }
    }

    @Test
    void headsAreInferredFromWidthUnlessOverridden() throws IOException {
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-sd15.safetensors"), null)) {
            assertEquals(1, c.encoders().getFirst().config().heads(), "64 / 64");
        }
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-sd15-diffusers"), new int[] {2})) {
            assertEquals(2, c.encoders().getFirst().config().heads(), "--heads beats config.json");
        }
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Checkpoint.open(ref("models/tiny-sd15.safetensors"), new int[] {4, 4}));
        assertTrue(e.getMessage().contains("1 text encoder"), e.getMessage());
        HeadCountException bad = assertThrows(
                HeadCountException.class, () -> Checkpoint.open(ref("models/tiny-sd15.safetensors"), new int[] {5}));
        assertEquals(
                ref("models/tiny-sd15.safetensors") + ": CLIP-L text encoder: 5 heads do not divide the width 64",
                bad.getMessage());
        assertEquals(false, bad.vision());
    }

    /** A count the caller gives is the caller's mistake (HeadCountException); one config.json gives is the file's. */
    @Test
    void givenHeadsThatDoNotDivideAreTheCallersMistake() throws IOException {
        HeadCountException vision = assertThrows(
                HeadCountException.class, () -> Checkpoint.open(ref("models/tiny-clip.safetensors"), null, 5));
        assertEquals(
                ref("models/tiny-clip.safetensors") + ": vision tower: 5 heads do not divide the width 64",
                vision.getMessage());
        assertTrue(vision.vision());
        Path copy = dir.resolve("sd15-diffusers");
        for (String f : List.of("model_index.json", "text_encoder/model.safetensors")) {
            Files.createDirectories(copy.resolve(f).getParent());
            Files.copy(ref("models/tiny-sd15-diffusers/" + f), copy.resolve(f));
        }
        String config = Files.readString(ref("models/tiny-sd15-diffusers/text_encoder/config.json"));
        Files.writeString(
                copy.resolve("text_encoder/config.json"),
                config.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"));
        SafetensorsException file = assertThrows(SafetensorsException.class, () -> Checkpoint.open(copy, null));
        assertEquals(
                copy.resolve("text_encoder/model.safetensors") + ": text_encoder: 5 heads do not divide the width 64",
                file.getMessage());
        try (Checkpoint c = Checkpoint.open(copy, new int[] {2})) {
            assertEquals(2, c.encoders().getFirst().config().heads(), "a given count replaces the file's");
        }
    }

    @Test
    void wrongHeadsChangeTheOutputs() throws IOException {
        // Heads matter: the inferred 1 head gives different activations than the file's true 4.
        var prompts = List.of("a photo of a cat");
        try (TextEncoder one =
                        TextEncoder.open(ref("models/tiny-sd15.safetensors"), ModelConformanceTest.options("cpu"));
                TextEncoder four =
                        TextEncoder.open(ref("models/tiny-sd15.safetensors"), ModelConformanceTest.options("cpu", 4))) {
            float[] a = one.encode(prompts).get("pooled_output").floats(),
                    b = four.encode(prompts).get("pooled_output").floats();
            assertTrue(Seeded.relativeError(a, b) > 1e-3);
        }
    }

    @Test
    void pooledOnlyPathEqualsTheFullPath() throws IOException {
        for (String backend : List.of("cpu", "reference")) {
            try (TextEncoder enc = TextEncoder.open(
                    ref("models/tiny-sd21.safetensors"),
                    ModelConformanceTest.options(backend, 4).withBatchSize(5))) {
                List<String> prompts = ModelConformanceTest.prompts();
                Encoding full = enc.encode(prompts), fast = enc.encode(prompts, EncodeRequest.pooledOnly());
                assertArrayEquals(
                        full.get("pooled_output").floats(),
                        fast.get("pooled_output").floats(),
                        backend);
                assertArrayEquals(
                        full.get("text_embeds").floats(),
                        fast.get("text_embeds").floats(),
                        backend);
                assertTrue(!fast.has("conditioning") && !fast.has("last_hidden_state"));
            }
        }
    }

    /** Copies tiny-sd15 with one change to its tensors. */
    private Path mutated(String name, UnaryOperator<Map<String, TensorInfo>> change) throws IOException {
        Path out = dir.resolve(name);
        try (SafetensorsFile src = SafetensorsFile.open(ref("models/tiny-sd15.safetensors"))) {
            Map<String, TensorInfo> infos = new LinkedHashMap<>();
            for (String n : src.names()) infos.put(n, src.info(n));
            SafetensorsWriter w = new SafetensorsWriter();
            change.apply(infos)
                    .forEach((n, t) -> w.add(
                            n,
                            t.type(),
                            t.shape(),
                            ch -> SafetensorsWriter.writeFully(
                                    ch,
                                    src.bytes(src.names().contains(n) ? n : t.name())
                                            .asByteBuffer())));
            w.write(out);
        }
        return out;
    }

    @Test
    void brokenTextEncodersAreErrorsNamingFileAndTensor() throws IOException {
        String layer1 = "cond_stage_model.transformer.text_model.encoder.layers.1.";
        Path missing = mutated("missing.safetensors", m -> {
            m.remove(layer1 + "mlp.fc2.weight");
            return m;
        });
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(missing, null));
        assertTrue(
                e.getMessage().contains(missing.toString())
                        && e.getMessage().contains(layer1 + "mlp.fc2.weight")
                        && e.getMessage().contains("missing"),
                e.getMessage());

        Path transposed = mutated("transposed.safetensors", m -> {
            TensorInfo t = m.get(layer1 + "mlp.fc1.weight");
            m.put(
                    t.name(),
                    new TensorInfo(t.name(), t.type(), new long[] {t.shape()[1], t.shape()[0]}, t.begin(), t.end()));
            return m;
        });
        e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(transposed, null));
        assertTrue(
                e.getMessage().contains(layer1 + "mlp.fc1.weight")
                        && e.getMessage().contains("transposed"),
                e.getMessage());

        Path none = mutated("none.safetensors", m -> {
            m.keySet().removeIf(k -> k.startsWith("cond_stage_model."));
            return m;
        });
        e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(none, null));
        assertTrue(
                e.getMessage().contains("no CLIP text encoder")
                        && e.getMessage().contains("model.diffusion_model."),
                e.getMessage());
    }

    @Test
    void positionIdsBuffersAreIgnored() throws IOException {
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-sd15-legacy.safetensors"), new int[] {4})) {
            assertTrue(c.encoders().getFirst().tensors().keySet().stream().noneMatch(k -> k.contains("position_ids")));
            assertNull(c.encoders().getFirst().tensors().get("text_projection.weight"));
        }
    }
}
