package sdclip.model.pickle;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import sdclip.model.safetensors.TensorType;

/**
 * One storage a pickle refers to by key: its element type and the element count the pickle
 * claims; its bytes are bound once the container has checked them against that claim.
 */
final class TorchStorage {
    final String key;
    final TensorType type;
    final long elements;
    private MemorySegment data;

    TorchStorage(String key, TensorType type, long elements) {
        this.key = key;
        this.type = type;
        this.elements = elements;
    }

    int elementBytes() {
        return type.bits() / 8;
    }

    /** The byte size the pickle claims, or -1 when it overflows. */
    long claimedBytes() {
        return elements > Long.MAX_VALUE / elementBytes() ? -1 : elements * elementBytes();
    }

    /** Refuses a storage whose real size is not exactly the claimed size. */
    void checkSize(Path file, long realBytes) {
        if (realBytes != claimedBytes()) {
            throw new PickleException(
                    file,
                    "storage " + Globals.printable(key) + " claims " + elements + " " + type + " elements ("
                            + (claimedBytes() < 0 ? "more than 2^63" : claimedBytes()) + " bytes) but holds "
                            + realBytes + " bytes");
        }
    }

    /** Binds the storage's bytes, which must be exactly the claimed size. */
    void bind(Path file, MemorySegment bytes) {
        checkSize(file, bytes.byteSize());
        data = bytes;
    }

    boolean bound() {
        return data != null;
    }

    MemorySegment data() {
        return data;
    }
}
