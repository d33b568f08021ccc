package sdclip.model.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import sdclip.engine.QuantizedWeights;
import sdclip.engine.Weights;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;

/**
 * A GGUF file (v2 or v3, little-endian), memory-mapped whole in a shared arena, its header
 * checked once ({@link GgufHeader}); closing it unmaps.
 *
 * <p>As a {@link TensorStore} it shows every tensor in PyTorch's dimension order (ggml's
 * reversed). Plain tensors (F32, F16, BF16, integers) are slices of the mapping; a block-quantized
 * tensor shows as F32 in {@link #info}; {@link #weights} and {@link #quantized} give its blocks
 * themselves, in place (the towers compute with them quantized), while {@link #bytes} dequantizes
 * it into a new heap array that is not kept (for {@code convert} to safetensors).
 */
public final class GgufFile implements TensorStore {
    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final GgufHeader header;
    private final MemorySegment data;
    private final Map<String, TensorInfo> infos;
    private final Map<String, String> metadata;

    private GgufFile(Path path, Arena arena, GgufHeader header, MemorySegment data) {
        this.path = path;
        this.arena = arena;
        this.header = header;
        this.data = data;
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (GgufTensor t : header.tensors.values()) infos.put(t.name(), info(t));
        this.infos = Collections.unmodifiableMap(infos);
        Map<String, String> meta = new LinkedHashMap<>();
        header.metadata.forEach((k, v) -> meta.put(k, v.toString()));
        this.metadata = Collections.unmodifiableMap(meta);
    }

    /**
     * Maps a file and checks its header.
     *
     * @param path a {@code .gguf} file
     * @return the open file; close it to unmap
     * @throws GgufException when it is missing, a folder, or not a GGUF file sdclip reads (the message says why)
     * @throws IOException   when it cannot be read or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) throw new GgufException(path, "is a directory, not a .gguf file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufHeader h = new GgufHeader(path, file);
            return new GgufFile(path, arena, h, file.asSlice(h.dataStart));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufException(path, "no such file");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Whether a file starts with the GGUF magic, whatever its name.
     *
     * @param path the file
     * @return true when its first four bytes are {@code GGUF}
     */
    public static boolean startsLikeGguf(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            var b = java.nio.ByteBuffer.allocate(4);
            while (b.hasRemaining() && ch.read(b) >= 0) {}
            return !b.hasRemaining() && b.get(0) == 'G' && b.get(1) == 'G' && b.get(2) == 'U' && b.get(3) == 'F';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static TensorInfo info(GgufTensor t) {
        TensorType plain = t.type().plain();
        if (plain != null) return new TensorInfo(t.name(), plain, t.shape(), t.offset(), t.offset() + t.bytes());
        // Dequantized on read: an F32 tensor of its own, as a torch tensor copied to be contiguous is.
        return new TensorInfo(t.name(), TensorType.F32, t.shape(), 0, t.elements() * 4);
    }

    /** {@return the GGUF version, 2 or 3} */
    public int version() {
        return header.version;
    }

    /** {@return the data alignment, from {@code general.alignment} (32 when absent)} */
    public long alignment() {
        return header.alignment;
    }

    /** {@return every tensor info as stored, in file order} */
    public Map<String, GgufTensor> tensors() {
        return header.tensors;
    }

    /**
     * The stored type of a tensor.
     *
     * @param name the tensor's name
     * @return its ggml type
     * @throws SafetensorsException when the tensor is missing
     */
    public GgmlType ggmlType(String name) {
        return stored(name).type();
    }

    /**
     * A block-quantized tensor's blocks, in place (no copy, nothing dequantized).
     *
     * @param name the tensor's name
     * @return a view of its blocks
     * @throws SafetensorsException when the tensor is missing or not block-quantized
     */
    public QuantizedWeights quantized(String name) {
        GgufTensor t = stored(name);
        if (!t.type().quantized()) throw new SafetensorsException(path, name, "is " + t.type() + ", not quantized");
        return new QuantizedWeights(t.type().dtype(), data.asSlice(t.offset(), t.bytes()));
    }

    /**
     * {@inheritDoc} A block-quantized tensor stays quantized: its blocks in place, which the
     * engine's CPU backends pack still quantized and dequantize a panel block at a time.
     */
    @Override
    public Weights weights(String name) {
        GgufTensor t = stored(name);
        return t.type().quantized() ? quantized(name) : TensorStore.super.weights(name);
    }

    /**
     * The metadata, typed: integers of every width as {@link Long} (a uint64 past 2^63 reads
     * negative), float32 as {@link Float}, float64 as {@link Double}, booleans, strings, and
     * arrays as {@link GgufArray}.
     *
     * @return every key in file order
     */
    public Map<String, Object> values() {
        return header.metadata;
    }

    /**
     * An integer metadata value, signed or unsigned.
     *
     * @param key the key
     * @return its value, or null when absent or not an integer
     */
    public Long integer(String key) {
        return header.metadata.get(key) instanceof Long l ? l : null;
    }

    private GgufTensor stored(String name) {
        GgufTensor t = header.tensors.get(name);
        if (t == null) throw new SafetensorsException(path, name, "is missing");
        return t;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return infos.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return infos.get(name);
    }

    /** {@inheritDoc} A block-quantized tensor is dequantized into a new F32 segment on each call. */
    @Override
    public MemorySegment bytes(String name) {
        GgufTensor t = stored(name);
        MemorySegment stored = data.asSlice(t.offset(), t.bytes());
        if (!t.type().quantized()) return stored;
        long n = t.elements();
        if (n > (Integer.MAX_VALUE - 8) / 4)
            throw new SafetensorsException(path, name, "is too large to dequantize into memory");
        QuantizedWeights q = new QuantizedWeights(t.type().dtype(), stored);
        MemorySegment out = MemorySegment.ofArray(new byte[(int) n * 4]);
        float[] chunk = new float[Math.max(t.type().blockSize(), 1 << 14)];
        for (long from = 0; from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            q.copyTo(from, chunk, 0, count);
            MemorySegment.copy(chunk, 0, out, F32_LE, from * 4, count);
        }
        return out;
    }

    /** {@inheritDoc} GGUF's metadata, each value as a string ({@code [N x type]} for an array). */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String storedType(String name) {
        return stored(name).type().name();
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
