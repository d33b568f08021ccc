package sdclip.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Row;
import sdclip.engine.SdclipException;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TextEncoder;

/**
 * A batch's texts, encoded together; should the batch fail, each text is encoded alone to find
 * the one to blame. Each row gets its own part of the output: {@code [P]} or {@code [D]} for the
 * pooled outputs, {@code [77 c, D]} row-major for the conditioning, where c is the row's own
 * chunk count (1 for plain prompts, and at least 1): the tensor the library gives for that text
 * alone, bit for bit (the encoder gives each text the same values whatever batch it is in).
 */
final class TextRows {
    private TextRows() {}

    /** Tokens per chunk: CLIP's context length. */
    static final int CHUNK = 77;

    /** Per row: the output, or null and the reason. */
    record Encoded(float[][] values, String[] errors) {}

    /**
     * @param textAt  the string column
     * @param column  its name, for messages
     * @param output  the tensor to take: {@code text_embeds}, {@code pooled_output} or {@code conditioning}
     * @param model   what to call the model when it lacks the output
     */
    static Encoded encode(
            TextEncoder enc,
            List<Row> rows,
            int textAt,
            String column,
            EncodeRequest request,
            String output,
            String model) {
        int n = rows.size();
        float[][] values = new float[n][];
        String[] errors = new String[n];
        List<Integer> good = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (rows.get(i).isNullAt(textAt)) {
                errors[i] = column + ": no text (null)";
            } else {
                good.add(i);
                prompts.add(rows.get(i).getString(textAt));
            }
        }
        encode(enc, good, prompts, request, output, model, column, values, errors);
        return new Encoded(values, errors);
    }

    private static void encode(
            TextEncoder enc,
            List<Integer> rows,
            List<String> prompts,
            EncodeRequest request,
            String output,
            String model,
            String column,
            float[][] values,
            String[] errors) {
        if (rows.isEmpty()) return;
        Encoding e;
        try {
            e = enc.encode(prompts, request);
        } catch (SdclipException | IOException ex) {
            if (rows.size() == 1) {
                errors[rows.getFirst()] = column + ": " + RowErrors.message(ex);
            } else {
                for (int i = 0; i < rows.size(); i++)
                    encode(
                            enc,
                            List.of(rows.get(i)),
                            List.of(prompts.get(i)),
                            request,
                            output,
                            model,
                            column,
                            values,
                            errors);
            }
            return;
        }
        if (!e.has(output)) {
            throw new IllegalArgumentException(model + ": gives no " + output
                    + (output.equals("text_embeds") ? " (its text encoder has no text projection)" : ""));
        }
        HostTensor t = e.get(output);
        long[] shape = t.shape();
        int per = (int) (t.size() / shape[0]);
        float[] all = t.floats();
        long[] chunks = e.has("chunks") && output.equals("conditioning")
                ? e.get("chunks").longs()
                : null;
        int chunkWidth = chunks == null ? per : (int) (per / shape[1]) * CHUNK; // floats per chunk: 77 x D
        for (int i = 0; i < rows.size(); i++) {
            int length = chunks == null ? per : (int) Math.max(chunks[i], 1) * chunkWidth;
            values[rows.get(i)] = Arrays.copyOfRange(all, i * per, i * per + length);
        }
    }
}
