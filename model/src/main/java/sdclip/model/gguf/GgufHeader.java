package sdclip.model.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and checks the header of a mapped GGUF file (v2 or v3, little-endian): magic, version,
 * metadata, tensor infos, and the data section they point into. Every length and count is
 * checked against the bytes left before anything is allocated from it; tensors must lie inside
 * the data section, aligned to {@code general.alignment}, without overlapping.
 */
final class GgufHeader {
    /** GGUF metadata value types, as the format numbers them. */
    static final int UINT8 = 0,
            INT8 = 1,
            UINT16 = 2,
            INT16 = 3,
            UINT32 = 4,
            INT32 = 5,
            FLOAT32 = 6,
            BOOL = 7,
            STRING = 8,
            ARRAY = 9,
            UINT64 = 10,
            INT64 = 11,
            FLOAT64 = 12;

    private static final String[] TYPE_NAMES = {
        "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64",
        "float64"
    };

    /** ggml's limit on tensor dimensions. */
    static final int MAX_DIMS = 4;
    /** Arrays of arrays nest at most this deep (the format allows it; no real file goes past 1). */
    private static final int MAX_ARRAY_DEPTH = 4;

    static final int DEFAULT_ALIGNMENT = 32;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final int version;
    final Map<String, Object> metadata;
    /** The GGUF value type of each metadata key (integers of every width are all {@link Long} values). */
    final Map<String, Integer> types;

    final Map<String, GgufTensor> tensors;
    final long alignment;
    final long dataStart;

    private final Path path;
    private final MemorySegment file;
    private long pos;

    /** {@return the name of GGUF value type {@code t}, for messages} */
    static String typeName(int t) {
        return t >= 0 && t < TYPE_NAMES.length ? TYPE_NAMES[t] : "type " + Integer.toUnsignedString(t);
    }

    /** {@return the size of one value of type {@code t}, or 0 for strings and arrays} */
    static int fixedSize(int t) {
        return switch (t) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            default -> 0;
        };
    }

    GgufHeader(Path path, MemorySegment file) {
        this.path = path;
        this.file = file;
        long size = file.byteSize();
        if (size < 24)
            throw fail("is " + size + " bytes, too small to be a GGUF file (magic, version and two counts come first)");
        if (file.get(U32, 0) != 0x46554747) throw fail("does not start with the GGUF magic");
        version = file.get(U32, 4);
        if (version != 2 && version != 3) {
            int swapped = Integer.reverseBytes(version);
            if (swapped >= 1 && swapped <= 3)
                throw fail("is a big-endian GGUF file (version " + swapped
                        + " stored byte-swapped); sdclip reads little-endian GGUF only");
            if (version == 1) throw fail("is GGUF version 1, which sdclip does not read (only versions 2 and 3)");
            throw fail("has GGUF version " + Integer.toUnsignedString(version) + "; sdclip reads versions 2 and 3");
        }
        pos = 8;
        long tensorCount = count("tensor count", 8 + 4 + 4 + 8);
        long kvCount = count("metadata count", 8 + 4 + 1);
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, Integer> typeOf = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string("a metadata key", true);
            int type = u32("the type of metadata " + key);
            Object value = value(type, key, 0);
            if (meta.putIfAbsent(key, value) != null) throw fail("has metadata key " + key + " twice");
            typeOf.put(key, type);
        }
        metadata = Collections.unmodifiableMap(meta);
        types = Collections.unmodifiableMap(typeOf);
        alignment = alignment();
        Map<String, GgufTensor> ts = new LinkedHashMap<>();
        List<long[]> infos = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string("a tensor name", true);
            if (ts.containsKey(name)) throw fail("has tensor " + name + " twice");
            int dims = u32("the dimension count of tensor " + name);
            if (dims < 0 || dims > MAX_DIMS)
                throw failTensor(
                        name, "has " + Integer.toUnsignedString(dims) + " dimensions; ggml allows at most " + MAX_DIMS);
            long[] info = new long[dims + 2];
            for (int d = 0; d < dims; d++) info[d] = u64("a dimension of tensor " + name);
            info[dims] = u32("the type of tensor " + name) & 0xFFFFFFFFL;
            info[dims + 1] = u64("the offset of tensor " + name);
            names.add(name);
            infos.add(info);
            ts.put(name, null); // reserves the name; filled in once the data section is known
        }
        dataStart = align(pos, alignment);
        if (dataStart > size) throw fail("ends inside its header (" + size + " bytes; truncated?)");
        // Writers pad with zeros (gguf-py, ggml); anything else there means the counts skipped
        // part of the header, and the tensors would be read from the wrong bytes...
        for (long i = pos; i < dataStart; i++)
            if (file.get(ValueLayout.JAVA_BYTE, i) != 0)
                throw fail("has a non-zero byte at offset " + i + ", in the padding between its header and the tensor"
                        + " data: its tensor or metadata count does not match the header");
        long dataSize = size - dataStart;
        for (int i = 0; i < names.size(); i++) ts.put(names.get(i), tensor(names.get(i), infos.get(i), dataSize));
        checkOverlaps(ts.values());
        // ...and each tensor's data is padded to the alignment, the last one's too, and then the
        // file ends: more means a count one too small whose header happened to end aligned.
        long end = 0;
        for (GgufTensor t : ts.values()) end = Math.max(end, t.offset() + t.bytes());
        if (dataSize > align(end, alignment))
            throw fail("has " + (dataSize - align(end, alignment)) + " bytes after its last tensor's data: its tensor"
                    + " count does not match the header");
        tensors = Collections.unmodifiableMap(ts);
    }

    private GgufTensor tensor(String name, long[] info, long dataSize) {
        int dims = info.length - 2;
        long[] ne = java.util.Arrays.copyOf(info, dims);
        long typeId = info[dims], offset = info[dims + 1];
        GgmlType type = GgmlType.ofId(typeId);
        if (type == null) throw failTensor(name, "has ggml type id " + typeId + ", which ggml does not define");
        if (!type.readable())
            throw failTensor(
                    name,
                    "has type " + type + ", which sdclip does not read (it reads F32, F16, BF16,"
                            + " Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and the integer types)");
        long elements = 1;
        for (long d : ne) {
            if (d < 0) throw failTensor(name, "has dimensions " + shapeString(ne) + " past 2^63");
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw failTensor(name, "has dimensions " + shapeString(ne) + " whose element count overflows");
            }
        }
        if (dims > 0 && ne[0] % type.blockSize() != 0)
            throw failTensor(
                    name,
                    "has rows of " + ne[0] + " values, not a whole number of " + type + " blocks of "
                            + type.blockSize());
        if (dims == 0 && type.blockSize() != 1)
            throw failTensor(name, "is a " + type + " scalar, which cannot fill a block");
        long bytes;
        try {
            bytes = Math.multiplyExact(elements / type.blockSize(), (long) type.blockBytes());
        } catch (ArithmeticException e) {
            throw failTensor(name, "has dimensions " + shapeString(ne) + " whose byte size overflows");
        }
        if (offset < 0 || offset % alignment != 0)
            throw failTensor(
                    name,
                    "has offset " + Long.toUnsignedString(offset) + ", not a multiple of the alignment " + alignment);
        if (offset > dataSize || bytes > dataSize - offset)
            throw failTensor(
                    name,
                    "has " + bytes + " bytes at offset " + offset + ", past the end of the data (" + dataSize
                            + " bytes; truncated file?)");
        return new GgufTensor(name, type, ne, offset, bytes);
    }

    private void checkOverlaps(java.util.Collection<GgufTensor> all) {
        List<GgufTensor> sorted = new ArrayList<>(all);
        sorted.removeIf(t -> t.bytes() == 0);
        sorted.sort(Comparator.comparingLong(GgufTensor::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensor a = sorted.get(i - 1), b = sorted.get(i);
            if (b.offset() < a.offset() + a.bytes()) throw failTensor(b.name(), "overlaps tensor " + a.name());
        }
    }

    /** {@code general.alignment}: a uint32 power of two, 32 when absent. */
    private long alignment() {
        Object a = metadata.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (!(a instanceof Long v) || types.get("general.alignment") != UINT32)
            throw fail("has general.alignment of " + typeName(types.get("general.alignment")) + " " + a
                    + ", expected a uint32");
        if (v == 0 || (v & (v - 1)) != 0) throw fail("has general.alignment " + v + ", not a power of two");
        return v;
    }

    private static long align(long at, long alignment) {
        return (at + alignment - 1) / alignment * alignment;
    }

    private Object value(int type, String key, int depth) {
        return switch (type) {
            case UINT8 -> bytes(1, key).get(ValueLayout.JAVA_BYTE, 0) & 0xFFL;
            case INT8 -> (long) bytes(1, key).get(ValueLayout.JAVA_BYTE, 0);
            case UINT16 -> bytes(2, key).get(I16, 0) & 0xFFFFL;
            case INT16 -> (long) bytes(2, key).get(I16, 0);
            case UINT32 -> u32("metadata " + key) & 0xFFFFFFFFL;
            case INT32 -> (long) u32("metadata " + key);
            case FLOAT32 -> bytes(4, key).get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            case BOOL -> {
                int b = bytes(1, key).get(ValueLayout.JAVA_BYTE, 0);
                if (b != 0 && b != 1) throw fail("has metadata " + key + " of type bool holding " + b);
                yield b == 1;
            }
            case STRING -> string("metadata " + key, false);
            case ARRAY -> array(key, depth);
            case UINT64 -> u64Raw("metadata " + key);
            case INT64 -> u64Raw("metadata " + key);
            case FLOAT64 -> bytes(8, key).get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            default -> throw fail("has metadata " + key + " of unknown type " + Integer.toUnsignedString(type));
        };
    }

    private GgufArray array(String key, int depth) {
        if (depth >= MAX_ARRAY_DEPTH)
            throw fail("has metadata " + key + " nesting arrays deeper than " + MAX_ARRAY_DEPTH);
        int type = u32("the element type of metadata " + key);
        if (typeName(type).startsWith("type ")) // not a GGUF type
        throw fail("has metadata " + key + " holding an array of unknown type " + Integer.toUnsignedString(type));
        int fixed = fixedSize(type);
        long count = count("the length of metadata " + key, fixed > 0 ? fixed : type == STRING ? 8 : 12);
        long start = pos;
        if (fixed > 0) {
            pos += count * fixed; // count() checked it fits
            if (type == BOOL)
                for (long i = start; i < pos; i++) {
                    byte b = file.get(ValueLayout.JAVA_BYTE, i);
                    if (b != 0 && b != 1) throw fail("has metadata " + key + " holding a bool of " + b);
                }
        } else {
            for (long i = 0; i < count; i++) {
                if (type == STRING) skipString("an element of metadata " + key);
                else value(type, key, depth + 1);
            }
        }
        return new GgufArray(type, count, file.asSlice(start, pos - start));
    }

    /** A count checked against the bytes left, each element taking at least {@code minBytes}. */
    private long count(String what, int minBytes) {
        long n = u64Raw(what);
        long left = file.byteSize() - pos;
        if (n < 0 || n > left / minBytes)
            throw fail("has " + what + " " + Long.toUnsignedString(n) + ", more than the " + left
                    + " bytes left could hold (truncated or not GGUF?)");
        return n;
    }

    private String string(String what, boolean strict) {
        long n = u64Raw("the length of " + what);
        MemorySegment b = lengthChecked(n, what);
        try {
            var decoder = StandardCharsets.UTF_8.newDecoder();
            if (strict)
                decoder.onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            else decoder.onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
            return decoder.decode(b.asByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            throw fail("has " + what + " that is not UTF-8");
        }
    }

    private void skipString(String what) {
        lengthChecked(u64Raw("the length of " + what), what);
    }

    private MemorySegment lengthChecked(long n, String what) {
        long left = file.byteSize() - pos;
        if (n < 0 || n > left)
            throw fail("has " + what + " of " + Long.toUnsignedString(n) + " bytes, past the end of the file (" + left
                    + " bytes left; truncated?)");
        MemorySegment s = file.asSlice(pos, n);
        pos += n;
        return s;
    }

    private MemorySegment bytes(int n, String key) {
        return lengthChecked(n, "metadata " + key);
    }

    private int u32(String what) {
        if (file.byteSize() - pos < 4) throw fail("ends inside " + what + " (truncated?)");
        int v = file.get(U32, pos);
        pos += 4;
        return v;
    }

    private long u64Raw(String what) {
        if (file.byteSize() - pos < 8) throw fail("ends inside " + what + " (truncated?)");
        long v = file.get(U64, pos);
        pos += 8;
        return v;
    }

    private long u64(String what) {
        long v = u64Raw(what);
        if (v < 0) throw fail("has " + what + " of " + Long.toUnsignedString(v) + ", past 2^63");
        return v;
    }

    private static String shapeString(long[] ne) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < ne.length; i++) sb.append(i > 0 ? ", " : "").append(Long.toUnsignedString(ne[i]));
        return sb.append(']').toString();
    }

    private GgufException fail(String message) {
        return new GgufException(path, message);
    }

    private GgufException failTensor(String name, String message) {
        return new GgufException(path, "tensor " + name + " " + message);
    }
}
