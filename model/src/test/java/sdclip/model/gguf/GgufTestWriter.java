package sdclip.model.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes GGUF v3 files byte for byte as gguf-py's GGUFWriter does (metadata in the order added,
 * tensor infos, data at offsets padded to 32), and quantizes Q8_0 as gguf-py's quants.py does.
 * {@code GgufTestWriterTest} holds it to gguf-py's own files; the layout tests use it to convert
 * the multi-megabyte reference models at test time instead of committing their conversions.
 */
public final class GgufTestWriter {
    private static final int ALIGN = 32;

    private final ByteBuffer kv = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private int kvCount;

    private record Tensor(String name, GgmlType type, long[] ne, byte[] data) {}

    private final List<Tensor> tensors = new ArrayList<>();

    private void string(ByteBuffer b, String s) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(u.length).put(u);
    }

    private ByteBuffer key(String key, int type) {
        string(kv, key);
        kv.putInt(type);
        kvCount++;
        return kv;
    }

    public GgufTestWriter string(String key, String value) {
        key(key, GgufHeader.STRING);
        string(kv, value);
        return this;
    }

    public GgufTestWriter u32(String key, long value) {
        key(key, GgufHeader.UINT32).putInt((int) value);
        return this;
    }

    public GgufTestWriter bool(String key, boolean value) {
        key(key, GgufHeader.BOOL).put((byte) (value ? 1 : 0));
        return this;
    }

    public GgufTestWriter f32(String key, float value) {
        key(key, GgufHeader.FLOAT32).putFloat(value);
        return this;
    }

    public GgufTestWriter f32s(String key, float... values) {
        key(key, GgufHeader.ARRAY).putInt(GgufHeader.FLOAT32).putLong(values.length);
        for (float v : values) kv.putFloat(v);
        return this;
    }

    /** A tensor of PyTorch shape {@code shape} (outermost first) stored as {@code type} in {@code data}. */
    public GgufTestWriter tensor(String name, GgmlType type, long[] shape, byte[] data) {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        tensors.add(new Tensor(name, type, ne, data));
        return this;
    }

    private static long pad(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    public byte[] bytes() {
        ByteBuffer info = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long offset = 0;
        for (Tensor t : tensors) {
            string(info, t.name());
            info.putInt(t.ne().length);
            for (long d : t.ne()) info.putLong(d);
            info.putInt(t.type().id());
            info.putLong(offset);
            offset += pad(t.data().length);
        }
        int head = 24 + kv.position() + info.position();
        long total = pad(head) + offset;
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.LITTLE_ENDIAN);
        out.put("GGUF".getBytes(StandardCharsets.US_ASCII))
                .putInt(3)
                .putLong(tensors.size())
                .putLong(kvCount);
        out.put(kv.array(), 0, kv.position()).put(info.array(), 0, info.position());
        out.position((int) pad(head));
        for (Tensor t : tensors) {
            out.put(t.data());
            out.position((int) pad(out.position()));
        }
        return out.array();
    }

    public Path write(Path file) throws IOException {
        return Files.write(file, bytes());
    }

    /** F32 values as little-endian bytes. */
    public static byte[] f32(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) b.putFloat(v);
        return b.array();
    }

    /** F32 values rounded to F16 (to nearest even, as numpy's astype(float16)), little-endian. */
    public static byte[] f16(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) b.putShort(Float.floatToFloat16(v));
        return b.array();
    }

    /** Q8_0 blocks of {@code x} (a whole number of 32), as gguf-py's {@code Q8_0.quantize_blocks}: d = amax / 127. */
    public static byte[] q8_0(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 32 * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
            float d = amax / 127;
            float id = d == 0 ? 0 : 1 / d;
            b.putShort(Float.floatToFloat16(d));
            for (int j = 0; j < 32; j++) {
                float v = x[blk * 32 + j] * id, a = Math.abs(v);
                float floored = (float) Math.floor(a);
                float r = floored + (float) Math.floor(2 * (a - floored)); // round half away from zero
                b.put((byte) (int) (Math.signum(v) * r));
            }
        }
        return b.array();
    }
}
