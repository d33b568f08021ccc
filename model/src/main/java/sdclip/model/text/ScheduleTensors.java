package sdclip.model.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;
import sdclip.model.prompt.ScheduledPrompts;

/**
 * The tensors that say which row of a scheduled A1111 run a sampler uses when: for each row its
 * prompt, {@code AND} sub-prompt, last step and sub-prompt weight, so that at step s prompt p's
 * sub-prompt i takes the first of its rows whose end step is at least s.
 */
public final class ScheduleTensors {
    private ScheduleTensors() {}

    /** The names, as the output files hold them. */
    public static final String PROMPT = "schedule_prompt",
            SUBPROMPT = "schedule_subprompt",
            END_STEP = "schedule_end_step",
            WEIGHT = "subprompt_weight";

    /**
     * The four specs.
     *
     * @param rows the run's rows
     * @return the specs, in the order {@link #add} puts the tensors
     */
    public static List<TensorSpec> specs(long rows) {
        List<TensorSpec> out = new ArrayList<>();
        for (String name : List.of(PROMPT, SUBPROMPT, END_STEP))
            out.add(new TensorSpec(name, "I64", new long[] {rows}, 0, null));
        out.add(new TensorSpec(WEIGHT, "F32", new long[] {rows}, 0, null));
        return out;
    }

    /**
     * A batch with the four tensors for its rows after the others.
     *
     * @param batch a batch of rows from the chunked encoder
     * @param rows every row of the run
     * @param first the batch's first row
     * @return a new map
     */
    public static Map<String, HostTensor> add(
            Map<String, HostTensor> batch, List<ScheduledPrompts.Row> rows, int first) {
        int n = (int) batch.get(ChunkedEncoder.CHUNKS).shape()[0];
        long[] prompt = new long[n], sub = new long[n], end = new long[n];
        float[] weight = new float[n];
        for (int i = 0; i < n; i++) {
            ScheduledPrompts.Row r = rows.get(first + i);
            prompt[i] = r.prompt();
            sub[i] = r.subPrompt();
            end[i] = r.endAtStep();
            weight[i] = (float) r.weight();
        }
        Map<String, HostTensor> out = new LinkedHashMap<>(batch);
        out.put(PROMPT, HostTensor.ofLongs(prompt, n));
        out.put(SUBPROMPT, HostTensor.ofLongs(sub, n));
        out.put(END_STEP, HostTensor.ofLongs(end, n));
        out.put(WEIGHT, HostTensor.of(weight, n));
        return out;
    }
}
