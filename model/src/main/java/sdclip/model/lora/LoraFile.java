package sdclip.model.lora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.ModelFormatException;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.format.TensorFiles;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * One LoRA / LyCORIS file's text-encoder part ({@code .safetensors}, or {@code .pt} / {@code .ckpt}
 * through the pickle reader that runs nothing), grouped by the linear each network changes. The
 * file stays mapped and nothing is read but the names until {@link Network#delta()}; every
 * name and shape is checked first ({@link #open}, {@link #bind}), so a bad file fails before any
 * work. UNet keys (and T5's) are ignored; a text-encoder key that names no linear sdclip knows,
 * or a part it cannot apply, is an error naming it.
 */
public final class LoraFile implements AutoCloseable {
    /** The parts sdclip applies, in kohya's words (diffusers' and PEFT's factor names are read as these). */
    private static final Set<String> PARTS = Set.of(
            "lora_down.weight",
            "lora_up.weight",
            "alpha",
            "scale",
            "hada_w1_a",
            "hada_w1_b",
            "hada_w2_a",
            "hada_w2_b",
            "lokr_w1",
            "lokr_w1_a",
            "lokr_w1_b",
            "lokr_w2",
            "lokr_w2_a",
            "lokr_w2_b");

    /** Where PEFT's {@code LoraConfig} sits in a diffusers file's safetensors metadata. */
    private static final String PEFT_METADATA = "lora_adapter_metadata";

    /**
     * One linear a network changes, as the file names it.
     *
     * @param encoder the encoder number as written: 0 for kohya's {@code lora_te_}, else 1 or 2
     * @param weight the canonical name of the weight, e.g. {@code text_model.encoder.layers.0.mlp.fc1.weight}
     * @param diffusers whether the keys are diffusers' ({@code text_encoder.}), whose alpha may be in the metadata
     */
    record Module(int encoder, String weight, boolean diffusers) {}

    private final Path path;
    private final TensorStore store;
    /** Each module's parts: part (kohya's word) to stored tensor name, in file order. */
    private final Map<Module, Map<String, String>> modules;

    private LoraFile(Path path, TensorStore store, Map<Module, Map<String, String>> modules) {
        this.path = path;
        this.store = store;
        this.modules = modules;
    }

    /**
     * Opens a network file and reads its names.
     *
     * @param path the file
     * @return the file, mapped; the caller closes it
     * @throws IOException when the file is missing or unreadable
     * @throws ModelFormatException when a text-encoder key names no linear sdclip knows, or a part it cannot apply
     * @throws sdclip.model.safetensors.SafetensorsException when the file is malformed
     */
    public static LoraFile open(Path path) throws IOException {
        TensorStore store = TensorFiles.open(path);
        try {
            Map<Module, Map<String, String>> modules = new LinkedHashMap<>();
            for (String name : store.names()) {
                switch (LoraKeys.of(name)) {
                    case LoraKeys.Ignored _ -> {}
                    case LoraKeys.Unknown _ ->
                        throw new ModelFormatException(
                                path,
                                name + " is a text-encoder key sdclip cannot map: it applies networks to the"
                                        + " attention (q, k, v, out) and MLP (fc1, fc2) linears of each layer");
                    case LoraKeys.Part p -> {
                        if (!PARTS.contains(p.part()))
                            throw new ModelFormatException(
                                    path,
                                    name + ": \"" + p.part()
                                            + "\" is not a part sdclip can apply (it applies LoRA, LoHa and LoKr"
                                            + " networks: lora_down/lora_up, hada_w*, lokr_w*, alpha, scale)");
                        Module m = new Module(p.encoder(), p.weightName(), name.startsWith("text_encoder"));
                        String before = modules.computeIfAbsent(m, k -> new LinkedHashMap<>())
                                .putIfAbsent(p.part(), name);
                        if (before != null)
                            throw new ModelFormatException(path, name + " and " + before + " are the same part");
                    }
                }
            }
            return new LoraFile(path, store, modules);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** {@return the file} */
    public Path path() {
        return path;
    }

    /** {@return whether the file changes a text encoder at all (a UNet-only network does not)} */
    public boolean hasTextEncoder() {
        return !modules.isEmpty();
    }

    /**
     * The networks mapped onto a checkpoint's text encoders, every factor's shape checked
     * against the weight it changes.
     *
     * @param towers the checkpoint's text encoders, in order
     * @return for each encoder (by index, from 0) the networks on its weights, by canonical name
     * @throws ModelFormatException when the file is for another architecture: keys for an encoder the
     *     model lacks, a layer it lacks, or factors that do not fit the weight
     */
    public List<Map<String, Network>> bind(List<TextTower> towers) {
        List<Map<String, Network>> out = new ArrayList<>();
        for (int i = 0; i < towers.size(); i++) out.add(new LinkedHashMap<>());
        for (var e : modules.entrySet()) {
            Module m = e.getKey();
            Map<String, String> parts = e.getValue();
            String any = parts.values().iterator().next();
            int index = encoderIndex(m.encoder(), towers.size(), any);
            TextTower tower = towers.get(index);
            TextTower.Tensor weight = tower.tensors().get(m.weight());
            if (weight == null)
                throw new ModelFormatException(
                        path,
                        any + " is for a layer the " + tower.label() + " lacks (it has "
                                + tower.config().layers() + " layers): a network for another model");
            out.get(index).put(m.weight(), Network.of(this, m, parts, weight.shape()[0], weight.shape()[1]));
        }
        return out;
    }

    private int encoderIndex(int written, int encoders, String key) {
        if (written == 0) {
            if (encoders != 1)
                throw new ModelFormatException(
                        path,
                        key + " is a lora_te_ key, for a model with one text encoder; this model has " + encoders
                                + " (a network for it names lora_te1_ / lora_te2_)");
            return 0;
        }
        if (written > encoders)
            throw new ModelFormatException(
                    path,
                    key + " is for text encoder " + written + ", and this model has " + encoders
                            + ": a network for another architecture");
        return written - 1;
    }

    TensorStore store() {
        return store;
    }

    /** A stored tensor's entry, checked to be floating point with {@code shape}. */
    TensorInfo check(String name, long... shape) {
        TensorInfo t = store.require(name);
        if (t.type().computeType() == null)
            throw new ModelFormatException(path, name + " has dtype " + t.type() + "; expected F32, F16 or BF16");
        if (!Arrays.equals(t.shape(), shape))
            throw new ModelFormatException(
                    path,
                    name + " has shape " + t.shapeString() + ", expected " + Arrays.toString(shape)
                            + ": a network for another model");
        return t;
    }

    /** A stored matrix's entry, checked to be floating point and two-dimensional. */
    TensorInfo matrix(String name) {
        TensorInfo t = store.require(name);
        if (t.type().computeType() == null)
            throw new ModelFormatException(path, name + " has dtype " + t.type() + "; expected F32, F16 or BF16");
        if (t.rank() != 2)
            throw new ModelFormatException(
                    path, name + " has shape " + t.shapeString() + ", expected a matrix (a text-encoder linear)");
        return t;
    }

    /**
     * PEFT's alpha and rank for an encoder's modules, from the {@code lora_adapter_metadata}
     * diffusers writes ({@code text_encoder.lora_alpha}, or {@code lora_alpha} for a single
     * model's file); null when there is none.
     *
     * @return {@code {alpha, r, rsLora (1 or 0)}}, or null
     */
    double[] peftAlpha(int encoder) {
        String json = store.metadata().get(PEFT_METADATA);
        if (json == null) return null;
        Map<String, Object> meta;
        try {
            meta = Json.parseObject(json);
        } catch (JsonException e) {
            throw new ModelFormatException(
                    path, PEFT_METADATA + " in the metadata is not a JSON object: " + e.getMessage());
        }
        String prefix = encoder == 2 ? "text_encoder_2." : "text_encoder.";
        if (!meta.containsKey(prefix + "lora_alpha")) prefix = "";
        Object alpha = meta.get(prefix + "lora_alpha"), r = meta.get(prefix + "r");
        if (!(alpha instanceof Number a)) return null;
        for (String pattern : new String[] {"rank_pattern", "alpha_pattern"}) {
            if (meta.get(prefix + pattern) instanceof Map<?, ?> m && !m.isEmpty())
                throw new ModelFormatException(
                        path, PEFT_METADATA + " has a " + prefix + pattern + ", which sdclip does not apply");
        }
        boolean rs = Boolean.TRUE.equals(meta.get(prefix + "use_rslora"));
        return new double[] {a.doubleValue(), r instanceof Number n ? n.doubleValue() : 0, rs ? 1 : 0};
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        store.close();
    }
}
