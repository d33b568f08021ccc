package sdclip.model.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * A safetensors file, memory-mapped whole (no 2 GiB limit) in a shared arena, its header parsed
 * and validated once; tensors are slices of the mapping. Closing it unmaps. Validation is
 * strict: every failure names the file and, where there is one, the tensor.
 */
public final class SafetensorsFile implements TensorStore {
    /** Headers above this are refused before anything is read or allocated. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final long headerLength;

    private SafetensorsFile(
            Path path,
            Arena arena,
            MemorySegment data,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata,
            long headerLength) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
        this.headerLength = headerLength;
    }

    /**
     * Maps a file and validates its header: JSON, dtypes, shapes matching byte ranges, ranges inside the data and
     * not overlapping.
     *
     * @param path a {@code .safetensors} file
     * @return the open file; close it to unmap
     * @throws SafetensorsException when it is missing, a directory, or not valid safetensors (the message says why)
     * @throws IOException          when it cannot be read or mapped
     */
    public static SafetensorsFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) throw new SafetensorsException(path, "is a directory, not a .safetensors file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw new SafetensorsException(
                        path,
                        "is " + size
                                + " bytes, too small to be a safetensors file (an 8-byte header length comes first)");
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new SafetensorsException(
                        path,
                        "header length " + Long.toUnsignedString(n) + " exceeds the " + MAX_HEADER_BYTES / (1024 * 1024)
                                + " MB limit (not a safetensors file?)");
            }
            if (8 + n > size)
                throw new SafetensorsException(
                        path, "header length " + n + " runs past the end of the file (" + size + " bytes; truncated?)");
            String header = utf8(file.asSlice(8, n), path);
            MemorySegment data = file.asSlice(8 + n);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, TensorInfo> tensors = parseHeader(header, data.byteSize(), path, metadata);
            return new SafetensorsFile(path, arena, data, tensors, Collections.unmodifiableMap(metadata), n);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new SafetensorsException(path, "no such file");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static String utf8(MemorySegment bytes, Path path) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.asByteBuffer())
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path, "header is not UTF-8 text (not a safetensors file?)");
        }
    }

    /** Parses and validates a header against a data section of {@code dataLength} bytes. */
    static Map<String, TensorInfo> parseHeader(
            String header, long dataLength, Path path, Map<String, String> metadataOut) {
        Object root;
        try {
            root = Json.parse(header, 8);
        } catch (JsonException e) {
            throw new SafetensorsException(path, "header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> map))
            throw new SafetensorsException(path, "header is " + Json.describe(root) + ", expected a JSON object");
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (var e : map.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                if (!(e.getValue() instanceof Map<?, ?> meta))
                    throw new SafetensorsException(
                            path, "__metadata__ is " + Json.describe(e.getValue()) + ", expected an object of strings");
                for (var m : meta.entrySet()) {
                    if (!(m.getValue() instanceof String s))
                        throw new SafetensorsException(
                                path,
                                "__metadata__ entry \"" + m.getKey() + "\" is " + Json.describe(m.getValue())
                                        + ", expected a string");
                    metadataOut.put((String) m.getKey(), s);
                }
                continue;
            }
            tensors.put(name, entry(name, e.getValue(), dataLength, path));
        }
        checkOverlaps(tensors.values(), path);
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo entry(String name, Object value, long dataLength, Path path) {
        if (!(value instanceof Map<?, ?> o))
            throw new SafetensorsException(
                    path, name, "has " + Json.describe(value) + " for its entry, expected an object");
        for (Object key : o.keySet()) {
            if (!Set.of("dtype", "shape", "data_offsets").contains(key))
                throw new SafetensorsException(path, name, "has an unknown field \"" + key + "\"");
        }
        if (!(o.get("dtype") instanceof String dtypeName))
            throw new SafetensorsException(path, name, "has no dtype string");
        TensorType type = TensorType.parse(dtypeName);
        if (type == null) throw new SafetensorsException(path, name, "has unknown dtype \"" + dtypeName + "\"");
        if (!(o.get("shape") instanceof List<?> shapeList))
            throw new SafetensorsException(path, name, "has no shape array");
        long[] shape = new long[shapeList.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0)
                throw new SafetensorsException(
                        path,
                        name,
                        "has dimension " + shapeList.get(i) + " in its shape, expected a non-negative integer");
            shape[i] = d;
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException ex) {
                throw new SafetensorsException(
                        path, name, "has a shape " + shapeList + " whose element count overflows");
            }
        }
        if (!(o.get("data_offsets") instanceof List<?> offsets)
                || offsets.size() != 2
                || !(offsets.get(0) instanceof Long begin)
                || !(offsets.get(1) instanceof Long end)) {
            throw new SafetensorsException(path, name, "has no data_offsets [begin, end] of integers");
        }
        if (begin < 0 || end < begin)
            throw new SafetensorsException(
                    path, name, "has reversed or negative data_offsets [" + begin + ", " + end + "]");
        if (end > dataLength)
            throw new SafetensorsException(
                    path,
                    name,
                    "has data_offsets [" + begin + ", " + end + "] past the end of the data (" + dataLength
                            + " bytes; truncated file?)");
        long bits;
        try {
            bits = Math.multiplyExact(count, (long) type.bits());
        } catch (ArithmeticException ex) {
            throw new SafetensorsException(path, name, "has a shape " + shapeList + " whose byte size overflows");
        }
        if (bits % 8 != 0 || bits / 8 != end - begin) {
            throw new SafetensorsException(
                    path,
                    name,
                    "has shape " + shapeList + " of " + type + " ("
                            + (bits % 8 == 0 ? bits / 8 + " bytes" : bits + " bits") + ") but a byte range of "
                            + (end - begin) + " bytes");
        }
        return new TensorInfo(name, type, shape, begin, end);
    }

    private static void checkOverlaps(Collection<TensorInfo> infos, Path path) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.removeIf(t -> t.bytes() == 0);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end())
                throw new SafetensorsException(path, b.name(), "overlaps tensor " + a.name() + " in the data section");
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return tensors.get(name);
    }

    @Override
    public MemorySegment bytes(String name) {
        TensorInfo t = require(name);
        return data.asSlice(t.begin(), t.bytes());
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /** {@return the JSON header's length in bytes, without the 8-byte length field (not always a multiple of 8)} */
    public long headerLength() {
        return headerLength;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    /** The little-endian bytes of a float array, for writers and tests. */
    static ByteBuffer littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b;
    }
}
