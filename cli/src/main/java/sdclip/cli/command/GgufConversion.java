package sdclip.cli.command;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;

import sdclip.engine.DType;
import sdclip.engine.QuantizedWeights;
import sdclip.engine.Weights;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufWriter;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;

/**
 * One checkpoint's tensors as a GGUF file under their stored names, with no metadata (the layout
 * stable-diffusion.cpp's {@code convert} writes and sdclip reads back). What each tensor becomes,
 * as llama.cpp's converters decide it: 1-D tensors (norms, biases, the class embedding) stay F32 when
 * the target is a narrower float or a quantized type; matrices take the quantized type when their
 * rows are whole blocks, Q4_0 when Q4_K's 256 do not fit but 32 do (llama.cpp picks Q5_0 there,
 * which sdclip does not quantize to), and F16 otherwise (a patch embedding's 14-wide rows); integer tensors are
 * copied; a quantized GGUF input keeps its blocks unless a type is asked for.
 */
final class GgufConversion {
    private final TensorStore store;
    private final DType quantized;
    private final TensorType plain;
    private final GgufWriter writer = new GgufWriter();
    private final Map<String, Integer> counts = new TreeMap<>();
    private int written;

    /**
     * @param quantized the block format matrices take, or null
     * @param plain     the float type otherwise asked for ({@code keep} gives F32 here and means "as stored")
     */
    GgufConversion(TensorStore store, DType quantized, TensorType plain) {
        this.store = store;
        this.quantized = quantized;
        this.plain = plain;
    }

    GgufWriter writer() {
        return writer;
    }

    int written() {
        return written;
    }

    /** {@return the tensors per stored type, e.g. {@code F32 25, Q8_0 72}} */
    String summary() {
        StringBuilder sb = new StringBuilder();
        counts.forEach((t, n) ->
                sb.append(sb.isEmpty() ? "" : ", ").append(t).append(' ').append(n));
        return sb.toString();
    }

    /** Adds tensor {@code name}, converted as the class comment says; a type GGUF cannot hold is refused naming it. */
    void add(String name) throws IOException {
        TensorInfo info = store.info(name);
        long[] shape = info.shape();
        if (info.type().computeType() == null) {
            GgmlType t = integer(info.type());
            if (t == null)
                throw new IOException(store.path() + ": tensor " + name + " has dtype " + info.type()
                        + ", which GGUF cannot hold (no file was written)");
            MemorySegment bytes = store.bytes(name);
            put(name, t, shape, out -> SafetensorsWriter.writeSegment(out, bytes));
            return;
        }
        Weights w = store.weights(name);
        GgmlType to = target(w.dtype(), shape);
        if (to == GgmlType.of(w.dtype())) {
            put(name, to, shape, out -> SafetensorsWriter.writeSegment(out, w.segment()));
        } else if (to.quantized()) {
            put(name, to, shape, out -> {
                float[] chunk = new float[1 << 16]; // whole blocks of 32 and of 256
                for (long from = 0; from < w.size(); from += chunk.length) {
                    int count = (int) Math.min(chunk.length, w.size() - from);
                    float[] part = count == chunk.length ? chunk : new float[count];
                    w.copyTo(from, part, 0, count);
                    SafetensorsWriter.writeSegment(
                            out, QuantizedWeights.quantize(to.dtype(), part).segment());
                }
            });
        } else {
            put(name, to, shape, out -> ConvertCommand.writeConverted(w, to.plain(), out));
        }
    }

    private void put(String name, GgmlType type, long[] shape, SafetensorsWriter.TensorData data) {
        writer.tensor(name, type, shape, data);
        counts.merge(type.name(), 1, Integer::sum);
        written++;
    }

    private GgmlType target(DType stored, long[] shape) {
        boolean keep = plain == null;
        if (shape.length <= 1) {
            if (quantized != null || stored.quantized()) return GgmlType.F32;
            return keep ? GgmlType.of(stored) : GgmlType.of(plain.computeType());
        }
        long row = shape[shape.length - 1];
        if (quantized != null) {
            if (row % quantized.blockSize() == 0) return GgmlType.of(quantized);
            // llama.cpp falls back from a K-quant to a 32-block type (Q5_0 for Q4_K); sdclip quantizes Q4_0
            if (quantized == DType.Q4_K && row % 32 == 0) return GgmlType.Q4_0;
            return GgmlType.F16;
        }
        return keep ? GgmlType.of(stored) : GgmlType.of(plain.computeType());
    }

    private static GgmlType integer(TensorType t) {
        return switch (t) {
            case I8 -> GgmlType.I8;
            case I16 -> GgmlType.I16;
            case I32 -> GgmlType.I32;
            case I64 -> GgmlType.I64;
            case F64 -> GgmlType.F64;
            default -> null;
        };
    }
}
