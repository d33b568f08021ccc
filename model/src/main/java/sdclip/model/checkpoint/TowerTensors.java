package sdclip.model.checkpoint;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.IntFunction;

import sdclip.engine.Weights;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * What the text and vision tower builders share: reading one tower's stored tensors, checking
 * their shapes, and collecting them under canonical Hugging Face names, including the mapping of
 * one transformer layer (HF names, or OpenAI's {@code in_proj} split into q, k and v row views,
 * {@code c_fc}/{@code c_proj}).
 */
final class TowerTensors {

    private final TensorStore store;
    /** Where the stored tensors start, after any outer prefix. */
    private final String prefix;
    /** What messages call the tower, e.g. {@code CLIP-L text encoder}, {@code vision tower}. */
    private final String owner;

    private final Map<String, TextTower.Tensor> out = new LinkedHashMap<>();

    TowerTensors(TensorStore store, String prefix, String owner) {
        this.store = store;
        this.prefix = prefix;
        this.owner = owner;
    }

    /** {@return the canonical tensors collected so far, in the order they were put} */
    Map<String, TextTower.Tensor> tensors() {
        return out;
    }

    /** Adds a canonical tensor built by the caller (a projection, kept transposed or not). */
    void put(TextTower.Tensor t) {
        out.put(t.name(), t);
    }

    /** Checks stored tensor {@code name} has {@code shape} and adds it as {@code canonical}. */
    void put(String canonical, String name, long... shape) {
        check(name, shape);
        out.put(canonical, new TextTower.Tensor(canonical, shape, store.weights(name), name, false));
    }

    /** A tower's encoder depth and MLP width, as the stored layers give them. */
    record Layers(int count, int mlp) {}

    /**
     * Adds every encoder layer (0..L-1, as stored) under the canonical prefixes {@code canonical(l)};
     * fails when there is none.
     *
     * @return how many layers there are, and the MLP width of layer 0's first linear
     */
    Layers putLayers(IntFunction<String> canonical, int width, boolean hf) {
        int layers = countLayers(hf ? "encoder.layers." : "transformer.resblocks.");
        if (layers == 0)
            throw new SafetensorsException(store.path(), owner + " under \"" + prefix + "\" has no transformer layers");
        TensorInfo fc1 = need(hf ? "encoder.layers.0.mlp.fc1.weight" : "transformer.resblocks.0.mlp.c_fc.weight", 2);
        int mlp = toInt(fc1, 0);
        for (int l = 0; l < layers; l++) putLayer(canonical.apply(l), l, width, mlp, hf);
        return new Layers(layers, mlp);
    }

    /**
     * Adds the tensors of layer {@code l} under canonical prefix {@code c}.
     *
     * @param hf whether the stored names are Hugging Face's ({@code encoder.layers.N.}) or OpenAI's
     *           ({@code transformer.resblocks.N.})
     */
    private void putLayer(String c, int l, int width, int mlp, boolean hf) {
        String s = prefix + (hf ? "encoder.layers." + l + "." : "transformer.resblocks." + l + ".");
        put(c + "layer_norm1.weight", s + (hf ? "layer_norm1.weight" : "ln_1.weight"), width);
        put(c + "layer_norm1.bias", s + (hf ? "layer_norm1.bias" : "ln_1.bias"), width);
        String[] parts = {"q", "k", "v"};
        if (hf) {
            for (String p : parts) {
                put(c + "self_attn." + p + "_proj.weight", s + "self_attn." + p + "_proj.weight", width, width);
                put(c + "self_attn." + p + "_proj.bias", s + "self_attn." + p + "_proj.bias", width);
            }
        } else {
            TensorInfo w = check(s + "attn.in_proj_weight", 3L * width, width);
            TensorInfo b = check(s + "attn.in_proj_bias", 3L * width);
            Weights wv = store.weights(w.name()), bv = store.weights(b.name());
            for (int i = 0; i < 3; i++) {
                String wn = c + "self_attn." + parts[i] + "_proj.weight",
                        bn = c + "self_attn." + parts[i] + "_proj.bias";
                out.put(
                        wn,
                        new TextTower.Tensor(
                                wn,
                                new long[] {width, width},
                                wv.slice((long) i * width * width, (long) width * width),
                                w.name(),
                                false));
                out.put(
                        bn,
                        new TextTower.Tensor(
                                bn, new long[] {width}, bv.slice((long) i * width, width), b.name(), false));
            }
        }
        put(
                c + "self_attn.out_proj.weight",
                s + (hf ? "self_attn.out_proj.weight" : "attn.out_proj.weight"),
                width,
                width);
        put(c + "self_attn.out_proj.bias", s + (hf ? "self_attn.out_proj.bias" : "attn.out_proj.bias"), width);
        put(c + "layer_norm2.weight", s + (hf ? "layer_norm2.weight" : "ln_2.weight"), width);
        put(c + "layer_norm2.bias", s + (hf ? "layer_norm2.bias" : "ln_2.bias"), width);
        put(c + "mlp.fc1.weight", s + (hf ? "mlp.fc1.weight" : "mlp.c_fc.weight"), mlp, width);
        put(c + "mlp.fc1.bias", s + (hf ? "mlp.fc1.bias" : "mlp.c_fc.bias"), mlp);
        put(c + "mlp.fc2.weight", s + (hf ? "mlp.fc2.weight" : "mlp.c_proj.weight"), width, mlp);
        put(c + "mlp.fc2.bias", s + (hf ? "mlp.fc2.bias" : "mlp.c_proj.bias"), width);
    }

    /** {@return stored tensor {@code prefix + suffix}}, checked to have {@code rank} dimensions. */
    TensorInfo need(String suffix, int rank) {
        TensorInfo t = info(prefix + suffix);
        if (t.rank() != rank)
            throw new SafetensorsException(
                    store.path(), t.name(), "has shape " + t.shapeString() + ", expected " + rank + " dimensions");
        return t;
    }

    /** {@return stored tensor {@code name}}, checked to exist in a dtype sdclip computes with. */
    TensorInfo info(String name) {
        TensorInfo t = store.info(name);
        if (t == null)
            throw new SafetensorsException(store.path(), name, "is missing (" + owner + " under \"" + prefix + "\")");
        if (t.type().computeType() == null)
            throw new SafetensorsException(
                    store.path(), name, "has dtype " + t.type() + "; sdclip computes with F32, F16 or BF16 only");
        return t;
    }

    /** {@return stored tensor {@code name}}, checked to have exactly {@code shape} (hinting at a transpose). */
    TensorInfo check(String name, long... shape) {
        TensorInfo t = info(name);
        if (!Arrays.equals(t.shape(), shape)) {
            boolean transposed =
                    shape.length == 2 && t.rank() == 2 && t.shape()[0] == shape[1] && t.shape()[1] == shape[0];
            throw new SafetensorsException(
                    store.path(),
                    name,
                    "has shape " + t.shapeString() + ", expected " + Arrays.toString(shape)
                            + (transposed ? " (transposed?)" : ""));
        }
        return t;
    }

    /** {@return dimension {@code dim} of {@code t}}, checked to be a usable model size. */
    int toInt(TensorInfo t, int dim) {
        long d = t.shape()[dim];
        if (d <= 0 || d > Integer.MAX_VALUE)
            throw new SafetensorsException(
                    store.path(),
                    t.name(),
                    "has shape " + t.shapeString() + ": dimension " + d + " cannot be a model size");
        return (int) d;
    }

    /** Layers 0..L-1 present under {@code prefix + stem}; a gap is reported as a missing layer later. */
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

    /**
     * Checks stored projection {@code name}, {@code p} (HF {@code [P, W]}, or OpenAI {@code [W, P]} when its name does not
     * end in {@code .weight}) against {@code width} and adds it as {@code canonical}.
     *
     * @param kind what the width is called in messages, e.g. {@code text}
     * @return the projection's output size P
     */
    int putProjection(String canonical, String name, TensorInfo p, int width, String kind) {
        if (p.rank() != 2)
            throw new SafetensorsException(store.path(), name, "has shape " + p.shapeString() + ", expected a matrix");
        boolean openAi = !name.endsWith(".weight");
        int pw = toInt(p, openAi ? 0 : 1);
        int projectionDim = toInt(p, openAi ? 1 : 0);
        if (pw != width)
            throw new SafetensorsException(
                    store.path(), name, "has shape " + p.shapeString() + " but the " + kind + " width is " + width);
        put(new TextTower.Tensor(canonical, new long[] {projectionDim, width}, store.weights(name), name, openAi));
        return projectionDim;
    }
}
