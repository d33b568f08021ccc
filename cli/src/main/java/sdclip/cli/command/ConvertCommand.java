package sdclip.cli.command;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.engine.DType;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;

/**
 * {@code sdclip convert}: a checkpoint's state dict (or only its text encoders, under their
 * original names) as one safetensors file, where a GGUF file's quantized tensors come out F32,
 * dequantized exactly as ggml does; or as one GGUF file under the same names (stable-diffusion.cpp's
 * layout), optionally quantized ({@link GgufConversion}). Tensor by tensor from the mapped input, written to a
 * temporary file beside the target and renamed into place; {@code keep} copies bytes exactly.
 */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        description = "Write a checkpoint (.ckpt, .pt, .pth, .bin, .gguf or .safetensors) as a .safetensors file"
                + " (GGUF's quantized tensors are dequantized to F32) or as a .gguf file, optionally quantized.")
public final class ConvertCommand implements Callable<Integer> {
    enum Dtype {
        keep,
        f32,
        f16,
        bf16,
        q8_0,
        q4_0,
        q4_k;

        /** {@return the engine's block format, or null for a plain type} */
        DType quantized() {
            return switch (this) {
                case q8_0 -> DType.Q8_0;
                case q4_0 -> DType.Q4_0;
                case q4_k -> DType.Q4_K;
                default -> null;
            };
        }
    }

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            paramLabel = "IN",
            description =
                    "The checkpoint file to read: .safetensors, .ckpt, .pt, .pth, .bin or .gguf (a path, not an id or a name).")
    Path input;

    @Parameters(
            index = "1",
            paramLabel = "OUT",
            description = "The .safetensors or .gguf file to write (replaced if it exists; never the input).")
    Path output;

    @Option(
            names = "--text-encoders-only",
            description = "Write only the text encoders' tensors, under their original names.")
    boolean textEncodersOnly;

    @Option(
            names = {"--dtype", "--type"},
            defaultValue = "keep",
            description = "keep, f32, f16, bf16, or for a .gguf output q8_0, q4_0, q4_k (default: ${DEFAULT-VALUE});"
                    + " converts F32/F16/BF16 tensors, copies every other dtype as it is. In a .gguf output, 1-D tensors"
                    + " (norms, biases) stay F32 and matrices whose rows are not whole blocks become F16, as llama.cpp's"
                    + " converters do.")
    Dtype dtype;

    @Override
    public Integer call() throws Exception {
        OutputChecks.file(output, List.of(".safetensors", ".gguf"), OutputChecks.input("input file", input));
        boolean gguf = output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
        if (!gguf && dtype.quantized() != null)
            throw new UsageException(OptionChecks.asTyped(spec, "--dtype") + " writes GGUF: name the output .gguf");
        if (!Files.exists(input)) throw new IOException(input + ": no such file");
        if (Files.isDirectory(input)) throw new IOException(input + ": is a folder; convert reads one checkpoint file");
        Checkpoint checkpoint = textEncodersOnly ? Checkpoint.open(input, null) : null;
        TensorStore store = null;
        try {
            store = checkpoint != null ? checkpoint.store() : Checkpoint.openTensors(input);
            List<String> names =
                    checkpoint != null ? textEncoderNames(checkpoint, store) : new ArrayList<>(store.names());
            if (names.isEmpty())
                throw new IOException(input + ": holds no tensors; there is nothing to convert (no file was written)");
            if (gguf) {
                GgufConversion g = new GgufConversion(
                        dtype.quantized(),
                        dtype == Dtype.keep || dtype.quantized() != null ? null : target(TensorType.F32));
                for (String name : names) g.add(store, name);
                g.writeTo(output, spec.commandLine().getErr());
                return 0;
            }
            SafetensorsWriter w = new SafetensorsWriter();
            if (!store.metadata().containsKey("format")) w.metadata("format", "pt");
            store.metadata().forEach(w::metadata); // global_step, epoch and the like, as strings
            long bytes = 0;
            for (String name : names) bytes += add(w, store, name);
            OutputFiles.checkSpace(output, bytes);
            OutputFiles.throughTemporary(output, w::write);
            spec.commandLine()
                    .getErr()
                    .printf(Locale.ROOT, "wrote %s: %d tensors, %.1f MB%n", output, names.size(), bytes / 1e6);
        } finally {
            if (checkpoint != null) checkpoint.close();
            else if (store != null) store.close();
        }
        return 0;
    }

    /** Every tensor under a text encoder's prefix (position_ids included), and each tower's own tensors, in file order. */
    static List<String> textEncoderNames(Checkpoint c, TensorStore store) {
        Set<String> wanted = new HashSet<>();
        List<String> prefixes = new ArrayList<>();
        for (TextTower t : c.encoders()) {
            if (!t.prefix().isEmpty()) prefixes.add(t.prefix());
            for (TextTower.Tensor x : t.tensors().values()) wanted.add(x.source());
        }
        List<String> names = new ArrayList<>();
        for (String n : store.names()) {
            if (wanted.contains(n) || prefixes.stream().anyMatch(n::startsWith)) names.add(n);
        }
        return names;
    }

    /** Adds one tensor, converted when {@code --dtype} asks and it is F32, F16 or BF16; returns its output bytes. */
    private long add(SafetensorsWriter w, TensorStore store, String name) {
        TensorInfo info = store.info(name);
        TensorType from = info.type(), to = target(from);
        if (to == from) {
            MemorySegment bytes = store.bytes(name);
            w.addBytes(name, from, info.shape(), bytes);
            return bytes.byteSize();
        }
        Weights values = store.weights(name);
        w.add(name, to, info.shape(), out -> writeConverted(values, to, out));
        return values.size() * (to.bits() / 8);
    }

    TensorType target(TensorType from) {
        if (from.computeType() == null) return from; // I64, U8, F64...: copied as they are
        return switch (dtype) {
            case keep -> from;
            case f32 -> TensorType.F32;
            case f16 -> TensorType.F16;
            case bf16 -> TensorType.BF16;
            case q8_0, q4_0, q4_k -> throw new IllegalStateException("quantized types are for GGUF outputs");
        };
    }

    /** Widens to F32 a chunk at a time and narrows to {@code to}, rounding to nearest even. */
    static void writeConverted(Weights values, TensorType to, WritableByteChannel out) throws IOException {
        writeConverted(values.size(), values::copyTo, to, out);
    }

    /** As {@link #writeConverted(Weights, TensorType, WritableByteChannel)}, for {@code n} values however made. */
    static void writeConverted(long n, GgufConversion.Values values, TensorType to, WritableByteChannel out)
            throws IOException {
        float[] chunk = new float[1 << 16];
        ByteBuffer buf = ByteBuffer.allocate(chunk.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long from = 0; from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            values.copyTo(from, chunk, 0, count);
            buf.clear();
            for (int i = 0; i < count; i++) {
                switch (to) {
                    case F32 -> buf.putFloat(chunk[i]);
                    case F16 -> buf.putShort(Float.floatToFloat16(chunk[i]));
                    default -> buf.putShort(toBf16(chunk[i]));
                }
            }
            buf.flip();
            SafetensorsWriter.writeFully(out, buf);
        }
    }

    /** F32 to BF16, rounding to nearest even (as torch does); NaN stays a quiet NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
