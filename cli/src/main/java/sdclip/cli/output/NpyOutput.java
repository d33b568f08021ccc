package sdclip.cli.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/**
 * One tensor as NumPy format 1.0 ({@code .npy}): magic, version, a padded Python-dict header,
 * then little-endian data. To a file the rows go into place as batches come (a temporary file,
 * renamed at the end); to standard output they follow in order, which needs the prompts to be
 * the outermost axis.
 */
final class NpyOutput implements ResultWriter {
    private final Path target;
    /** The file being filled; null when writing to standard output. */
    private final StagedChannel file;

    private final OutputStream stdout;
    private final TensorLayout layout;
    private final TensorSpec spec;
    private boolean finished;

    /** The header for a tensor of this spec, padded so the data starts at a multiple of 64. */
    static byte[] header(TensorSpec t) {
        StringBuilder shape = new StringBuilder("(");
        for (long d : t.shape()) shape.append(d).append(", ");
        if (t.shape().length > 1) shape.setLength(shape.length() - 2);
        else if (t.shape().length == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        String header = "{'descr': '" + (t.dtype().equals("F32") ? "<f4" : "<i8")
                + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + header.length() + 1;
        header = header + " ".repeat((64 - total % 64) % 64) + "\n";
        ByteBuffer head = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        head.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0)
                .putShort((short) header.length());
        head.put(header.getBytes(StandardCharsets.US_ASCII));
        return head.array();
    }

    /** To {@code target}, or to {@code stdout} when it is non-null. */
    NpyOutput(Path target, OutputStream stdout, TensorSpec spec, long prompts) throws IOException {
        this.target = target;
        this.stdout = stdout;
        this.spec = spec;
        byte[] head = header(spec);
        this.layout = new TensorLayout(List.of(spec), prompts, head.length);
        if (stdout != null) {
            try {
                stdout.write(head);
            } catch (IOException e) {
                throw StandardOutput.failed(e);
            }
            this.file = null;
            return;
        }
        this.file = StagedChannel.open(target, target, head, StandardOpenOption.WRITE);
    }

    @Override
    public void write(int first, Encoding batch) throws IOException {
        if (stdout != null) {
            try {
                writeValues(stdout, batch.get(spec.name()));
                stdout.flush(); // a reader that went away stops the run here
            } catch (IOException e) {
                throw StandardOutput.failed(e);
            }
            return;
        }
        try {
            layout.write(file.ch, first, batch);
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(target, e);
        }
    }

    /** Every value of {@code t}, in order, little-endian. */
    static void writeValues(OutputStream out, HostTensor t) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int n = t.size();
        for (int i = 0; i < n; i++) {
            if (t.isFloat()) b.putFloat(t.floats()[i]);
            else b.putLong(t.longs()[i]);
            if (b.remaining() < 8) {
                out.write(b.array(), 0, b.position());
                b.clear();
            }
        }
        out.write(b.array(), 0, b.position());
    }

    @Override
    public void finish() throws IOException {
        if (stdout != null) {
            try {
                stdout.flush();
            } catch (IOException e) {
                throw StandardOutput.failed(e);
            }
            finished = true;
            return;
        }
        file.commit(target);
        finished = true;
    }

    @Override
    public void close() {
        if (finished || file == null) return;
        file.discard();
    }
}
