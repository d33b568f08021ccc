package sdclip.model.text;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/**
 * A streaming run: rows are tokenized as the {@link BatchPlan} asks for them, each batch goes
 * through every chosen encoder, and its merged result is handed on before the next batch
 * starts, so memory is bounded by the batch, not by the number of prompts.
 */
public final class Batches {

    /** Token rows, produced on demand: row {@code n} for chosen encoder {@code e} (0-based within the run). */
    public interface Rows {
        int size();

        int[] row(int encoder, int n) throws IOException;
    }

    /** Receives each batch's merged tensors. */
    public interface Consumer {
        void accept(int first, Map<String, HostTensor> batch) throws IOException;
    }

    /** CLIP's end token, where pooling happens. */
    private static final int END_ID = 49407;

    /** How two encoders' results become one (see {@link SdxlMerge}). */
    public enum Merge {
        /** SDXL: the pooled vector and text embeddings are encoder 2's. */
        SDXL,
        /** SD3: the pooled vector is encoder 1's pooled output then encoder 2's text embeddings. */
        SD3
    }

    private final List<EncoderOutputs> encoders;
    private final int batchSize;
    private final Merge merge;

    /** {@code encoders}: one, or two (SDXL, SD3) joined as {@code merge} says. */
    public Batches(List<EncoderOutputs> encoders, int batchSize, Merge merge) {
        this.encoders = encoders;
        this.batchSize = batchSize;
        this.merge = merge;
    }

    /** The tensors an {@code n}-prompt run produces, in order. */
    public List<TensorSpec> specs(long n) {
        if (encoders.size() == 1) return encoders.getFirst().specs(n);
        return SdxlMerge.specs(encoders.get(0).specs(n), encoders.get(1).specs(n), merge == Merge.SD3);
    }

    /** Runs every row, batch by batch, telling {@code done} the prompts finished after each. */
    public void run(Rows rows, Consumer sink, IntConsumer done) throws IOException {
        int n = rows.size(), context = encoders.getFirst().config().contextLength();
        boolean full = encoders.stream().anyMatch(EncoderOutputs::fullSequence);
        BatchPlan plan = new BatchPlan(batchSize, context, full);
        List<int[][]> batch = new ArrayList<>();
        int[][] carried = null;
        for (int first = 0; first < n; first += batch.size()) {
            batch.clear();
            plan.reset();
            while (first + batch.size() < n) {
                int[][] row = carried != null ? carried : tokenized(rows, first + batch.size());
                carried = null;
                if (!plan.tryAdd(pooledIndex(row[0], context))) {
                    carried = row;
                    break;
                }
                batch.add(row);
            }
            sink.accept(first, runBatch(batch, context));
            done.accept(first + batch.size());
        }
    }

    private int[][] tokenized(Rows rows, int n) throws IOException {
        int[][] row = new int[encoders.size()][];
        for (int e = 0; e < row.length; e++) row[e] = rows.row(e, n);
        return row;
    }

    private Map<String, HostTensor> runBatch(List<int[][]> batch, int context) {
        List<Map<String, HostTensor>> results = new ArrayList<>();
        for (int e = 0; e < encoders.size(); e++) {
            int[] ids = new int[batch.size() * context], pooled = new int[batch.size()];
            for (int b = 0; b < batch.size(); b++) {
                System.arraycopy(batch.get(b)[e], 0, ids, b * context, context);
                pooled[b] = pooledIndex(batch.get(b)[e], context);
            }
            results.add(encoders.get(e).run(ids, pooled, batch.size()));
        }
        return results.size() == 1
                ? results.getFirst()
                : SdxlMerge.merge(results.get(0), results.get(1), merge == Merge.SD3);
    }

    /** The first end token, or the last position when there is none. */
    static int pooledIndex(int[] row, int context) {
        int p = 0;
        while (p < context - 1 && row[p] != END_ID) p++;
        return p;
    }

    /** Checks pre-tokenized rows: exactly the context length, ids inside the vocabulary. */
    public static void checkRow(int[] row, int n, int context, int vocab) {
        if (row.length != context)
            throw new IllegalArgumentException("row " + n + " has " + row.length + " ids, expected " + context);
        for (int id : row)
            if (id < 0 || id >= vocab)
                throw new IllegalArgumentException(
                        "row " + n + ": token id " + id + " outside the vocabulary of " + vocab);
    }

    static String shape(long[] s) {
        return Arrays.toString(s);
    }
}
