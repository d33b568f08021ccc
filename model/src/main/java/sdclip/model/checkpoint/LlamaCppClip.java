package sdclip.model.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.engine.Weights;
import sdclip.model.gguf.GgufFile;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * llama.cpp's CLIP GGUF layout ({@code general.architecture = clip}), as its
 * {@code convert_image_encoder_to_gguf.py} writes it: {@code v.*} and {@code t.*} tensors
 * ({@code v.blk.N.attn_q.weight}, {@code v.pre_ln.weight}, {@code t.token_embd.weight}...) and
 * {@code clip.vision.*} / {@code clip.text.*} metadata, {@code clip.use_gelu} choosing the vision
 * activation. The file is shown to the tower builders under Hugging Face names through
 * {@link Names}, so the towers are resolved and checked as any Hugging Face CLIP model's.
 */
final class LlamaCppClip {
    private LlamaCppClip() {}

    /** The layout phrase {@link Checkpoint#layout()} shows. */
    static final String LAYOUT = "llama.cpp clip (gguf)";

    /** Whether a GGUF file says it is a llama.cpp CLIP model. */
    static boolean isClip(GgufFile g) {
        return "clip".equals(g.values().get("general.architecture"));
    }

    /** Recognises the towers of a llama.cpp CLIP file; {@code store} is {@code g} under Hugging Face names. */
    static Recognised recognise(Path file, GgufFile g, TensorStore store, int[] heads, int visionHeads) {
        if (Boolean.TRUE.equals(g.values().get("clip.has_llava_projector"))
                || g.values().containsKey("clip.projector_type"))
            throw new SafetensorsException(
                    file,
                    "is a multimodal projector (mmproj) for a language model: its CLIP vision tower lacks the final"
                            + " layer norm and projection, so it gives no CLIP embeddings");
        List<TextTower> text = List.of();
        if (StoreKeys.hasPrefix(store, "text_model.")) {
            Integer given = TowerBuilders.heads(heads, 0);
            TextTower.Builder b = TowerBuilders.hfTower(
                    store,
                    "text_model.",
                    store.has("text_projection.weight") ? "text_projection.weight" : null,
                    given,
                    "text encoder");
            b.configHeads = positive(g.integer("clip.text.attention.head_count"));
            if (g.values().get("clip.text.attention.layer_norm_epsilon") instanceof Float eps) b.layerNormEps = eps;
            text = List.of(b.build());
        }
        Map<String, Object> visionConfig = new HashMap<>();
        Integer vh = positive(g.integer("clip.vision.attention.head_count"));
        if (vh != null) visionConfig.put("num_attention_heads", (long) vh);
        visionConfig.put("hidden_act", Boolean.TRUE.equals(g.values().get("clip.use_gelu")) ? "gelu" : "quick_gelu");
        if (g.values().get("clip.vision.attention.layer_norm_epsilon") instanceof Float eps)
            visionConfig.put("layer_norm_eps", (double) eps);
        VisionTower.Builder vision = TowerBuilders.visionBuilder(store, visionHeads, visionConfig);
        if (text.isEmpty() && vision == null)
            throw new SafetensorsException(file, "is a llama.cpp CLIP file with neither v.* nor t.* tensors");
        Checkpoint.Family family = text.isEmpty()
                ? Checkpoint.Family.CLIP_VISION
                : vision == null ? Checkpoint.Family.CLIP_TEXT : Checkpoint.Family.CLIP;
        return new Recognised(family, LAYOUT, text, vision);
    }

    private static Integer positive(Long v) {
        return v != null && v > 0 && v < 100_000 ? v.intValue() : null;
    }

    /**
     * A llama.cpp CLIP file under Hugging Face names; tensors it does not map keep their own.
     * {@code ffn_down}/{@code ffn_up} are told apart by shape, not name: the legacy converter
     * stores fc1 as {@code ffn_down}, newer ones store it as {@code ffn_up}; fc1 is the one whose
     * rows are the MLP width.
     */
    static final class Names implements TensorStore {
        private final GgufFile file;
        /** Hugging Face name to stored name, in file order. */
        private final Map<String, String> stored;

        Names(GgufFile file) {
            this.file = file;
            Map<String, String> m = new LinkedHashMap<>();
            for (String n : file.names()) m.put(huggingFace(n), n);
            this.stored = Collections.unmodifiableMap(m);
        }

        private String huggingFace(String n) {
            String tower;
            if (n.startsWith("v.")) tower = "vision_model.";
            else if (n.startsWith("t.")) tower = "text_model.";
            else return n;
            String rest = n.substring(2);
            String layer = "";
            if (rest.startsWith("blk.")) {
                int dot = rest.indexOf('.', 4);
                if (dot < 0) return n;
                layer = "encoder.layers." + rest.substring(4, dot) + ".";
                rest = rest.substring(dot + 1);
                if (rest.startsWith("ffn_down.") || rest.startsWith("ffn_up.")) return tower + layer + mlp(n, rest);
                rest = rest.replace("attn_out.", "self_attn.out_proj.")
                        .replaceFirst("^attn_([qkv])\\.", "self_attn.$1_proj.")
                        .replaceFirst("^ln([12])\\.", "layer_norm$1.");
                return tower + layer + rest;
            }
            return tower
                    + switch (rest) {
                        case "class_embd" -> "embeddings.class_embedding";
                        case "patch_embd.weight" -> "embeddings.patch_embedding.weight";
                        case "position_embd.weight" -> "embeddings.position_embedding.weight";
                        case "token_embd.weight" -> "embeddings.token_embedding.weight";
                        case "pre_ln.weight" -> "pre_layrnorm.weight";
                        case "pre_ln.bias" -> "pre_layrnorm.bias";
                        case "post_ln.weight" ->
                            tower.equals("text_model.") ? "final_layer_norm.weight" : "post_layernorm.weight";
                        case "post_ln.bias" ->
                            tower.equals("text_model.") ? "final_layer_norm.bias" : "post_layernorm.bias";
                        default -> rest;
                    };
        }

        /** {@code mlp.fc1.*} or {@code mlp.fc2.*} for a layer's {@code ffn_down.*}/{@code ffn_up.*} tensor {@code n}. */
        private String mlp(String n, String rest) {
            boolean down = rest.startsWith("ffn_down.");
            String suffix = rest.substring(rest.indexOf('.') + 1);
            String base = n.substring(0, n.length() - rest.length());
            // fc1's weight is [mlp, width] (PyTorch order), fc2's [width, mlp]: the wider output is fc1's.
            TensorInfo d = file.info(base + "ffn_down.weight"), u = file.info(base + "ffn_up.weight");
            boolean downIsFc1 = d == null || u == null || d.rank() != 2 || d.shape()[0] >= d.shape()[1];
            return "mlp." + (down == downIsFc1 ? "fc1." : "fc2.") + suffix;
        }

        @Override
        public Path path() {
            return file.path();
        }

        @Override
        public Set<String> names() {
            return stored.keySet();
        }

        @Override
        public TensorInfo info(String name) {
            String s = stored.get(name);
            if (s == null) return null;
            TensorInfo t = file.info(s);
            return new TensorInfo(name, t.type(), t.shape(), t.begin(), t.end());
        }

        @Override
        public MemorySegment bytes(String name) {
            require(name);
            return file.bytes(stored.get(name));
        }

        @Override
        public Weights weights(String name) {
            require(name);
            return file.weights(stored.get(name));
        }

        @Override
        public String storedType(String name) {
            require(name);
            return file.storedType(stored.get(name));
        }

        @Override
        public Map<String, String> metadata() {
            return file.metadata();
        }

        @Override
        public void close() {
            file.close();
        }
    }
}
