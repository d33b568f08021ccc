package sdclip.model.checkpoint;

import java.util.Collections;
import java.util.Map;

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

    private VisionTower(
            TensorStore store,
            String prefix,
            Naming naming,
            ClipVisionConfig config,
            Map<String, TextTower.Tensor> tensors) {
        this.store = store;
        this.prefix = prefix;
        this.naming = naming;
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** {@return where the tower's tensors start in the file: {@code vision_model.} or {@code visual.}} */
    public String prefix() {
        return prefix;
    }

    /** {@return how the tower's tensors are named in the file} */
    public Naming naming() {
        return naming;
    }

    /** {@return the tower's shape, from its tensors (and config.json, and the heads override)} */
    public ClipVisionConfig config() {
        return config;
    }

    /** {@return the canonical tensors in HF order: embeddings, pre-norm, layers, post-norm, projection} */
    public Map<String, TextTower.Tensor> tensors() {
        return tensors;
    }

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
    public Weights weights(String canonicalName) {
        return tensor(canonicalName).values();
    }

    /**
     * {@return the name of the type the tower's weights are stored in (of layer 0's first MLP weight: llama.cpp
     * keeps the patch embedding F16 whatever the rest), e.g. {@code F16} or {@code Q8_0}}
     */
    public String dtype() {
        return store.storedType(tensor(layer(0) + "mlp.fc1.weight").source());
    }

    /** Canonical name of the patch embedding, {@code [W, 3, P, P]}. */
    public static final String PATCH = "vision_model.embeddings.patch_embedding.weight";

    /**
     * The canonical name prefix of one block.
     *
     * @param l the block index, from 0
     * @return e.g. {@code vision_model.encoder.layers.0.}
     */
    public static String layer(int l) {
        return "vision_model.encoder.layers." + l + ".";
    }

    /** Describes where a vision tower is and how it is stored; {@link #build()} resolves and checks every tensor. */
    static final class Builder {
        TensorStore store;
        /** {@code vision_model.} (HF) or {@code visual.} (OpenAI), after any outer prefix. */
        String prefix = "vision_model.";

        Naming naming = Naming.HUGGING_FACE;
        /** Full name of the projection tensor, or null; OpenAI orientation is [W, P]. */
        String projection;
        /** The head count the caller gave, else the one config.json gives; either may be null. */
        Integer heads, configHeads;
        /** Null: QuickGELU, except for OpenCLIP's ViT-H and ViT-bigG widths (GELU). */
        HiddenAct activation;

        float layerNormEps = 1e-5f;

        VisionTower build() {
            TowerTensors t = new TowerTensors(store, prefix, "vision tower");
            boolean hf = naming == Naming.HUGGING_FACE;
            TensorInfo conv = t.need(hf ? "embeddings.patch_embedding.weight" : "conv1.weight", 4);
            int width = t.toInt(conv, 0), patch = t.toInt(conv, 2);
            if (conv.shape()[1] != 3 || conv.shape()[3] != patch) {
                throw new SafetensorsException(
                        store.path(),
                        conv.name(),
                        "has shape " + conv.shapeString() + ", expected [width, 3, patch, patch]");
            }
            TensorInfo pos = t.need(hf ? "embeddings.position_embedding.weight" : "positional_embedding", 2);
            int positions = t.toInt(pos, 0);
            int grid = (int) Math.round(Math.sqrt(positions - 1));
            if (positions < 2 || grid * grid != positions - 1) {
                throw new SafetensorsException(
                        store.path(),
                        pos.name(),
                        "has " + positions + " positions; a square patch grid plus a class token is n^2 + 1");
            }
            t.put(PATCH, conv.name(), width, 3, patch, patch);
            t.put(
                    "vision_model.embeddings.class_embedding",
                    prefix + (hf ? "embeddings.class_embedding" : "class_embedding"),
                    width);
            t.put("vision_model.embeddings.position_embedding.weight", pos.name(), positions, width);
            t.put("vision_model.pre_layrnorm.weight", prefix + (hf ? "pre_layrnorm.weight" : "ln_pre.weight"), width);
            t.put("vision_model.pre_layrnorm.bias", prefix + (hf ? "pre_layrnorm.bias" : "ln_pre.bias"), width);
            TowerTensors.Layers stack = t.putLayers(VisionTower::layer, width, hf);
            int layers = stack.count(), mlp = stack.mlp();
            t.put(
                    "vision_model.post_layernorm.weight",
                    prefix + (hf ? "post_layernorm.weight" : "ln_post.weight"),
                    width);
            t.put("vision_model.post_layernorm.bias", prefix + (hf ? "post_layernorm.bias" : "ln_post.bias"), width);
            int projectionDim = projection == null
                    ? 0
                    : t.putProjection("visual_projection.weight", projection, t.info(projection), width, "vision");
            // OpenCLIP's ViT-H/14 (1280) and ViT-bigG/14 (1664) have 16 heads of 80 and 104 and exact GELU.
            boolean openClipBig = !hf && (width == 1280 || width == 1664);
            if (heads != null && (heads < 1 || width % heads != 0))
                throw new HeadCountException(store.path(), "vision tower", heads, width, true);
            int h = heads != null
                    ? heads
                    : configHeads != null ? configHeads : openClipBig ? 16 : Math.max(1, width / 64);
            if (h < 1 || width % h != 0)
                throw new SafetensorsException(
                        store.path(), "vision tower: " + h + " heads do not divide the width " + width);
            HiddenAct act = activation != null ? activation : openClipBig ? HiddenAct.GELU : HiddenAct.QUICK_GELU;
            ClipVisionConfig cfg =
                    new ClipVisionConfig(grid * patch, patch, width, h, layers, mlp, projectionDim, act, layerNormEps);
            return new VisionTower(store, prefix, naming, cfg, t.tensors());
        }
    }
}
