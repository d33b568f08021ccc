package sdclip.testdata;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes safetensors-shaped bytes without any validation, so tests can forge every kind of
 * broken file: an arbitrary header length, arbitrary header bytes, arbitrary data.
 */
public final class RawSafetensors {
    private RawSafetensors() {}

    /** {@code [u64 length][header][data]} with the true header length. */
    public static Path write(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return write(file, h.length, h, data);
    }

    /** {@code [u64 declaredLength][header bytes][data]}: the length may lie. */
    public static Path write(Path file, long declaredLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** Little-endian F32 bytes. */
    public static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }
}
