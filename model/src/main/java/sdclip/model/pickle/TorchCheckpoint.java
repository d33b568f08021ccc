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
 */
public final class TorchCheckpoint implements TensorStore {
    private static final int MAX_DEPTH = 64;

    private final TorchFile file;
    private final Map<String, TorchTensor> tensors;
    private final Map<String, TensorInfo> infos;
    private final Map<String, String> metadata;

    private TorchCheckpoint(TorchFile file, Map<String, TorchTensor> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        tensors.forEach((name, t) -> infos.put(name, info(name, t)));
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
            String name = prefix + e.getKey();
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

    private static TensorInfo info(String name, TorchTensor t) {
        long size = t.bytes().byteSize();
        long begin = t.isContiguous() ? t.storageOffset() * (t.type().bits() / 8) : 0;
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

    @Override
    public TensorInfo info(String name) {
        return infos.get(name);
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
