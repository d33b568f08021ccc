package sdclip.model.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A metadata array, kept as the bytes it occupies in the mapped file (a vocabulary can hold a
 * quarter of a million strings): nothing is decoded until asked, and only numbers are.
 *
 * @param elementType the GGUF value type of its elements (see {@link GgufHeader})
 * @param count       the number of elements
 * @param bytes       its elements as stored
 */
public record GgufArray(int elementType, long count, MemorySegment bytes) {

    /** {@return whether its elements are numbers (integers or floats), so {@link #number} reads them} */
    public boolean isNumeric() {
        return GgufHeader.fixedSize(elementType) > 0 && elementType != GgufHeader.BOOL;
    }

    /**
     * One numeric element.
     *
     * @param i its index
     * @return its value
     * @throws IllegalStateException when the elements are not numbers
     */
    public double number(long i) {
        if (!isNumeric()) throw new IllegalStateException("an array of " + GgufHeader.typeName(elementType));
        java.util.Objects.checkIndex(i, count);
        long at = i * GgufHeader.fixedSize(elementType);
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        return switch (elementType) {
            case GgufHeader.UINT8 -> bytes.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
            case GgufHeader.INT8 -> bytes.get(ValueLayout.JAVA_BYTE, at);
            case GgufHeader.UINT16 -> bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), at) & 0xFFFF;
            case GgufHeader.INT16 -> bytes.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), at);
            case GgufHeader.UINT32 -> bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), at) & 0xFFFFFFFFL;
            case GgufHeader.INT32 -> bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), at);
            case GgufHeader.FLOAT32 -> bytes.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), at);
            case GgufHeader.FLOAT64 -> bytes.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(le), at);
            default -> bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), at); // UINT64, INT64
        };
    }

    @Override
    public String toString() {
        return "[" + count + " x " + GgufHeader.typeName(elementType) + "]";
    }
}
