package sdclip.cli.output;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/** Without {@code --output}: per tensor its shape, norm and first values, gathered as batches pass. */
public final class SummaryOutput implements ResultWriter {
    private final PrintWriter out;
    private final List<TensorSpec> specs;
    private final double[] squares;
    private final String[] first;
    private final long prompts;

    public SummaryOutput(PrintWriter out, List<TensorSpec> specs, long prompts) {
        this.out = out;
        this.specs = specs;
        this.prompts = prompts;
        this.squares = new double[specs.size()];
        this.first = new String[specs.size()];
    }

    @Override
    public void write(int firstPrompt, Encoding batch) {
        for (int i = 0; i < specs.size(); i++) {
            HostTensor t = batch.get(specs.get(i).name());
            if (t.isFloat()) for (float v : t.floats()) squares[i] += (double) v * v;
            if (firstPrompt == 0) {
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < Math.min(4, t.size()); k++)
                    sb.append(k > 0 ? ", " : "")
                            .append(
                                    t.isFloat()
                                            ? String.format(Locale.ROOT, "%.5f", t.floats()[k])
                                            : String.valueOf(t.longs()[k]));
                first[i] = sb.toString();
            }
        }
    }

    @Override
    public void finish() {
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec s = specs.get(i);
            String norm =
                    s.dtype().equals("F32") ? String.format(Locale.ROOT, "  norm %.4f", Math.sqrt(squares[i])) : "";
            out.printf(
                    Locale.ROOT,
                    "%-30s %-4s %-20s%s  first [%s%s]%n",
                    s.name(),
                    s.dtype(),
                    Arrays.toString(s.shape()),
                    norm,
                    first[i] == null ? "" : first[i],
                    s.elements() > 4 ? ", ..." : "");
        }
        out.printf("%d prompt(s)%n", prompts);
        out.flush();
    }

    @Override
    public void close() {}
}
