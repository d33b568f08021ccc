package sdclip.cli.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;
import sdclip.model.json.Json;
import sdclip.model.prompt.PromptSchedule;
import sdclip.model.prompt.ScheduledPrompts;
import sdclip.model.safetensors.SafetensorsWriter;

/**
 * JSON Lines for pipelines: one object per prompt (or image), in order, written as its batch
 * finishes: {@code {"text": ..., "NAME": nested arrays of that prompt's slice, ...}} (e.g.
 * conditioning as 77 arrays of D numbers, pooled_output as D numbers, input_ids as 77 ids); an
 * image's object starts with {@code "image": path} instead. A scheduled A1111 run (one row per
 * schedule entry) still gives one object per prompt, written once its last row is in:
 * {@code {"text": prompt, "steps": N, "subprompts": [{"text", "weight", "schedule":
 * [{"end_at_step", "text", "NAME": that row's slice, ...}]}]}}, the schedule tensors left out
 * (the nesting says what they say).
 */
final class JsonlOutput implements ResultWriter {
    private final Path target, tmp;
    private final Writer out;
    private final boolean toStdout;
    private final List<TensorSpec> specs;
    private final String labelKey;
    private final List<String> labels;
    private final Schedule schedule;
    /** The scheduled prompt being gathered: its entries' objects so far, sub-prompt by sub-prompt. */
    private final StringBuilder pending = new StringBuilder();

    private boolean finished;

    /**
     * A scheduled run's layout.
     *
     * @param prompts the prompts as written
     * @param steps the sampling steps
     * @param rows the run's rows, one per schedule entry
     */
    record Schedule(List<String> prompts, int steps, ScheduledPrompts rows) {}

    /** To {@code target}, or to {@code stdout} when it is non-null; each object's {@code labelKey} holds its label. */
    JsonlOutput(Path target, Writer stdout, List<TensorSpec> specs, String labelKey, List<String> labels)
            throws IOException {
        this(target, stdout, specs, labelKey, labels, null);
    }

    /** As above; with a {@code schedule}, one object per prompt gathering its rows. */
    JsonlOutput(
            Path target, Writer stdout, List<TensorSpec> specs, String labelKey, List<String> labels, Schedule schedule)
            throws IOException {
        this.target = target;
        this.specs = schedule == null
                ? specs
                : specs.stream().filter(s -> !isScheduleTensor(s.name())).toList();
        this.labelKey = labelKey;
        this.labels = labels;
        this.schedule = schedule;
        this.toStdout = stdout != null;
        if (toStdout) {
            this.tmp = null;
            this.out = stdout;
            return;
        }
        Path t = null;
        try {
            t = TempFiles.newFile(target);
            this.out = new BufferedWriter(
                    new OutputStreamWriter(Files.newOutputStream(t, StandardOpenOption.WRITE), StandardCharsets.UTF_8),
                    1 << 16);
        } catch (IOException e) {
            if (t != null) TempFiles.delete(t);
            throw WriteErrors.cannotWrite(target, e);
        }
        this.tmp = t;
    }

    @Override
    public void write(int first, Encoding batch) throws IOException {
        try {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < batch.prompts(); b++) {
                if (schedule != null) {
                    entry(first + b, batch, b);
                    continue;
                }
                sb.setLength(0);
                sb.append('{').append(Json.quote(labelKey)).append(": ").append(Json.quote(labels.get(first + b)));
                tensors(sb, batch, b);
                out.write(sb.append("}\n").toString());
            }
            if (toStdout) StandardOutput.check(out); // a reader that went away stops the run here
        } catch (IOException e) {
            throw toStdout ? e : WriteErrors.cannotWrite(target, e);
        }
    }

    /** Row {@code b}'s tensors, each as {@code , "NAME": slice}. */
    private void tensors(StringBuilder sb, Encoding batch, int b) {
        for (TensorSpec s : specs) {
            sb.append(", ").append(Json.quote(s.name())).append(": ");
            prompt(sb, s, batch.get(s.name()), b, batch.prompts());
        }
    }

    /**
     * Row {@code row} of a scheduled run, batch row {@code b}: its entry joins the pending
     * prompt, which is written once its last row is in (a prompt's rows are adjacent, in order).
     */
    private void entry(int row, Encoding batch, int b) throws IOException {
        List<ScheduledPrompts.Row> rows = schedule.rows().rows();
        ScheduledPrompts.Row r = rows.get(row);
        boolean firstOfSub = row == 0
                || rows.get(row - 1).prompt() != r.prompt()
                || rows.get(row - 1).subPrompt() != r.subPrompt();
        if (firstOfSub) {
            PromptSchedule.SubPrompt sub =
                    schedule.rows().schedules().get(r.prompt()).subPrompts().get(r.subPrompt());
            if (r.subPrompt() == 0) {
                pending.setLength(0);
                pending.append("{\"text\": ")
                        .append(Json.quote(schedule.prompts().get(r.prompt())))
                        .append(", \"steps\": ")
                        .append(schedule.steps())
                        .append(", \"subprompts\": [");
            } else {
                pending.append("]}, ");
            }
            pending.append("{\"text\": ")
                    .append(Json.quote(sub.text()))
                    .append(", \"weight\": ")
                    .append(sub.weight())
                    .append(", \"schedule\": [");
        } else {
            pending.append(", ");
        }
        pending.append("{\"end_at_step\": ")
                .append(r.endAtStep())
                .append(", \"text\": ")
                .append(Json.quote(r.text()));
        tensors(pending, batch, b);
        pending.append('}');
        if (row + 1 == rows.size() || rows.get(row + 1).prompt() != r.prompt()) {
            out.write(pending.append("]}]}\n").toString());
            pending.setLength(0);
        }
    }

    /** The tensors that place a scheduled run's rows (the library's names). */
    private static boolean isScheduleTensor(String name) {
        return List.of("schedule_prompt", "schedule_subprompt", "schedule_end_step", "subprompt_weight")
                .contains(name);
    }

    /** Prompt {@code b}'s slice of a batch tensor, as nested arrays of its per-prompt shape. */
    private static void prompt(StringBuilder sb, TensorSpec s, HostTensor t, int b, int count) {
        int axes = s.shape().length;
        long[] dims = new long[axes - 1];
        for (int i = 0, j = 0; i < axes; i++) if (i != s.batchAxis()) dims[j++] = s.shape()[i];
        long row = s.rowElements();
        if (s.batchAxis() == 0) {
            nested(sb, t, b * row, dims, 0);
            return;
        }
        sb.append('[');
        for (long block = 0; block < s.blocks(); block++) {
            if (block > 0) sb.append(", ");
            nested(sb, t, (block * count + b) * row, dims, 1);
        }
        sb.append(']');
    }

    /** Values from {@code at} shaped as {@code dims[axis..]}; a scalar when no axes are left. */
    private static void nested(StringBuilder sb, HostTensor t, long at, long[] dims, int axis) {
        if (axis == dims.length) {
            int i = (int) at;
            sb.append(t.isFloat() ? JsonWriter.number(t.floats()[i]) : Long.toString(t.longs()[i]));
            return;
        }
        long inner = 1;
        for (int i = axis + 1; i < dims.length; i++) inner *= dims[i];
        sb.append('[');
        for (long k = 0; k < dims[axis]; k++) {
            if (k > 0) sb.append(", ");
            nested(sb, t, at + k * inner, dims, axis + 1);
        }
        sb.append(']');
    }

    @Override
    public void finish() throws IOException {
        try {
            if (toStdout) {
                StandardOutput.check(out);
            } else {
                out.close();
                SafetensorsWriter.moveAtomically(tmp, target);
                TempFiles.forget(tmp);
            }
            finished = true;
        } catch (IOException e) {
            throw toStdout ? e : WriteErrors.cannotWrite(target, e);
        }
    }

    @Override
    public void close() {
        if (finished || toStdout) return;
        try {
            out.close();
        } catch (IOException e) {
            // deleting it anyway
        }
        TempFiles.delete(tmp);
    }
}
