package sdclip.cli.output;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import sdclip.model.Encoding;
import sdclip.model.TensorSpec;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsWriter;

/**
 * {@code {"name": {"dtype": ..., "shape": [...], "data": [...]}, ...}}, values flat and
 * row-major. JSON text must come in tensor order while batches come in prompt order (and
 * hidden_states' prompts are not outermost), so batches are spooled as raw little-endian values
 * into a temporary file laid out like a safetensors body, and the text is written from it at
 * the end: memory stays bounded by a batch.
 */
final class JsonOutput implements ResultWriter {
    private final Path target;
    /** Raw values laid out like a safetensors body, read back by {@link #text}. */
    private final StagedChannel spool;

    private final Writer stdout;
    private final TensorLayout layout;
    private boolean finished;

    /** To {@code target}, or to {@code stdout} when it is non-null (the spool then goes to the temporary folder). */
    JsonOutput(Path target, Writer stdout, List<TensorSpec> specs, long prompts) throws IOException {
        this.target = target;
        this.stdout = stdout;
        this.layout = new TensorLayout(specs, prompts, 0);
        Path near = stdout != null ? Path.of(System.getProperty("java.io.tmpdir"), "sdclip-json") : target;
        this.spool = StagedChannel.open(
                near,
                stdout != null ? near.getParent() : target,
                null,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    @Override
    public void write(int first, Encoding batch) throws IOException {
        try {
            layout.write(spool.ch, first, batch);
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(stdout != null ? spool.tmp.getParent() : target, e);
        }
    }

    @Override
    public void finish() throws IOException {
        if (stdout != null) {
            text(stdout);
            StandardOutput.check(stdout);
            finished = true;
            return;
        }
        Path tmp = null;
        try {
            tmp = TempFiles.newFile(target);
            try (Writer w = new BufferedWriter(
                    new OutputStreamWriter(
                            Files.newOutputStream(tmp, StandardOpenOption.WRITE), StandardCharsets.UTF_8),
                    1 << 16)) {
                text(w);
            }
            SafetensorsWriter.moveAtomically(tmp, target);
            TempFiles.forget(tmp);
            finished = true;
        } catch (IOException e) {
            if (tmp != null) TempFiles.delete(tmp);
            throw WriteErrors.cannotWrite(target, e);
        } finally {
            close();
        }
    }

    /** The JSON text, read back from the spool tensor by tensor. */
    private void text(Writer w) throws IOException {
        w.write("{");
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < layout.specs.size(); i++) {
            TensorSpec s = layout.specs.get(i);
            w.write((i > 0 ? ", " : "") + Json.quote(s.name()) + ": {\"dtype\": \"" + s.dtype() + "\", \"shape\": "
                    + Arrays.toString(s.shape()) + ", \"data\": [");
            long position = layout.offset(i), end = position + s.bytes();
            boolean firstValue = true;
            while (position < end) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), end - position));
                while (buf.hasRemaining()) {
                    int r = spool.ch.read(buf, position + buf.position());
                    if (r < 0) throw new IOException("spool ended early");
                }
                position += buf.limit();
                buf.flip();
                while (buf.hasRemaining()) {
                    if (!firstValue) w.write(", ");
                    firstValue = false;
                    w.write(s.dtype().equals("F32") ? JsonWriter.number(buf.getFloat()) : Long.toString(buf.getLong()));
                }
                if (w == stdout) StandardOutput.check(w); // stop as soon as the reader has gone
            }
            w.write("]}");
        }
        w.write("}\n");
    }

    @Override
    public void close() {
        spool.discard();
    }
}
