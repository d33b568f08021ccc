package sdclip.model.pickle;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

import sdclip.model.safetensors.TensorType;

/**
 * One storage a pickle refers to: by key, of a storage class, holding the element count the
 * pickle claims. What is wrong with it (not in the file, another size, a dtype sdclip does not
 * read, a persistent id that names no storage at all) is kept as its problem, which refuses only
 * the tensors that view it, when their bytes are asked for. Its bytes come from the file when
 * first read (a deflated archive member is inflated then, once).
 */
final class TorchStorage {
    /** The key, printable; null when the persistent id gave none. */
    final String key;
    /** The class; null when the persistent id names none. */
    final Globals.StorageClass cls;

    final long elements;
    private String problem;
    private Supplier<MemorySegment> source;
    private MemorySegment data;

    TorchStorage(String key, Globals.StorageClass cls, long elements) {
        this.key = key;
        this.cls = cls;
        this.elements = elements;
        if (cls.type() == null) problem = "has dtype torch." + cls.name() + ", which sdclip does not read";
    }

    private TorchStorage(String problem) {
        this.key = null;
        this.cls = null;
        this.elements = 0;
        this.problem = problem;
    }

    /** A persistent id that makes no storage: tensors on it are refused with {@code problem}. */
    static TorchStorage broken(String problem) {
        return new TorchStorage(problem);
    }

    /** The element type, or null when it is unknown or not one sdclip reads. */
    TensorType type() {
        return cls == null ? null : cls.type();
    }

    int elementBytes() {
        return cls.elementBytes();
    }

    /** The byte size the pickle claims, or -1 when it overflows. */
    long claimedBytes() {
        return elements > Long.MAX_VALUE / elementBytes() ? -1 : elements * elementBytes();
    }

    /** Why its tensors cannot be read ("is not in the archive"), or null. */
    String problem() {
        return problem;
    }

    /** Records the first thing found wrong with it. */
    void fail(String why) {
        if (problem == null) problem = why;
    }

    /** The problem when the file holds {@code realBytes} for it and the pickle claims another size, else null. */
    String sizeProblem(long realBytes) {
        if (realBytes == claimedBytes()) return null;
        return "claims " + elements + " " + (type() == null ? cls.name() : type()) + " elements ("
                + (claimedBytes() < 0 ? "more than 2^63" : claimedBytes()) + " bytes) but holds " + realBytes
                + " bytes";
    }

    /** Where its bytes come from when first read: exactly the claimed size (checked by the caller). */
    void source(Supplier<MemorySegment> bytes) {
        source = bytes;
    }

    boolean bound() {
        return source != null || problem != null;
    }

    /**
     * The storage's bytes, read (or inflated) on first use.
     *
     * @throws PickleException when a deflated member does not inflate (corrupt, wrong CRC)
     */
    synchronized MemorySegment data() {
        if (data == null) data = source.get();
        return data;
    }

    /** The key for messages. */
    String name() {
        return key == null ? "?" : Globals.printable(key);
    }
}
