package sdclip.engine.support;

import java.util.List;

import sdclip.engine.Weights;

/** Shape checks shared by the backends, so every backend refuses the same bad input the same way. */
public final class LinearShapes {
    private LinearShapes() {}

    public static int outRows(List<Weights> weightRows, List<Weights> biasRows, int in) {
        if (in <= 0) throw new IllegalArgumentException("linear input width must be positive, got " + in);
        if (weightRows.isEmpty()) throw new IllegalArgumentException("linear layer without weights");
        long out = 0;
        for (Weights w : weightRows) {
            if (w.size() % in != 0)
                throw new IllegalArgumentException(
                        "linear weight of " + w.size() + " values is not a whole number of rows of " + in);
            out += w.size() / in;
        }
        if (out > Integer.MAX_VALUE) throw new IllegalArgumentException("linear layer too large: " + out + " rows");
        if (!biasRows.isEmpty()) {
            long bias = biasRows.stream().mapToLong(Weights::size).sum();
            if (bias != out)
                throw new IllegalArgumentException("linear bias has " + bias + " values for " + out + " outputs");
        }
        return (int) out;
    }

    public static void requireSize(String what, Weights w, long expected) {
        if (w.size() != expected)
            throw new IllegalArgumentException(what + " has " + w.size() + " values, expected " + expected);
    }

    public static void checkIds(int[] ids, int batch, int seq, int vocab, int context) {
        if (seq > context) throw new IllegalArgumentException(seq + " tokens exceed the context of " + context);
        if (ids.length < batch * seq) throw new IllegalArgumentException(ids.length + " ids for " + batch + "x" + seq);
        for (int i = 0; i < batch * seq; i++) {
            if (ids[i] < 0 || ids[i] >= vocab)
                throw new IllegalArgumentException("token id " + ids[i] + " outside the vocabulary of " + vocab);
        }
    }
}
