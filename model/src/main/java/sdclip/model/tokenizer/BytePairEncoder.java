package sdclip.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE of one pre-token: its UTF-8 bytes as byte characters, {@code </w>} on the last,
 * then merges by rank. A heap of (rank, position) over a linked list of symbols applies the
 * lowest-ranked pair first and, within a rank, left to right, which is exactly the reference's
 * "merge every occurrence of the best pair" loop (a merge only creates pairs of higher rank),
 * in O(n log n) instead of O(n^2) for long pieces. Results of short pieces are cached.
 */
final class BytePairEncoder {
    private static final int CACHE_LIMIT = 50_000, CACHEABLE_LENGTH = 64;

    private final Vocabulary vocab;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BytePairEncoder(Vocabulary vocab) {
        this.vocab = vocab;
    }

    int[] encode(String piece) {
        if (piece.length() > CACHEABLE_LENGTH) return merge(piece);
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = merge(piece);
            if (cache.size() >= CACHE_LIMIT) cache.clear(); // bounded: a hostile stream of words cannot grow it
            cache.put(piece, ids);
        }
        return ids;
    }

    private int[] merge(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        if (n == 0) return new int[0];
        int[] sym = new int[n], next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = vocab.byteIds[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        sym[n - 1] = vocab.byteEndIds[bytes[n - 1] & 0xFF];
        boolean[] dead = new boolean[n];
        PriorityQueue<Long> heap = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) push(heap, sym[i], sym[i + 1], i);
        int count = n;
        while (!heap.isEmpty()) {
            long key = heap.poll();
            int rank = (int) (key >>> 32), i = (int) key;
            int j = dead[i] ? -1 : next[i];
            if (j < 0 || vocab.rank(sym[i], sym[j]) != rank) continue; // stale entry
            sym[i] = vocab.mergedIds[rank];
            dead[j] = true;
            count--;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            if (prev[i] >= 0) push(heap, sym[prev[i]], sym[i], prev[i]);
            if (next[i] >= 0) push(heap, sym[i], sym[next[i]], i);
        }
        int[] out = new int[count];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = sym[i];
        return out;
    }

    private void push(PriorityQueue<Long> heap, int a, int b, int pos) {
        int r = vocab.rank(a, b);
        if (r >= 0) heap.add((long) r << 32 | pos);
    }
}
