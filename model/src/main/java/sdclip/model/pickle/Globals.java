package sdclip.model.pickle;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import sdclip.model.safetensors.TensorType;

/**
 * The allow-list of Python globals a checkpoint may name. Nothing is ever imported or run:
 * each allowed name maps to a fixed behaviour of the pickle machine, and any other name
 * refuses the whole file.
 */
final class Globals {
    private Globals() {}

    /** What calling an allowed global does. */
    enum Kind {
        ORDERED_DICT,
        SET,
        TORCH_SIZE,
        REBUILD_TENSOR,
        REBUILD_PARAMETER,
        PARAMETER_DICT,
        STORAGE,
        PLACEHOLDER
    }

    private static final Map<String, Kind> ALLOWED = Map.ofEntries(
            Map.entry("collections.OrderedDict", Kind.ORDERED_DICT),
            Map.entry("builtins.set", Kind.SET), // ParameterDict's _non_persistent_buffers_set
            Map.entry("torch.Size", Kind.TORCH_SIZE),
            Map.entry("torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR),
            Map.entry("torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER),
            Map.entry("torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER),
            Map.entry("torch.nn.modules.container.ParameterDict", Kind.PARAMETER_DICT),
            Map.entry("numpy.core.multiarray.scalar", Kind.PLACEHOLDER),
            Map.entry("numpy._core.multiarray.scalar", Kind.PLACEHOLDER),
            Map.entry("numpy.dtype", Kind.PLACEHOLDER),
            Map.entry("_codecs.encode", Kind.PLACEHOLDER), // the bytes of a numpy scalar
            Map.entry("torch.device", Kind.PLACEHOLDER), // a device in a training checkpoint's extras
            Map.entry("argparse.Namespace", Kind.PLACEHOLDER)); // hyper_parameters of a Lightning checkpoint

    /**
     * A torch storage class: the element type its tensors are read as, null for a dtype sdclip does
     * not read (complex, quantized: its tensors are refused when read), and its element size.
     */
    record StorageClass(String name, TensorType type, int elementBytes) {}

    /** Every class torch pickles a storage as ({@code torch.storage._dtype_to_storage_type_map}). */
    private static final Map<String, StorageClass> STORAGES = storages(
            new StorageClass("FloatStorage", TensorType.F32, 4),
            new StorageClass("HalfStorage", TensorType.F16, 2),
            new StorageClass("BFloat16Storage", TensorType.BF16, 2),
            new StorageClass("DoubleStorage", TensorType.F64, 8),
            new StorageClass("LongStorage", TensorType.I64, 8),
            new StorageClass("IntStorage", TensorType.I32, 4),
            new StorageClass("ShortStorage", TensorType.I16, 2),
            new StorageClass("CharStorage", TensorType.I8, 1),
            new StorageClass("ByteStorage", TensorType.U8, 1),
            new StorageClass("BoolStorage", TensorType.BOOL, 1),
            new StorageClass("ComplexDoubleStorage", null, 16),
            new StorageClass("ComplexFloatStorage", null, 8),
            new StorageClass("QInt8Storage", null, 1),
            new StorageClass("QUInt8Storage", null, 1),
            new StorageClass("QInt32Storage", null, 4),
            new StorageClass("QUInt4x2Storage", null, 1),
            new StorageClass("QUInt2x4Storage", null, 1));

    private static Map<String, StorageClass> storages(StorageClass... classes) {
        Map<String, StorageClass> m = new HashMap<>();
        for (StorageClass c : classes) m.put(c.name(), c);
        return Map.copyOf(m);
    }

    /** Protocol 2 writes some Python 3 modules under their Python 2 names, as Python 3's unpickler maps them back. */
    private static final Map<String, String> PYTHON3_MODULES =
            Map.of("__builtin__", "builtins", "commands", "subprocess", "copy_reg", "copyreg", "cPickle", "pickle");

    /** The global {@code module.name}, or a refusal of the file naming it. */
    static PythonGlobal resolve(Path file, String module, String name) {
        PythonGlobal g = new PythonGlobal(PYTHON3_MODULES.getOrDefault(module, module), name);
        if (kind(g) == null) {
            String written = module + "." + name;
            String also = written.equals(g.toString()) ? "" : " (" + g + " in Python 3)";
            throw new PickleException(
                    file,
                    "names the Python global " + printable(written) + printable(also)
                            + ", which is not on the allow-list (nothing was run)");
        }
        return g;
    }

    /** What an allowed global does, or null for any other. */
    static Kind kind(PythonGlobal g) {
        String q = g.toString();
        Kind k = ALLOWED.get(q);
        if (k != null) return k;
        if (g.module().equals("torch") && STORAGES.containsKey(g.name())) return Kind.STORAGE;
        if (g.module().equals("pytorch_lightning") || g.module().startsWith("pytorch_lightning."))
            return Kind.PLACEHOLDER;
        return null;
    }

    /** The storage class {@code g} names, or null when it is not one. */
    static StorageClass storageClass(PythonGlobal g) {
        return g.module().equals("torch") ? STORAGES.get(g.name()) : null;
    }

    /** A name from a file made safe for a one-line message. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
        }
        return s.length() > 200 ? b + "..." : b.toString();
    }
}
