package sdclip.spark;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A {@code [rows, dim]} matrix as a NumPy {@code .npy} file (format 1.0, C order, {@code <f2}
 * or {@code <f4}), built a row at a time. The rows wait in a local temporary file, since the
 * header, written first, holds their count.
 */
final class NpyWriter implements Closeable {
    private final boolean f16;
    private final Path data;
    private final OutputStream out;
    private long rows;
    private int dim = -1;

    NpyWriter(boolean f16) throws IOException {
        this.f16 = f16;
        this.data = Files.createTempFile("sdclip-npy-", ".tmp");
        this.out = new BufferedOutputStream(Files.newOutputStream(data), 1 << 16);
    }

    /** Appends a row; every row has the first row's length. */
    void add(float[] row) throws IOException {
        if (dim < 0) dim = row.length;
        if (row.length != dim)
            throw new IllegalStateException("an embedding of " + row.length + " values among ones of " + dim);
        if (f16) {
            out.write(RowTables.f16(row));
        } else {
            ByteBuffer b = ByteBuffer.allocate(4 * row.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float x : row) b.putFloat(x);
            out.write(b.array());
        }
        rows++;
    }

    /** {@return the rows' length, or -1 before the first row} */
    int dim() {
        return dim;
    }

    /**
     * Writes the file: the header, then the rows.
     *
     * @param emptyDim the width to give a matrix with no rows
     */
    void writeTo(OutputStream target, int emptyDim) throws IOException {
        out.flush();
        target.write(header(rows, rows == 0 ? emptyDim : dim, f16));
        try (InputStream in = Files.newInputStream(data)) {
            in.transferTo(target);
        }
    }

    /** The header: magic, version 1.0, its length, and the dict, padded with spaces to a multiple of 64 bytes. */
    static byte[] header(long rows, int dim, boolean f16) {
        String dict = String.format(
                Locale.ROOT,
                "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }",
                f16 ? "<f2" : "<f4",
                rows,
                dim);
        int total = 10 + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        String text = dict + " ".repeat(padded - total) + "\n";
        byte[] t = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(10 + t.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) 1)
                .put((byte) 0);
        b.putShort((short) t.length).put(t);
        return b.array();
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            Files.deleteIfExists(data);
        }
    }
}
