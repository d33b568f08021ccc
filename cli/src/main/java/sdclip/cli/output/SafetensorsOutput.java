package sdclip.cli.output;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import sdclip.model.Encoding;
import sdclip.model.TensorSpec;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;

/**
 * A streaming {@code .safetensors} writer: the header is computed from the shapes before the
 * first batch, then each batch's rows are written into their tensors' regions as they come, in
 * a temporary file beside the target that is renamed over it at the end.
 */
final class SafetensorsOutput implements ResultWriter {
    private final Path target;
    private final StagedChannel file;
    private final TensorLayout layout;
    private boolean finished;

    /** Checks that the header fits the format; throws before anything is created. */
    static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{\"__metadata__\":{");
        int k = 0;
        for (var m : metadata.entrySet())
            sb.append(k++ > 0 ? "," : "")
                    .append(Json.quote(m.getKey()))
                    .append(':')
                    .append(Json.quote(m.getValue()));
        sb.append('}');
        long offset = 0;
        for (TensorSpec s : specs) {
            sb.append(',')
                    .append(Json.quote(s.name()))
                    .append(":{\"dtype\":\"")
                    .append(s.dtype())
                    .append("\",\"shape\":[");
            for (int i = 0; i < s.shape().length; i++)
                sb.append(i > 0 ? "," : "").append(s.shape()[i]);
            sb.append("],\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + s.bytes())
                    .append("]}");
            offset += s.bytes();
        }
        byte[] json = sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        if (json.length > SafetensorsFile.MAX_HEADER_BYTES - 8) {
            throw new IllegalArgumentException("a safetensors header of " + json.length
                    + " bytes is more than readers accept (" + SafetensorsFile.MAX_HEADER_BYTES + ")");
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        return head.array();
    }

    SafetensorsOutput(Path target, List<TensorSpec> specs, long prompts, Map<String, String> metadata)
            throws IOException {
        this.target = target;
        byte[] head = header(specs, metadata);
        this.layout = new TensorLayout(specs, prompts, head.length);
        this.file = StagedChannel.open(target, target, head, StandardOpenOption.WRITE);
    }

    @Override
    public void write(int first, Encoding batch) throws IOException {
        try {
            layout.write(file.ch, first, batch);
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(target, e);
        }
    }

    @Override
    public void finish() throws IOException {
        file.commit(target);
        finished = true;
    }

    @Override
    public void close() {
        if (finished) return;
        file.discard();
    }
}
