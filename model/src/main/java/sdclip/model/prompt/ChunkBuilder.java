package sdclip.model.prompt;

import java.util.Arrays;

/** The open chunk a chunker fills: up to {@link Chunk#LENGTH} positions of id, weight and slot. */
final class ChunkBuilder {
    final int[] ids = new int[Chunk.LENGTH];
    final float[] weights = new float[Chunk.LENGTH];
    final EmbeddingSlot[] slots = new EmbeddingSlot[Chunk.LENGTH];
    int size;

    void add(int id, float weight, EmbeddingSlot slot) {
        if (size == Chunk.LENGTH) throw new IllegalStateException("chunk overflow");
        ids[size] = id;
        weights[size] = weight;
        slots[size] = slot;
        size++;
    }

    /** Removes and returns the positions from {@code from} on. */
    ChunkBuilder cutFrom(int from) {
        ChunkBuilder tail = new ChunkBuilder();
        for (int i = from; i < size; i++) tail.add(ids[i], weights[i], slots[i]);
        Arrays.fill(slots, from, size, null);
        size = from;
        return tail;
    }

    /** The chunk, filled to {@link Chunk#LENGTH} with {@code padId} at weight 1. */
    Chunk padded(int padId) {
        int[] i = Arrays.copyOf(ids, Chunk.LENGTH);
        float[] w = Arrays.copyOf(weights, Chunk.LENGTH);
        Arrays.fill(i, size, Chunk.LENGTH, padId);
        Arrays.fill(w, size, Chunk.LENGTH, 1f);
        return new Chunk(i, w, slots);
    }
}
