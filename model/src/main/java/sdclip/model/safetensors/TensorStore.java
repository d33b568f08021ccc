package sdclip.model.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import sdclip.engine.Weights;

/** Named tensors backed by one or more memory-mapped safetensors files. */
public interface TensorStore extends AutoCloseable {

    /** The file (or index) this store was opened from, for messages. */
    Path path();

    Set<String> names();

    /** The header entry, or null when absent. */
    TensorInfo info(String name);

    /** The raw bytes of a tensor, a slice of the mapped file. */
    MemorySegment bytes(String name);

    Map<String, String> metadata();

    default boolean has(String name) { return info(name) != null; }

    /** A tensor as weights the engine computes with (F32, F16 or BF16), read in place. */
    default Weights weights(String name) {
        TensorInfo t = require(name);
        if (t.type().computeType() == null) {
            throw new SafetensorsException(path(), name, "has dtype " + t.type() + "; sdclip computes with F32, F16 or BF16 only");
        }
        return Weights.of(t.type().computeType(), bytes(name));
    }

    /** An I64 tensor's values (ids, indices). */
    default long[] longs(String name) {
        TensorInfo t = require(name);
        if (t.type() != TensorType.I64) throw new SafetensorsException(path(), name, "has dtype " + t.type() + ", expected I64");
        if (t.elements() > Integer.MAX_VALUE - 8) throw new SafetensorsException(path(), name, "is too large to read into memory");
        long[] out = new long[(int) t.elements()];
        MemorySegment.copy(bytes(name), java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
        return out;
    }

    /** An F32/F16/BF16 tensor's values widened into a new array (small tensors and tests). */
    default float[] floats(String name) {
        Weights w = weights(name);
        if (w.size() > Integer.MAX_VALUE - 8) throw new SafetensorsException(path(), name, "is too large to read into memory");
        float[] out = new float[(int) w.size()];
        w.copyTo(0, out, 0, out.length);
        return out;
    }

    default TensorInfo require(String name) {
        TensorInfo t = info(name);
        if (t == null) throw new SafetensorsException(path(), name, "is missing");
        return t;
    }

    @Override
    void close();
}
