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
import sdclip.model.safetensors.SafetensorsWriter;

/**
 * JSON Lines for pipelines: one object per prompt (or image), in order, written as its batch
 * finishes: {@code {"text": ..., "NAME": nested arrays of that prompt's slice, ...}} (e.g.
 * conditioning as 77 arrays of D numbers, pooled_output as D numbers, input_ids as 77 ids); an
 * image's object starts with {@code "image": path} instead.
 */
final class JsonlOutput implements ResultWriter {
    private final Path target, tmp;
    private final Writer out;
    private final boolean toStdout;
    private final List<TensorSpec> specs;
    private final String labelKey;
    private final List<String> labels;
    private boolean finished;

    /** To {@code target}, or to {@code stdout} when it is non-null; each object's {@code labelKey} holds its label. */
    JsonlOutput(Path target, Writer stdout, List<TensorSpec> specs, String labelKey, List<String> labels)
            throws IOException {
        this.target = target;
        this.specs = specs;
        this.labelKey = labelKey;
        this.labels = labels;
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
                sb.setLength(0);
                sb.append('{').append(Json.quote(labelKey)).append(": ").append(Json.quote(labels.get(first + b)));
                for (TensorSpec s : specs) {
                    sb.append(", ").append(Json.quote(s.name())).append(": ");
                    prompt(sb, s, batch.get(s.name()), b, batch.prompts());
                }
                out.write(sb.append("}\n").toString());
            }
            if (toStdout) StandardOutput.check(out); // a reader that went away stops the run here
        } catch (IOException e) {
            throw toStdout ? e : WriteErrors.cannotWrite(target, e);
        }
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
