package sdclip.model.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

import sdclip.engine.Weights;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * One CLIP text encoder inside a checkpoint, every tensor resolved to its canonical Hugging Face
 * name ({@code text_model.*}, {@code text_projection.weight}) and checked against the shape the
 * architecture implies. OpenAI/OpenCLIP naming is mapped here: {@code in_proj_weight} is split
 * into q, k and v row views (no copy) and {@code text_projection [W, P]} is kept with a
 * transposed flag. {@code position_ids} buffers are never read.
 */
public final class TextTower {

    /**
     * A canonical tensor: its HF name and shape, and the stored values behind it.
     *
     * @param name       the canonical Hugging Face name, e.g. {@code text_model.encoder.layers.0.mlp.fc1.weight}
     * @param shape      the HF shape: {@code [out, in]} for a linear weight, {@code [n]} for a bias or norm
     * @param values     the stored values (F32, F16 or BF16), a view of the file; in OpenAI's {@code [W, P]}
     *                   order when {@code transposed}, else row-major over {@code shape}
     * @param source     the name of the stored tensor it was read from (for a q/k/v split, the whole
     *                   {@code in_proj_weight} or {@code in_proj_bias})
     * @param transposed whether {@code values} hold the transpose of {@code shape} (only OpenAI's text projection)
     */
    public record Tensor(String name, long[] shape, Weights values, String source, boolean transposed) {
        /** {@return the number of elements, the product of {@link #shape}} */
        public long elements() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact);
        }

        /**
         * Copies elements {@code [from, from + count)} in HF layout (row-major over {@link #shape}), widened to F32,
         * undoing the transpose when there is one.
         *
         * @param from  first element, in HF order
         * @param dst   destination
         * @param off   first index of {@code dst} written
         * @param count number of elements
         */
        public void copyTo(long from, float[] dst, int off, int count) {
            if (!transposed) {
                values.copyTo(from, dst, off, count);
                return;
            }
            long rows = shape[0], cols = shape[1]; // HF [P, W] read from OpenAI's [W, P]
            for (int i = 0; i < count; i++) {
                long e = from + i, p = e / cols, w = e % cols;
                dst[off + i] = values.get(w * rows + p);
            }
        }
    }

    /** How the family's UNet conditioning is taken from this tower. */
    public enum Conditioning {
        /** {@code final_layer_norm(hidden_states[L - (clipSkip - 1)])}: SD 1.x, SD 2.x, plain CLIP. */
        FINAL_NORM,
        /** {@code hidden_states[L - 1]} without the final norm: SDXL's encoders. */
        RAW_PENULTIMATE
    }

    private final TensorStore store;
    private final String label, prefix;
    private final Naming naming;
    private final ClipTextConfig config;
    private final Map<String, Tensor> tensors;
    private final int padId, defaultClipSkip;
    private final Conditioning conditioning;
    private final Path tokenizerFolder;

    private TextTower(Builder b, ClipTextConfig config, Map<String, Tensor> tensors) {
        this.store = b.store;
        this.label = b.label;
        this.prefix = b.prefix;
        this.naming = b.naming;
        this.config = config;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.padId = b.padId;
        this.defaultClipSkip = b.defaultClipSkip;
        this.conditioning = b.conditioning;
        this.tokenizerFolder = b.tokenizerFolder;
    }

    /** {@return what messages call this tower, e.g. {@code CLIP-L text encoder}, {@code encoder 2 (OpenCLIP bigG)}} */
    public String label() {
        return label;
    }

    /**
     * {@return the key prefix of this tower's stored tensors, e.g. {@code cond_stage_model.transformer.text_model.};
     * empty when they sit at the top of the file}
     */
    public String prefix() {
        return prefix;
    }

    /** {@return how the stored tensors are named} */
    public Naming naming() {
        return naming;
    }

    /** {@return the tower's shape, read from its tensors} */
    public ClipTextConfig config() {
        return config;
    }

    /** {@return the canonical tensors by HF name, in HF order: embeddings, layers, final norm, projection} */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * One canonical tensor.
     *
     * @param canonicalName its HF name, e.g. {@code text_model.final_layer_norm.weight}
     * @return the tensor
     * @throws IllegalArgumentException when the tower has no tensor of that name
     */
    public Tensor tensor(String canonicalName) {
        Tensor t = tensors.get(canonicalName);
        if (t == null) throw new IllegalArgumentException("no canonical tensor " + canonicalName);
        return t;
    }

    /**
     * The stored values of one canonical tensor. Not for {@code text_projection.weight} when it is transposed: use
     * {@link Tensor#copyTo} there.
     *
     * @param canonicalName its HF name
     * @return its values as stored
     * @throws IllegalArgumentException when the tower has no tensor of that name
     */
    public Weights weights(String canonicalName) {
        return tensor(canonicalName).values();
    }

    /** {@return the pad id of this tower's tokenization: 49407 for OpenAI CLIP-L, 0 for OpenCLIP towers} */
    public int padId() {
        return padId;
    }

    /** {@return the clip skip the family uses when the request gives none: 1 (last layer), 2 for SD 2.x} */
    public int defaultClipSkip() {
        return defaultClipSkip;
    }

    /** {@return how the family's UNet conditioning is taken from this tower} */
    public Conditioning conditioning() {
        return conditioning;
    }

    /** {@return the folder of this tower's own tokenizer (diffusers {@code tokenizer/}), or null when it has none} */
    public Path tokenizerFolder() {
        return tokenizerFolder;
    }

    /**
     * {@return the name of the type the tower's weights are stored in (of layer 0's first MLP weight, which
     * quantizing converters quantize even when they keep embeddings wider), e.g. {@code F16} or {@code Q8_0}}
     */
    public String dtype() {
        return store.storedType(
                tensor("text_model.encoder.layers.0.mlp.fc1.weight").source());
    }

    /**
     * The canonical name prefix of one transformer layer.
     *
     * @param l the layer index, from 0
     * @return {@code text_model.encoder.layers.<l>.}
     */
    public static String layer(int l) {
        return "text_model.encoder.layers." + l + ".";
    }

    /** Describes where a tower is and how it is stored; {@link #build()} resolves and checks every tensor. */
    static final class Builder {
        TensorStore store;
        String label = "text encoder", prefix = "";
        Naming naming = Naming.HUGGING_FACE;
        /** Full name of the projection tensor, or null; OpenAI orientation is [W, P]. */
        String projection;
        /** The head count the caller gave, else the one config.json gives; either may be null. */
        Integer heads, configHeads;

        HiddenAct activation = HiddenAct.QUICK_GELU;
        float layerNormEps = 1e-5f;
        int padId = 49407, defaultClipSkip = 1;
        Conditioning conditioning = Conditioning.FINAL_NORM;
        Path tokenizerFolder;

        Builder conditioning(Conditioning c) {
            conditioning = c;
            return this;
        }

        Builder clipSkip(int k) {
            defaultClipSkip = k;
            return this;
        }

        TextTower build() {
            TowerTensors t = new TowerTensors(store, prefix, label);
            boolean hf = naming == Naming.HUGGING_FACE;
            TensorInfo tok = t.need(hf ? "embeddings.token_embedding.weight" : "token_embedding.weight", 2);
            int vocab = t.toInt(tok, 0), width = t.toInt(tok, 1);
            TensorInfo pos = t.need(hf ? "embeddings.position_embedding.weight" : "positional_embedding", 2);
            int context = t.toInt(pos, 0);
            t.put("text_model.embeddings.token_embedding.weight", tok.name(), vocab, width);
            t.put("text_model.embeddings.position_embedding.weight", pos.name(), context, width);
            TowerTensors.Layers stack = t.putLayers(TextTower::layer, width, hf);
            int layers = stack.count(), mlp = stack.mlp();
            t.put(
                    "text_model.final_layer_norm.weight",
                    prefix + (hf ? "final_layer_norm.weight" : "ln_final.weight"),
                    width);
            t.put("text_model.final_layer_norm.bias", prefix + (hf ? "final_layer_norm.bias" : "ln_final.bias"), width);
            int projectionDim = projection == null
                    ? 0
                    : t.putProjection("text_projection.weight", projection, store.require(projection), width, "text");
            if (heads != null && (heads < 1 || width % heads != 0))
                throw new HeadCountException(store.path(), label, heads, width, false);
            int h = heads != null ? heads : configHeads != null ? configHeads : Math.max(1, width / 64);
            if (h < 1 || width % h != 0)
                throw new SafetensorsException(
                        store.path(), label + ": " + h + " heads do not divide the width " + width);
            return new TextTower(
                    this,
                    new ClipTextConfig(width, h, layers, mlp, vocab, context, projectionDim, activation, layerNormEps),
                    t.tensors());
        }
    }
}
