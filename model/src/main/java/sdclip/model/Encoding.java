package sdclip.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import sdclip.model.safetensors.SafetensorsWriter;

/**
 * The tensors {@link TextEncoder#encode} produced for a run or for one batch of it, by name in a
 * stable order (the order {@link TextEncoder#outputs} lists). Shapes count this encoding's
 * prompts as N. The typed accessors throw {@link IllegalArgumentException} for outputs that
 * were not asked for; {@link #tensors()} is the name-to-tensor map for generic writers.
 *
 * <p>For SDXL with both encoders, the top-level tensors are the merged conditioning and encoder
 * 2's {@code input_ids}, {@code pooled_index}, {@code pooled_output} and {@code text_embeds}; each
 * encoder's own tensors are named {@code encoder1.*} / {@code encoder2.*} and are also reachable
 * as {@link #encoder(int)}.
 */
public final class Encoding {
    private final Map<String, HostTensor> tensors;
    private final int prompts;

    Encoding(Map<String, HostTensor> tensors) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        // The items (prompts, or images for an image encoding) are the outer axis of every tensor
        // but the hidden states, whose outer axis is the layer.
        HostTensor items = this.tensors.get("input_ids");
        for (var e : this.tensors.entrySet()) {
            if (items == null && !e.getKey().endsWith("hidden_states")) items = e.getValue();
        }
        this.prompts = items == null ? 0 : (int) items.shape()[0];
    }

    /** {@return every tensor by name, in a stable order; unmodifiable} */
    public Map<String, HostTensor> tensors() {
        return tensors;
    }

    /**
     * The named tensor.
     *
     * @param name a tensor name, e.g. {@code conditioning} or {@code encoder2.pooled_output}
     * @return the tensor
     * @throws IllegalArgumentException when it was not computed; the message lists the names there are
     */
    public HostTensor get(String name) {
        HostTensor t = tensors.get(name);
        if (t == null)
            throw new IllegalArgumentException(
                    "no tensor \"" + name + "\" in this encoding (have " + tensors.keySet() + ")");
        return t;
    }

    /**
     * Whether the named tensor was computed.
     *
     * @param name a tensor name
     * @return true when this encoding holds it
     */
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** {@return the number of prompts N (of images M for an image encoding); 0 when empty} */
    public int prompts() {
        return prompts;
    }

    /** {@return UNet conditioning, F32 {@code [N, 77, C]} (SDXL: C = 768 + 1280, both encoders side by side)} */
    public HostTensor conditioning() {
        return get(TextOutput.CONDITIONING.id());
    }

    /** {@return {@code final_layer_norm} of the last block, F32 {@code [N, 77, D]} (one encoder only)} */
    public HostTensor lastHiddenState() {
        return get(TextOutput.LAST_HIDDEN_STATE.id());
    }

    /** {@return the embedding output and every block's raw output, F32 {@code [L+1, N, 77, D]} (one encoder only)} */
    public HostTensor hiddenStates() {
        return get(TextOutput.HIDDEN_STATES.id());
    }

    /** {@return the normed end-token rows, F32 {@code [N, D]}} */
    public HostTensor pooledOutput() {
        return get(TextOutput.POOLED_OUTPUT.id());
    }

    /** {@return the projected pooled rows, F32 {@code [N, P]}; absent without a text projection} */
    public HostTensor textEmbeds() {
        return get(TextOutput.TEXT_EMBEDS.id());
    }

    /** {@return the token ids, I64 {@code [N, 77]}, padded as the family pads} */
    public HostTensor inputIds() {
        return get("input_ids");
    }

    /** {@return each row's first end-token position (where pooling happens), I64 {@code [N]}} */
    public HostTensor pooledIndex() {
        return get("pooled_index");
    }

    /** {@return how many encoders' own results this holds under {@code encoderN.} names (2 for SDXL, else 0)} */
    public int encoderCount() {
        int n = 0;
        while (has("encoder" + (n + 1) + ".input_ids")) n++;
        return n;
    }

    /**
     * Encoder {@code n}'s own tensors (from 1), without their {@code encoderN.} prefix; for an
     * encoding of one encoder, {@code encoder(1)} is the encoding itself.
     *
     * @param n the encoder number, from 1
     * @return that encoder's tensors
     * @throws IllegalArgumentException when this encoding holds no encoder {@code n}
     */
    public Encoding encoder(int n) {
        int count = encoderCount();
        if (count == 0 && n == 1) return this;
        if (n < 1 || n > Math.max(count, 1))
            throw new IllegalArgumentException(
                    "encoder " + n + " requested, but this encoding holds " + Math.max(count, 1) + " encoder(s)");
        String prefix = "encoder" + n + ".";
        Map<String, HostTensor> own = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (name.startsWith(prefix)) own.put(name.substring(prefix.length()), t);
        });
        return new Encoding(own);
    }

    /**
     * Writes every tensor to a safetensors file, atomically (a temporary file, then a rename).
     *
     * @param file     the file to write; replaced when it exists
     * @param metadata the header's {@code __metadata__} entries; may be empty
     * @throws IOException when the file cannot be written
     */
    public void writeSafetensors(Path file, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        tensors.forEach((name, t) -> {
            if (t.isFloat()) w.addFloats(name, t.shape(), t.floats());
            else w.addLongs(name, t.shape(), t.longs());
        });
        w.write(file);
    }
}
