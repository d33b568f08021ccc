package sdclip.model.text;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/**
 * Gathers a streaming run's batches into whole tensors on the heap, for the all-in-memory
 * encode. A run done in one batch hands over the batch's own arrays (no copy); otherwise each
 * batch's rows are copied into place along the batch axis. Refuses up front a run whose tensors
 * would not fit a Java array.
 */
public final class OutputAssembly implements Batches.Consumer {
    private final List<TensorSpec> specs;
    private final int n;
    private final Map<String, HostTensor> whole = new LinkedHashMap<>();

    public OutputAssembly(List<TensorSpec> specs, int n) {
        this.specs = specs;
        this.n = n;
        for (TensorSpec s : specs) {
            if (s.elements() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(
                        n + " prompts give " + s.name() + " " + Batches.shape(s.shape()) + ", " + s.elements()
                                + " values, more than one Java array holds; encode them in parts, or stream them to a sink");
            }
        }
    }

    @Override
    public void accept(int first, Map<String, HostTensor> batch) {
        int count = (int) batch.get("input_ids").shape()[0];
        if (first == 0 && count == n) {
            whole.putAll(batch);
            return;
        }
        for (TensorSpec s : specs) {
            HostTensor part = batch.get(s.name());
            HostTensor all = whole.computeIfAbsent(
                    s.name(),
                    k -> s.dtype().equals("F32")
                            ? HostTensor.of(new float[(int) s.elements()], s.shape())
                            : HostTensor.ofLongs(new long[(int) s.elements()], s.shape()));
            int row = (int) s.rowElements();
            for (int block = 0; block < s.blocks(); block++) {
                int from = block * count * row, to = (block * n + first) * row;
                if (part.isFloat()) System.arraycopy(part.floats(), from, all.floats(), to, count * row);
                else System.arraycopy(part.longs(), from, all.longs(), to, count * row);
            }
        }
    }

    /** The whole run's tensors, in spec order. */
    public Map<String, HostTensor> result() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (TensorSpec s : specs) {
            HostTensor t = whole.get(s.name());
            if (t == null)
                t = s.dtype().equals("F32")
                        ? HostTensor.of(new float[0], s.shape())
                        : HostTensor.ofLongs(new long[0], s.shape()); // no prompts
            out.put(s.name(), t);
        }
        return out;
    }
}
