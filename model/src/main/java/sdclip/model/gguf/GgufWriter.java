package sdclip.model.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import sdclip.model.safetensors.SafetensorsWriter;

/**
 * Writes a GGUF v3 file in gguf-py's {@code GGUFWriter} layout: header, string metadata in the
 * order added, tensor infos (dimensions innermost first), then each tensor's data at an offset
 * padded to 32 bytes. Tensor data is streamed; the file goes to a temporary file beside the target
 * that is renamed over it only when every tensor wrote exactly its size.
 */
public final class GgufWriter {
    private static final int ALIGN = GgufHeader.DEFAULT_ALIGNMENT;

    private record Entry(String name, GgmlType type, long[] ne, long bytes, SafetensorsWriter.TensorData data) {}

    private final List<String[]> strings = new ArrayList<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** An empty file: no metadata, no tensors. */
    public GgufWriter() {}

    /**
     * Adds a string metadata value.
     *
     * @param key   the key
     * @param value the value
     * @return this writer
     */
    public GgufWriter string(String key, String value) {
        strings.add(new String[] {key, value});
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param name  its name, unique in the file
     * @param type  its stored type
     * @param shape its PyTorch shape, outermost first (GGUF stores it reversed)
     * @param data  writes its bytes: {@code elements / blockSize * blockBytes} of them
     * @return this writer
     * @throws IllegalArgumentException when the name repeats, the shape has more than four
     *                                  dimensions, or its rows are not whole blocks of the type
     */
    public GgufWriter tensor(String name, GgmlType type, long[] shape, SafetensorsWriter.TensorData data) {
        if (!names.add(name)) throw new IllegalArgumentException("tensor " + name + " added twice");
        if (shape.length > GgufHeader.MAX_DIMS)
            throw new IllegalArgumentException(
                    "tensor " + name + " has more than " + GgufHeader.MAX_DIMS + " dimensions");
        long[] ne = new long[Math.max(1, shape.length)];
        ne[0] = 1;
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        if (ne[0] % type.blockSize() != 0)
            throw new IllegalArgumentException(
                    "tensor " + name + ": rows of " + ne[0] + " are not whole " + type + " blocks");
        long elements = 1;
        for (long d : ne) elements = Math.multiplyExact(elements, d);
        entries.add(new Entry(name, type, ne, elements / type.blockSize() * type.blockBytes(), data));
        return this;
    }

    /** {@return the data bytes of every tensor added, padding included} */
    public long dataBytes() {
        long n = 0;
        for (Entry e : entries) n += pad(e.bytes);
        return n;
    }

    private static long pad(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static void string(ByteBuffer b, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(u.length).put(u);
    }

    /** The header, metadata and tensor infos, padded to the alignment. */
    ByteBuffer header() {
        int size = 24;
        for (String[] kv : strings) size += 8 + utf8(kv[0]) + 4 + 8 + utf8(kv[1]);
        for (Entry e : entries) size += 8 + utf8(e.name) + 4 + 8 * e.ne.length + 4 + 8;
        ByteBuffer b = ByteBuffer.allocate((int) pad(size)).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII))
                .putInt(3)
                .putLong(entries.size())
                .putLong(strings.size());
        for (String[] kv : strings) {
            string(b, kv[0]);
            b.putInt(GgufHeader.STRING);
            string(b, kv[1]);
        }
        long offset = 0;
        for (Entry e : entries) {
            string(b, e.name);
            b.putInt(e.ne.length);
            for (long d : e.ne) b.putLong(d);
            b.putInt(e.type.id()).putLong(offset);
            offset += pad(e.bytes);
        }
        return b.position(b.capacity()).flip();
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Writes the file through a temporary file beside {@code target}, renamed over it at the end.
     *
     * @param target the file to write; replaced when it exists
     * @throws IOException when writing fails or a tensor wrote the wrong number of bytes; then no
     *                     file is left and {@code target} is as it was
     */
    public void write(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                SafetensorsWriter.writeFully(ch, header());
                for (Entry e : entries) {
                    long before = ch.position();
                    e.data.writeTo(ch);
                    if (ch.position() - before != e.bytes)
                        throw new IOException(target + ": tensor " + e.name + " wrote " + (ch.position() - before)
                                + " bytes, expected " + e.bytes);
                    SafetensorsWriter.writeFully(ch, ByteBuffer.allocate((int) (pad(e.bytes) - e.bytes)));
                }
                ch.force(false);
            }
            SafetensorsWriter.moveAtomically(tmp, target);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }
}
