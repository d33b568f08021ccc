package sdclip.model.safetensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import sdclip.engine.Weights;

/**
 * Named tensors backed by one or more memory-mapped safetensors files. Values are read in place: segments and weights
 * it returns are views of the mapping, valid until {@link #close()}. A name it lacks is a
 * {@link SafetensorsException} naming the file and the tensor, except for {@link #info} and {@link #has}.
 */
public interface TensorStore extends AutoCloseable {

    /** {@return the file (or index) this store was opened from, for messages} */
    Path path();

    /** {@return the names of every tensor, in header order (or the index's {@code weight_map} order); read-only} */
    Set<String> names();

    /**
     * A tensor's header entry.
     *
     * @param name the tensor's name
     * @return its entry, or null when the store has no such tensor
     */
    TensorInfo info(String name);

    /**
     * The raw bytes of a tensor, little-endian as stored.
     *
     * @param name the tensor's name
     * @return a slice of the mapped file, {@code info(name).bytes()} long (no copy)
     * @throws SafetensorsException when the tensor is missing
     */
    MemorySegment bytes(String name);

    /** {@return the header's {@code __metadata__} strings (of the first shard when sharded); empty when none} */
    Map<String, String> metadata();

    /**
     * The name of the type a tensor is stored in, which for most formats is its dtype; a GGUF
     * file names its quantized types (e.g. {@code Q8_0}) here while {@link #info} shows the F32
     * they are read as.
     *
     * @param name the tensor's name
     * @return the stored type's name, e.g. {@code F16}
     * @throws SafetensorsException when the tensor is missing
     */
    default String storedType(String name) {
        return require(name).type().name();
    }

    /**
     * Whether a tensor is present.
     *
     * @param name the tensor's name
     * @return true when the store holds it
     */
    default boolean has(String name) {
        return info(name) != null;
    }

    /**
     * A tensor as weights the engine computes with, read in place.
     *
     * @param name the tensor's name
     * @return a flat view of its values (no copy), row-major over its shape
     * @throws SafetensorsException when it is missing or its dtype is not F32, F16 or BF16
     */
    default Weights weights(String name) {
        TensorInfo t = require(name);
        if (t.type().computeType() == null) {
            throw new SafetensorsException(
                    path(), name, "has dtype " + t.type() + "; sdclip computes with F32, F16 or BF16 only");
        }
        return Weights.of(t.type().computeType(), bytes(name));
    }

    /**
     * An I64 tensor's values (ids, indices), copied.
     *
     * @param name the tensor's name
     * @return its values, row-major over its shape
     * @throws SafetensorsException when it is missing, not I64, or too large for an array
     */
    default long[] longs(String name) {
        TensorInfo t = require(name);
        if (t.type() != TensorType.I64)
            throw new SafetensorsException(path(), name, "has dtype " + t.type() + ", expected I64");
        if (t.elements() > Integer.MAX_VALUE - 8)
            throw new SafetensorsException(path(), name, "is too large to read into memory");
        long[] out = new long[(int) t.elements()];
        MemorySegment.copy(
                bytes(name), ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, out, 0, out.length);
        return out;
    }

    /**
     * An F32, F16 or BF16 tensor's values widened to F32 into a new array (small tensors and tests).
     *
     * @param name the tensor's name
     * @return its values, row-major over its shape
     * @throws SafetensorsException when it is missing, of another dtype, or too large for an array
     */
    default float[] floats(String name) {
        Weights w = weights(name);
        if (w.size() > Integer.MAX_VALUE - 8)
            throw new SafetensorsException(path(), name, "is too large to read into memory");
        float[] out = new float[(int) w.size()];
        w.copyTo(0, out, 0, out.length);
        return out;
    }

    /**
     * A tensor's header entry, which must be there.
     *
     * @param name the tensor's name
     * @return its entry
     * @throws SafetensorsException when the store has no such tensor
     */
    default TensorInfo require(String name) {
        TensorInfo t = info(name);
        if (t == null) throw new SafetensorsException(path(), name, "is missing");
        return t;
    }

    /** Unmaps the files; segments and weights read from this store must not be used after. Closing twice is fine. */
    @Override
    void close();
}
