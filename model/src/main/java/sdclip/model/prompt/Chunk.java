package sdclip.model.prompt;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One encoder input of a chunked prompt: {@value #LENGTH} positions, the start token, up to
 * {@value #CAPACITY} prompt positions, the end token, then padding. Each position has a token id,
 * a weight (1.0 for start, end and padding) and, where a textual inversion vector goes, an
 * {@link EmbeddingSlot} (its id is then {@value #SLOT_ID}, the placeholder A1111 uses).
 * Immutable: the arrays are copied in and out.
 *
 * @param ids the {@value #LENGTH} token ids
 * @param weights the {@value #LENGTH} weights, float32 as the UIs hand them to torch
 * @param slots the {@value #LENGTH} embedding slots, {@code null} where none
 */
public record Chunk(int[] ids, float[] weights, EmbeddingSlot[] slots) {
    /** Positions in a chunk: CLIP's context length. */
    public static final int LENGTH = 77;
    /** Prompt positions in a chunk: the context less the start and end tokens. */
    public static final int CAPACITY = LENGTH - 2;
    /** The token id placed at an embedding slot (A1111 puts 0 there); the encoder ignores it. */
    public static final int SLOT_ID = 0;

    /** Checks the lengths and copies the arrays. */
    public Chunk {
        if (ids.length != LENGTH || weights.length != LENGTH || slots.length != LENGTH)
            throw new IllegalArgumentException("a chunk has " + LENGTH + " positions, not " + ids.length + "/"
                    + weights.length + "/" + slots.length);
        ids = ids.clone();
        weights = weights.clone();
        slots = slots.clone();
    }

    /**
     * The chunk of an empty prompt: start, end, then {@code padId} to the end (A1111's
     * {@code empty_chunk} after its padding step; ComfyUI's {@code gen_empty_tokens}).
     *
     * @param startId the start token's id (49406 in CLIP's vocabulary)
     * @param endId   the end token's id (49407)
     * @param padId   the id after the first end token: the end id (SD 1.x, SDXL's CLIP-L) or 0 (OpenCLIP)
     * @return the chunk, every weight 1
     */
    public static Chunk empty(int startId, int endId, int padId) {
        int[] ids = new int[LENGTH];
        Arrays.fill(ids, padId);
        ids[0] = startId;
        ids[1] = endId;
        float[] weights = new float[LENGTH];
        Arrays.fill(weights, 1f);
        return new Chunk(ids, weights, new EmbeddingSlot[LENGTH]);
    }

    /** {@return a copy of the {@value #LENGTH} token ids} */
    @Override
    public int[] ids() {
        return ids.clone();
    }

    /** {@return a copy of the {@value #LENGTH} weights} */
    @Override
    public float[] weights() {
        return weights.clone();
    }

    /** {@return a copy of the {@value #LENGTH} embedding slots, {@code null} where none} */
    @Override
    public EmbeddingSlot[] slots() {
        return slots.clone();
    }

    /**
     * The token id at a position.
     *
     * @param position the position, 0 to {@value #LENGTH} - 1
     * @return the id ({@value #SLOT_ID} at an embedding slot)
     */
    public int id(int position) {
        return ids[position];
    }

    /**
     * The weight at a position.
     *
     * @param position the position, 0 to {@value #LENGTH} - 1
     * @return the weight, 1 for start, end and padding
     */
    public float weight(int position) {
        return weights[position];
    }

    /**
     * The embedding slot at a position.
     *
     * @param position the position, 0 to {@value #LENGTH} - 1
     * @return the slot, or {@code null} where the position holds a token
     */
    public EmbeddingSlot slot(int position) {
        return slots[position];
    }

    /** {@return whether any position holds an embedding slot} */
    public boolean hasSlots() {
        for (EmbeddingSlot s : slots) if (s != null) return true;
        return false;
    }

    /** {@return whether any weight differs from 1} */
    public boolean isWeighted() {
        for (float w : weights) if (w != 1f) return true;
        return false;
    }

    /** Equal ids, weights (bit for bit) and slots. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk c
                && Arrays.equals(ids, c.ids)
                && Arrays.equals(weights, c.weights)
                && Arrays.equals(slots, c.slots);
    }

    /** A hash of the contents, consistent with {@link #equals}. */
    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ids), Arrays.hashCode(weights), Arrays.hashCode(slots));
    }

    /** Positions as {@code id}, {@code id*weight} or {@code name[i]*weight}; a trailing run of plain padding is shortened to {@code ...}. */
    @Override
    public String toString() {
        int tail = LENGTH;
        while (tail > 1 && plain(tail - 1) && ids[tail - 1] == ids[LENGTH - 1]) tail--;
        StringBuilder b = new StringBuilder("Chunk[");
        for (int i = 0; i < Math.min(LENGTH, tail + 1); i++) {
            if (i > 0) b.append(' ');
            b.append(slots[i] != null ? slots[i].name() + "[" + slots[i].index() + "]" : Integer.toString(ids[i]));
            if (weights[i] != 1f) b.append('*').append(weights[i]);
        }
        if (tail + 1 < LENGTH) b.append(" ...");
        return b.append(']').toString();
    }

    private boolean plain(int i) {
        return slots[i] == null && weights[i] == 1f;
    }

    /**
     * Pads every prompt of a batch to the same number of chunks with {@code empty}, as A1111 does
     * before encoding chunk {@code i} of all prompts together.
     *
     * @param prompts each prompt's chunks; a prompt with none gets only {@code empty} ones
     * @param empty   the chunk to pad with, usually {@link #empty}
     * @return each prompt's chunks, all as many as the longest prompt's; unmodifiable
     */
    public static List<List<Chunk>> padBatch(List<List<Chunk>> prompts, Chunk empty) {
        Objects.requireNonNull(empty, "empty");
        int k = 0;
        for (List<Chunk> p : prompts) k = Math.max(k, p.size());
        int count = k;
        return prompts.stream()
                .map(p -> {
                    Chunk[] out = new Chunk[count];
                    for (int i = 0; i < count; i++) out[i] = i < p.size() ? p.get(i) : empty;
                    return List.of(out);
                })
                .toList();
    }
}
