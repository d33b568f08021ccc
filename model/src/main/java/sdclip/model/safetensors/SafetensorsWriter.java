package sdclip.model.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.json.Json;

/**
 * Writes a safetensors file atomically: everything goes to a temporary file beside the target,
 * which is renamed over it only when complete, so an interrupted write leaves no partial file.
 * Tensor data is streamed: each tensor's bytes are produced when {@link #write} reaches it
 * ({@link TensorData}, {@link #addBytes}), so a whole checkpoint need never be in memory.
 * Tensors are written in the order added, contiguous; the header is padded with spaces to a
 * multiple of 8 so the data is aligned.
 */
public final class SafetensorsWriter {

    /** A writer with no metadata and no tensors yet. */
    public SafetensorsWriter() {}

    /** Streams a tensor's little-endian bytes. */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Writes the tensor's bytes, exactly as many as its dtype and shape take.
         *
         * @param out the file, positioned at the tensor's first byte
         * @throws IOException when writing fails; the write is abandoned and no file is left
         */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Entry(String name, TensorType type, long[] shape, long bytes, TensorData data) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /**
     * Adds an entry to the header's {@code __metadata__}; a later value for the same key wins.
     *
     * @param key   the key
     * @param value the value (safetensors metadata values are strings)
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor whose bytes {@code data} produces when {@link #write} reaches it.
     *
     * @param name  the tensor name, unique in the file
     * @param type  the dtype
     * @param shape the dimensions, outermost first; copied
     * @param data  writes the tensor's little-endian, row-major bytes
     * @return this writer
     * @throws IllegalArgumentException for a duplicate name, or sub-byte values that do not fill whole bytes
     * @throws ArithmeticException      when the byte size overflows a long
     */
    public SafetensorsWriter add(String name, TensorType type, long[] shape, TensorData data) {
        long count = 1;
        for (long d : shape) count = Math.multiplyExact(count, d);
        long bits = Math.multiplyExact(count, (long) type.bits());
        if (bits % 8 != 0)
            throw new IllegalArgumentException(name + ": " + count + " values of " + type + " are not whole bytes");
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor " + name);
        entries.add(new Entry(name, type, shape.clone(), bits / 8, data));
        return this;
    }

    /**
     * A tensor whose little-endian, row-major bytes already exist (a slice of a mapped file):
     * streamed to the output in chunks when {@link #write} runs, never copied onto the heap.
     * The segment must stay valid until then.
     *
     * @param name  the tensor name, unique in the file
     * @param type  the dtype
     * @param shape the dimensions, outermost first
     * @param bytes the tensor's bytes, exactly as many as the dtype and shape take
     * @return this writer
     * @throws IllegalArgumentException for a duplicate name
     */
    public SafetensorsWriter addBytes(String name, TensorType type, long[] shape, MemorySegment bytes) {
        return add(name, type, shape, out -> writeSegment(out, bytes));
    }

    /**
     * Writes a segment of any size to a channel, 16 MiB at a time.
     *
     * @param out   the channel
     * @param bytes the bytes to write, all of them
     * @throws IOException when writing fails
     */
    public static void writeSegment(WritableByteChannel out, MemorySegment bytes) throws IOException {
        long size = bytes.byteSize(), chunk = 1L << 24;
        for (long at = 0; at < size; at += chunk)
            writeFully(out, bytes.asSlice(at, Math.min(chunk, size - at)).asByteBuffer());
    }

    /**
     * Adds an F32 tensor held on the heap; the array is read when {@link #write} runs.
     *
     * @param name   the tensor name, unique in the file
     * @param shape  the dimensions, outermost first; their product is {@code values.length}
     * @param values the values, row-major
     * @return this writer
     * @throws IllegalArgumentException for a duplicate name
     */
    public SafetensorsWriter addFloats(String name, long[] shape, float[] values) {
        return add(name, TensorType.F32, shape, out -> writeFully(out, SafetensorsFile.littleEndian(values)));
    }

    /**
     * Adds an I64 tensor held on the heap; the array is read when {@link #write} runs.
     *
     * @param name   the tensor name, unique in the file
     * @param shape  the dimensions, outermost first; their product is {@code values.length}
     * @param values the values, row-major
     * @return this writer
     * @throws IllegalArgumentException for a duplicate name
     */
    public SafetensorsWriter addLongs(String name, long[] shape, long[] values) {
        return add(name, TensorType.I64, shape, out -> {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            writeFully(out, b);
        });
    }

    /**
     * Writes every remaining byte of a buffer, looping over short writes.
     *
     * @param out the channel
     * @param b   the bytes from its position to its limit; consumed
     * @throws IOException when writing fails
     */
    public static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    /** The header JSON (unpadded). */
    String header() {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            sb.append("\"__metadata__\":{");
            int i = 0;
            for (var m : metadata.entrySet())
                sb.append(i++ > 0 ? "," : "")
                        .append(Json.quote(m.getKey()))
                        .append(':')
                        .append(Json.quote(m.getValue()));
            sb.append('}');
        }
        long offset = 0;
        for (Entry e : entries) {
            if (sb.length() > 1) sb.append(',');
            sb.append(Json.quote(e.name))
                    .append(":{\"dtype\":\"")
                    .append(e.type.name())
                    .append("\",\"shape\":[");
            for (int i = 0; i < e.shape.length; i++) sb.append(i > 0 ? "," : "").append(e.shape[i]);
            sb.append("],\"data_offsets\":[")
                    .append(offset)
                    .append(',')
                    .append(offset + e.bytes)
                    .append("]}");
            offset += e.bytes;
        }
        return sb.append('}').toString();
    }

    /**
     * Writes the file: header, then each tensor's bytes in the order added, to a temporary file beside
     * {@code target} that is then renamed over it. Creates missing parent folders.
     *
     * @param target the file to write; replaced when it exists
     * @throws IOException when writing fails or a tensor's data writes the wrong number of bytes; the
     *                     temporary file is deleted and {@code target} is left as it was
     */
    public void write(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        boolean done = false;
        try {
            byte[] header = header().getBytes(StandardCharsets.UTF_8);
            int padded = (header.length + 7) / 8 * 8;
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(header);
            while (head.hasRemaining()) head.put((byte) ' ');
            head.flip();
            try (FileChannel ch =
                    FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(ch, head);
                for (Entry e : entries) {
                    long before = ch.position();
                    e.data.writeTo(ch);
                    if (ch.position() - before != e.bytes) {
                        throw new IOException(target + ": tensor " + e.name + " wrote " + (ch.position() - before)
                                + " bytes, expected " + e.bytes);
                    }
                }
                ch.force(false);
            }
            moveAtomically(tmp, target);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /**
     * Renames {@code from} over {@code to}, atomically where the file system allows, as an ordinary rw-r--r-- file.
     *
     * @param from the finished temporary file
     * @param to   the target, replaced when it exists
     * @throws IOException when the permissions cannot be set or the move fails
     */
    public static void moveAtomically(Path from, Path to) throws IOException {
        // Temporary files are created private (0600); the result is an ordinary output file.
        if (from.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(from, PosixFilePermissions.fromString("rw-r--r--"));
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
