package sdclip.model.checkpoint;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import sdclip.engine.Weights;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * One CLIP vision tower (ViT) inside a checkpoint, every tensor resolved to its canonical Hugging
 * Face name ({@code vision_model.*}, {@code visual_projection.weight}) and checked against the
 * shape the architecture implies, without copying. OpenAI/OpenCLIP naming ({@code visual.conv1},
 * {@code visual.transformer.resblocks.N}, {@code in_proj_weight} split into q, k and v row
 * views, {@code visual.proj [W, P]} kept with a transposed flag) is mapped here.
 *
 * <p>The patch embedding {@code [W, 3, P, P]} is a stride-P convolution without bias; flattened
 * over (channel, ky, kx) it is exactly a linear weight {@code [W, 3 P^2]}.
 */
public final class VisionTower {

    private final TensorStore store;
    private final String prefix;
    private final Naming naming;
    private final ClipVisionConfig config;
    private final Map<String, TextTower.Tensor> tensors;

    private VisionTower(TensorStore store, String prefix, Naming naming, ClipVisionConfig config, Map<String, TextTower.Tensor> tensors) {
        this.store = store;
        this.prefix = prefix;
        this.naming = naming;
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** {@return where the tower's tensors start in the file: {@code vision_model.} or {@code visual.}} */
    public String prefix() { return prefix; }

    /** {@return how the tower's tensors are named in the file} */
    public Naming naming() { return naming; }

    /** {@return the tower's shape, from its tensors (and config.json, and the heads override)} */
    public ClipVisionConfig config() { return config; }

    /** {@return the canonical tensors in HF order: embeddings, pre-norm, layers, post-norm, projection} */
    public Map<String, TextTower.Tensor> tensors() { return tensors; }

    /**
     * A canonical tensor.
     *
     * @param canonicalName a Hugging Face name, e.g. {@code vision_model.post_layernorm.weight}
     * @return the tensor, a view of the mapped file
     * @throws IllegalArgumentException when the tower has no tensor of that name
     */
    public TextTower.Tensor tensor(String canonicalName) {
        TextTower.Tensor t = tensors.get(canonicalName);
        if (t == null) throw new IllegalArgumentException("no canonical vision tensor " + canonicalName);
        return t;
    }

    /**
     * The stored values of a canonical tensor.
     *
     * @param canonicalName a Hugging Face name, e.g. {@link #PATCH}
     * @return the values in their stored dtype, a view of the mapped file
     * @throws IllegalArgumentException when the tower has no tensor of that name
     */
    public Weights weights(String canonicalName) { return tensor(canonicalName).values(); }

    /** {@return the dtype the tower's weights are stored in (its patch embedding's), e.g. {@code F16}} */
    public String dtype() { return store.info(tensor(PATCH).source()).type().name(); }

    /** Canonical name of the patch embedding, {@code [W, 3, P, P]}. */
    public static final String PATCH = "vision_model.embeddings.patch_embedding.weight";

    /**
     * The canonical name prefix of one block.
     *
     * @param l the block index, from 0
     * @return e.g. {@code vision_model.encoder.layers.0.}
     */
    public static String layer(int l) { return "vision_model.encoder.layers." + l + "."; }

    /** Describes where a vision tower is and how it is stored; {@link #build()} resolves and checks every tensor. */
    static final class Builder {
        TensorStore store;
        /** {@code vision_model.} (HF) or {@code visual.} (OpenAI), after any outer prefix. */
        String prefix = "vision_model.";
        Naming naming = Naming.HUGGING_FACE;
        /** Full name of the projection tensor, or null; OpenAI orientation is [W, P]. */
        String projection;
        Integer heads;
        /** Null: QuickGELU, except for OpenCLIP's ViT-H and ViT-bigG widths (GELU). */
        HiddenAct activation;
        float layerNormEps = 1e-5f;

        VisionTower build() {
            Map<String, TextTower.Tensor> out = new LinkedHashMap<>();
            boolean hf = naming == Naming.HUGGING_FACE;
            TensorInfo conv = need(hf ? "embeddings.patch_embedding.weight" : "conv1.weight", 4);
            int width = toInt(conv, 0), patch = toInt(conv, 2);
            if (conv.shape()[1] != 3 || conv.shape()[3] != patch) {
                throw new SafetensorsException(store.path(), conv.name(), "has shape " + conv.shapeString() + ", expected [width, 3, patch, patch]");
            }
            TensorInfo pos = need(hf ? "embeddings.position_embedding.weight" : "positional_embedding", 2);
            int positions = toInt(pos, 0);
            int grid = (int) Math.round(Math.sqrt(positions - 1));
            if (positions < 2 || grid * grid != positions - 1) {
                throw new SafetensorsException(store.path(), pos.name(), "has " + positions + " positions; a square patch grid plus a class token is n^2 + 1");
            }
            put(out, PATCH, conv.name(), width, 3, patch, patch);
            put(out, "vision_model.embeddings.class_embedding", prefix + (hf ? "embeddings.class_embedding" : "class_embedding"), width);
            put(out, "vision_model.embeddings.position_embedding.weight", pos.name(), positions, width);
            put(out, "vision_model.pre_layrnorm.weight", prefix + (hf ? "pre_layrnorm.weight" : "ln_pre.weight"), width);
            put(out, "vision_model.pre_layrnorm.bias", prefix + (hf ? "pre_layrnorm.bias" : "ln_pre.bias"), width);
            int layers = countLayers(hf ? "encoder.layers." : "transformer.resblocks.");
            if (layers == 0) throw new SafetensorsException(store.path(), "vision tower under \"" + prefix + "\" has no transformer layers");
            TensorInfo fc1 = need(hf ? "encoder.layers.0.mlp.fc1.weight" : "transformer.resblocks.0.mlp.c_fc.weight", 2);
            int mlp = toInt(fc1, 0);
            for (int l = 0; l < layers; l++) putLayer(out, l, width, mlp, hf);
            put(out, "vision_model.post_layernorm.weight", prefix + (hf ? "post_layernorm.weight" : "ln_post.weight"), width);
            put(out, "vision_model.post_layernorm.bias", prefix + (hf ? "post_layernorm.bias" : "ln_post.bias"), width);
            int projectionDim = 0;
            if (projection != null) {
                TensorInfo p = info(projection);
                if (p.rank() != 2) throw new SafetensorsException(store.path(), projection, "has shape " + p.shapeString() + ", expected a matrix");
                boolean openAi = !projection.endsWith(".weight");
                int pw = toInt(p, openAi ? 0 : 1);
                projectionDim = toInt(p, openAi ? 1 : 0);
                if (pw != width) throw new SafetensorsException(store.path(), projection, "has shape " + p.shapeString() + " but the vision width is " + width);
                out.put("visual_projection.weight", new TextTower.Tensor("visual_projection.weight", new long[] {projectionDim, width}, store.weights(projection), projection, openAi));
            }
            // OpenCLIP's ViT-H/14 (1280) and ViT-bigG/14 (1664) have 16 heads of 80 and 104 and exact GELU.
            boolean openClipBig = !hf && (width == 1280 || width == 1664);
            int h = heads != null ? heads : openClipBig ? 16 : Math.max(1, width / 64);
            if (h < 1 || width % h != 0) throw new SafetensorsException(store.path(), "vision tower: " + h + " heads do not divide the width " + width);
            HiddenAct act = activation != null ? activation : openClipBig ? HiddenAct.GELU : HiddenAct.QUICK_GELU;
            ClipVisionConfig cfg = new ClipVisionConfig(grid * patch, patch, width, h, layers, mlp, projectionDim, act, layerNormEps);
            return new VisionTower(store, prefix, naming, cfg, out);
        }

        private void putLayer(Map<String, TextTower.Tensor> out, int l, int width, int mlp, boolean hf) {
            String c = layer(l);
            String s = prefix + (hf ? "encoder.layers." + l + "." : "transformer.resblocks." + l + ".");
            put(out, c + "layer_norm1.weight", s + (hf ? "layer_norm1.weight" : "ln_1.weight"), width);
            put(out, c + "layer_norm1.bias", s + (hf ? "layer_norm1.bias" : "ln_1.bias"), width);
            String[] parts = {"q", "k", "v"};
            if (hf) {
                for (String p : parts) {
                    put(out, c + "self_attn." + p + "_proj.weight", s + "self_attn." + p + "_proj.weight", width, width);
                    put(out, c + "self_attn." + p + "_proj.bias", s + "self_attn." + p + "_proj.bias", width);
                }
            } else {
                TensorInfo w = check(s + "attn.in_proj_weight", 3L * width, width);
                TensorInfo b = check(s + "attn.in_proj_bias", 3L * width);
                Weights wv = store.weights(w.name()), bv = store.weights(b.name());
                for (int i = 0; i < 3; i++) {
                    String wn = c + "self_attn." + parts[i] + "_proj.weight", bn = c + "self_attn." + parts[i] + "_proj.bias";
                    out.put(wn, new TextTower.Tensor(wn, new long[] {width, width}, wv.slice((long) i * width * width, (long) width * width), w.name(), false));
                    out.put(bn, new TextTower.Tensor(bn, new long[] {width}, bv.slice((long) i * width, width), b.name(), false));
                }
            }
            put(out, c + "self_attn.out_proj.weight", s + (hf ? "self_attn.out_proj.weight" : "attn.out_proj.weight"), width, width);
            put(out, c + "self_attn.out_proj.bias", s + (hf ? "self_attn.out_proj.bias" : "attn.out_proj.bias"), width);
            put(out, c + "layer_norm2.weight", s + (hf ? "layer_norm2.weight" : "ln_2.weight"), width);
            put(out, c + "layer_norm2.bias", s + (hf ? "layer_norm2.bias" : "ln_2.bias"), width);
            put(out, c + "mlp.fc1.weight", s + (hf ? "mlp.fc1.weight" : "mlp.c_fc.weight"), mlp, width);
            put(out, c + "mlp.fc1.bias", s + (hf ? "mlp.fc1.bias" : "mlp.c_fc.bias"), mlp);
            put(out, c + "mlp.fc2.weight", s + (hf ? "mlp.fc2.weight" : "mlp.c_proj.weight"), width, mlp);
            put(out, c + "mlp.fc2.bias", s + (hf ? "mlp.fc2.bias" : "mlp.c_proj.bias"), width);
        }

        private TensorInfo need(String suffix, int rank) {
            TensorInfo t = info(prefix + suffix);
            if (t.rank() != rank) throw new SafetensorsException(store.path(), t.name(), "has shape " + t.shapeString() + ", expected " + rank + " dimensions");
            return t;
        }

        private TensorInfo info(String name) {
            TensorInfo t = store.info(name);
            if (t == null) throw new SafetensorsException(store.path(), name, "is missing (vision tower under \"" + prefix + "\")");
            if (t.type().computeType() == null) throw new SafetensorsException(store.path(), name, "has dtype " + t.type() + "; sdclip computes with F32, F16 or BF16 only");
            return t;
        }

        private TensorInfo check(String name, long... shape) {
            TensorInfo t = info(name);
            if (!Arrays.equals(t.shape(), shape)) {
                boolean transposed = shape.length == 2 && t.rank() == 2 && t.shape()[0] == shape[1] && t.shape()[1] == shape[0];
                throw new SafetensorsException(store.path(), name, "has shape " + t.shapeString() + ", expected " + Arrays.toString(shape) + (transposed ? " (transposed?)" : ""));
            }
            return t;
        }

        private void put(Map<String, TextTower.Tensor> out, String canonical, String name, long... shape) {
            check(name, shape);
            out.put(canonical, new TextTower.Tensor(canonical, shape, store.weights(name), name, false));
        }

        private int toInt(TensorInfo t, int dim) {
            long d = t.shape()[dim];
            if (d <= 0 || d > Integer.MAX_VALUE) throw new SafetensorsException(store.path(), t.name(), "has shape " + t.shapeString() + ": dimension " + d + " cannot be a model size");
            return (int) d;
        }

        private int countLayers(String stem) {
            TreeSet<Integer> seen = new TreeSet<>();
            String p = prefix + stem;
            for (String name : store.names()) {
                if (!name.startsWith(p)) continue;
                int dot = name.indexOf('.', p.length());
                if (dot < 0) continue;
                try {
                    seen.add(Integer.parseInt(name.substring(p.length(), dot)));
                } catch (NumberFormatException ignored) {
                    // not a layer index
                }
            }
            return seen.isEmpty() ? 0 : seen.last() + 1;
        }
    }
}
