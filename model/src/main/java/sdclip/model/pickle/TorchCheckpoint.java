package sdclip.model.pickle;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * The state dict of a PyTorch checkpoint ({@code .ckpt}, {@code .pt}, {@code .pth}, {@code .bin})
 * as a {@link TensorStore}: found at the top level, under {@code state_dict} (possibly nested)
 * or under {@code model}, nested dicts flattened to dotted names. Top-level scalars such as
 * {@code global_step} and {@code epoch} become metadata strings. In {@link #info} the byte
 * range is the tensor's within its storage (0 for a tensor copied to make it contiguous).
 * Opening reads no tensor's bytes: a tensor that cannot be read (see {@link TorchTensor#bytes})
 * is listed all the same and refused, by name, only when it is read, so a broken tensor no tower
 * needs (a UNet's, an EMA copy's) never makes the text or vision towers unreadable. Such a
 * tensor whose dtype or shape the pickle does not even give has no {@link #info}: asking for it
 * is its refusal.
 */
public final class TorchCheckpoint implements TensorStore {
    private static final int MAX_DEPTH = 64;
    /** Longer dotted names are refused: real ones are under 300 characters, and each is built once per tensor. */
    private static final int MAX_NAME = 4096;

    private final TorchFile file;
    private final Map<String, TorchTensor> tensors;
    private final Map<String, TensorInfo> infos;
    private final Map<String, String> metadata;

    private TorchCheckpoint(TorchFile file, Map<String, TorchTensor> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (t.isDescribed()) infos.put(name, info(name, t));
        });
        this.infos = Collections.unmodifiableMap(infos);
    }

    /** Opens a torch checkpoint and finds its state dict. */
    public static TorchCheckpoint open(Path path) throws IOException {
        TorchFile f = TorchFile.open(path);
        try {
            return of(f);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The state dict of an open torch file; the checkpoint takes over closing it. */
    public static TorchCheckpoint of(TorchFile file) {
        if (!(file.root() instanceof Map<?, ?> top)) {
            throw new PickleException(
                    file.path(), "holds a " + PickleMachine.describe(file.root()) + ", not a dict of tensors");
        }
        Map<String, TorchTensor> tensors = new LinkedHashMap<>();
        flatten(file.path(), stateDict(top), "", tensors, new IdentityHashMap<>(), 0);
        return new TorchCheckpoint(file, Collections.unmodifiableMap(tensors), scalars(top));
    }

    /** True when the file looks like a torch checkpoint (see {@link TorchFile#isTorchFile}). */
    public static boolean isTorchFile(Path path) {
        return TorchFile.isTorchFile(path);
    }

    /** True when the file starts like a torch checkpoint, whatever its name (see {@link TorchFile#startsLikeTorch}). */
    public static boolean startsLikeTorch(Path path) {
        return TorchFile.startsLikeTorch(path);
    }

    /** {@code state_dict} (as deep as it nests), else {@code model}, else the top level itself. */
    private static Map<?, ?> stateDict(Map<?, ?> top) {
        Map<?, ?> m = top;
        for (int depth = 0; depth < MAX_DEPTH && m.get("state_dict") instanceof Map<?, ?> inner; depth++) m = inner;
        if (m == top && top.get("model") instanceof Map<?, ?> model) return model;
        return m;
    }

    private static void flatten(
            Path path,
            Map<?, ?> dict,
            String prefix,
            Map<String, TorchTensor> out,
            Map<Object, Boolean> seen,
            int depth) {
        if (depth > MAX_DEPTH)
            throw new PickleException(path, "nests its state dict more than " + MAX_DEPTH + " levels deep");
        if (seen.put(dict, Boolean.TRUE) != null)
            throw new PickleException(path, "holds the same dict twice in its state dict");
        for (var e : dict.entrySet()) {
            if (!(e.getKey() instanceof String || e.getKey() instanceof Long)) continue;
            if (!(e.getValue() instanceof TorchTensor || e.getValue() instanceof Map<?, ?>)) continue;
            String key = e.getKey().toString();
            if (key.length() > MAX_NAME - prefix.length())
                throw new PickleException(
                        path,
                        "has a state dict name over " + MAX_NAME + " characters ("
                                + Globals.printable(prefix + key.substring(0, Math.min(key.length(), 200))) + ")");
            String name = prefix + key;
            if (e.getValue() instanceof TorchTensor t) {
                if (out.putIfAbsent(name, t) != null)
                    throw new PickleException(path, "has two tensors named " + Globals.printable(name));
            } else if (e.getValue() instanceof Map<?, ?> inner) {
                flatten(path, inner, name + ".", out, seen, depth + 1);
            }
        }
    }

    /** Top-level strings, numbers and booleans (global_step, epoch, versions), as strings. */
    private static Map<String, String> scalars(Map<?, ?> top) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : top.entrySet()) {
            Object v = e.getValue();
            if (e.getKey() instanceof String k
                    && (v instanceof String
                            || v instanceof Long
                            || v instanceof BigInteger
                            || v instanceof Double
                            || v instanceof Boolean)) {
                out.put(k, v.toString());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** Its entry from the pickle alone (no bytes read); the range is empty when its shape gives no size. */
    private static TensorInfo info(String name, TorchTensor t) {
        long size = Math.max(0, t.byteSize());
        long begin = t.isContiguous() && t.problem() == null
                ? t.storageOffset() * (t.type().bits() / 8)
                : 0;
        return new TensorInfo(name, t.type(), t.shape(), begin, begin + size);
    }

    /** The torch file underneath, for its whole object tree. */
    public TorchFile file() {
        return file;
    }

    @Override
    public Path path() {
        return file.path();
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * {@inheritDoc}
     *
     * @throws PickleException when the tensor is there but its pickle gives no dtype sdclip reads
     *     or no shape: the message says why, as reading it would
     */
    @Override
    public TensorInfo info(String name) {
        TensorInfo i = infos.get(name);
        if (i == null && tensors.get(name) instanceof TorchTensor t) t.bytes(); // throws its refusal
        return i;
    }

    @Override
    public MemorySegment bytes(String name) {
        TorchTensor t = tensors.get(name);
        if (t == null) throw new SafetensorsException(path(), name, "is missing");
        return t.bytes();
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        file.close();
    }
}
