package sdclip.cli.command;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import sdclip.cli.output.OutputFiles;
import sdclip.engine.DType;
import sdclip.engine.QuantizedWeights;
import sdclip.engine.Weights;
import sdclip.model.gguf.GgmlType;
import sdclip.model.gguf.GgufWriter;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;
import sdclip.model.synth.FormulaModel;

/**
 * One checkpoint's tensors as a GGUF file under their stored names, with no metadata (the layout
 * stable-diffusion.cpp's {@code convert} writes and sdclip reads back). What each tensor becomes,
 * as llama.cpp's converters decide it: 1-D tensors (norms, biases, the class embedding) stay F32 when
 * the target is a narrower float or a quantized type; matrices take the quantized type when their
 * rows are whole blocks, Q4_0 when Q4_K's 256 do not fit but 32 do (llama.cpp picks Q5_0 there,
 * which sdclip does not quantize to), and F16 otherwise (a patch embedding's 14-wide rows); integer tensors are
 * copied; a quantized GGUF input keeps its blocks unless a type is asked for. Tensors come from a
 * checkpoint ({@code convert}) or are computed a chunk at a time ({@code synth}'s formula model).
 */
final class GgufConversion {
    /** Values computed on demand: elements {@code [from, from + count)} into {@code dst} from {@code dstOff}. */
    @FunctionalInterface
    interface Values {
        void copyTo(long from, float[] dst, int dstOff, int count);
    }

    private final DType quantized;
    private final TensorType plain;
    private final GgufWriter writer = new GgufWriter();
    private final Map<String, Integer> counts = new TreeMap<>();
    private int written;

    /**
     * @param quantized the block format matrices take, or null
     * @param plain     the float type otherwise asked for ({@code keep} gives F32 here and means "as stored")
     */
    GgufConversion(DType quantized, TensorType plain) {
        this.quantized = quantized;
        this.plain = plain;
    }

    /**
     * The formula model (with {@code vision} the whole CLIP model) as {@code type}, computed
     * tensor by tensor while the file is written (never held whole): F32 and F16 are plain,
     * Q8_0, Q4_0 and Q4_K quantize, each converted as the F32 model would be by {@code convert}.
     */
    static GgufConversion formulaModel(DType type, boolean vision) {
        GgufConversion g = type.quantized()
                ? new GgufConversion(type, null)
                : new GgufConversion(null, type == DType.F16 ? TensorType.F16 : TensorType.F32);
        List<FormulaModel.Spec> specs = new ArrayList<>(FormulaModel.tensors());
        if (vision) specs.addAll(FormulaModel.visionTensors());
        for (FormulaModel.Spec spec : specs) {
            long seed = FormulaModel.fnv1a64(spec.name());
            g.add(spec.name(), spec.shape(), (from, dst, dstOff, count) -> {
                for (int i = 0; i < count; i++) dst[dstOff + i] = (float) spec.value(seed, from + i);
            });
        }
        return g;
    }

    GgufWriter writer() {
        return writer;
    }

    int written() {
        return written;
    }

    /**
     * Writes the file to {@code output} (space checked first, through a temporary, so never
     * partly) and reports it on {@code err} as {@code wrote OUT: N tensors (types), MB}.
     */
    void writeTo(Path output, PrintWriter err) throws IOException {
        OutputFiles.checkSpace(output, writer.dataBytes());
        OutputFiles.throughTemporary(output, writer::write);
        err.printf(
                Locale.ROOT,
                "wrote %s: %d tensors (%s), %.1f MB%n",
                output,
                written,
                summary(),
                writer.dataBytes() / 1e6);
    }

    /** {@return the tensors per stored type, e.g. {@code F32 25, Q8_0 72}} */
    String summary() {
        StringBuilder sb = new StringBuilder();
        counts.forEach((t, n) ->
                sb.append(sb.isEmpty() ? "" : ", ").append(t).append(' ').append(n));
        return sb.toString();
    }

    /**
     * Adds {@code store}'s tensor {@code name}, converted as the class comment says; a type GGUF
     * cannot hold is refused naming it.
     */
    void add(TensorStore store, String name) throws IOException {
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
        if (to == GgmlType.of(w.dtype())) put(name, to, shape, out -> SafetensorsWriter.writeSegment(out, w.segment()));
        else put(name, to, shape, converted(w.size(), w::copyTo, to));
    }

    /**
     * Adds a tensor whose F32 values are computed a chunk at a time, converted as a stored F32
     * tensor would be; nothing is held but one chunk.
     */
    void add(String name, long[] shape, Values values) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        put(name, target(DType.F32, shape), shape, converted(n, values, target(DType.F32, shape)));
    }

    /** Writes {@code n} values as {@code to}: quantized or narrowed 64 Ki values at a time. */
    private static SafetensorsWriter.TensorData converted(long n, Values values, GgmlType to) {
        if (!to.quantized()) return out -> ConvertCommand.writeConverted(n, values, to.plain(), out);
        return out -> {
            float[] chunk = new float[1 << 16]; // whole blocks of 32 and of 256
            for (long from = 0; from < n; from += chunk.length) {
                int count = (int) Math.min(chunk.length, n - from);
                float[] part = count == chunk.length ? chunk : new float[count];
                values.copyTo(from, part, 0, count);
                SafetensorsWriter.writeSegment(
                        out, QuantizedWeights.quantize(to.dtype(), part).segment());
            }
        };
    }

    private void put(String name, GgmlType type, long[] shape, SafetensorsWriter.TensorData data) {
        writer.tensor(name, type, shape, data);
        counts.merge(type.name(), 1, Integer::sum);
        written++;
    }

    private GgmlType target(DType stored, long[] shape) {
        boolean keep = plain == null;
        if (shape.length <= 1) // as stored under keep, else F32 (llama.cpp's converters keep norms and biases F32)
        return quantized == null && keep && !stored.quantized() ? GgmlType.of(stored) : GgmlType.F32;
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
