package sdclip.cli.command;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.option.HeadsOption;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.output.JsonWriter;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.cli.output.TempFiles;
import sdclip.cli.output.WriteErrors;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorType;

/**
 * {@code sdclip extract}: one text encoder as a standalone Hugging Face folder (config.json and
 * model.safetensors in {@code text_model.*} naming), built in a temporary folder beside the
 * target and renamed into place, so an interrupted extract leaves nothing behind.
 */
@Command(
        name = "extract",
        mixinStandardHelpOptions = true,
        description = "Write a checkpoint's text encoder as a Hugging Face CLIPTextModel(WithProjection) folder.")
public final class ExtractCommand implements Callable<Integer> {
    enum Dtype {
        keep,
        f16,
        f32
    }

    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "CHECKPOINT",
            description = "The checkpoint: " + ModelPaths.FORMS + ".")
    Path model;

    @Option(names = "--encoder", paramLabel = "1|2", description = "Which text encoder (default: 1).")
    Integer encoder;

    @Mixin
    HeadsOption heads;

    @Option(names = "--dtype", defaultValue = "keep", description = "keep, f16 or f32 (default: ${DEFAULT-VALUE}).")
    Dtype dtype;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "The folder to create (must not exist).")
    Path output;

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        int number = encoder == null ? 1 : OptionChecks.encoder("--encoder", encoder);
        heads.checkValues();
        OutputChecks.newFolder(output);
        heads.checkCount(model);
        try (Checkpoint c = Checkpoint.open(model, heads.values())) {
            OptionChecks.encoderExists("--encoder", number, c);
            TextTower tower = c.encoder(number);
            TensorType type = switch (dtype) {
                case keep -> TensorType.valueOf(tower.dtype());
                case f16 -> TensorType.F16;
                case f32 -> TensorType.F32;
            };
            long bytes = 0;
            for (TextTower.Tensor t : tower.tensors().values()) bytes += t.elements() * (type.bits() / 8);
            OutputFiles.checkSpace(output, bytes);
            try {
                writeFolder(tower, type);
            } catch (IOException e) {
                throw WriteErrors.cannotWrite(output, e);
            }
        }
        spec.commandLine().getErr().println("wrote " + output);
        return 0;
    }

    /**
     * Builds the folder in a registered temporary one beside the output (deleted on failure, and
     * on SIGINT/SIGTERM by TempFiles' hook) and renames it into place.
     */
    private void writeFolder(TextTower tower, TensorType type) throws IOException {
        Path tmp = TempFiles.newFolder(output);
        boolean done = false;
        try {
            Files.writeString(tmp.resolve("config.json"), config(tower, type));
            SafetensorsWriter w =
                    new SafetensorsWriter().metadata("format", "pt").metadata("sdclip_source", sourceName(model));
            for (TextTower.Tensor t : tower.tensors().values())
                w.add(t.name(), type, t.shape(), out -> write(t, type, out));
            w.write(tmp.resolve("model.safetensors"));
            Files.move(tmp, output, StandardCopyOption.ATOMIC_MOVE);
            TempFiles.forget(tmp);
            done = true;
        } finally {
            if (!done) TempFiles.delete(tmp);
        }
    }

    /** The source's file or folder name: where it lived on this machine is no business of the folder's. */
    static String sourceName(Path model) {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name == null ? model.toString() : name.toString();
    }

    /** A Hugging Face CLIPTextConfig with the real special token ids. */
    static String config(TextTower tower, TensorType type) {
        ClipTextConfig k = tower.config();
        StringBuilder sb = new StringBuilder("{\n");
        sb.append("  \"architectures\": [\"")
                .append(k.hasProjection() ? "CLIPTextModelWithProjection" : "CLIPTextModel")
                .append("\"],\n");
        sb.append("  \"model_type\": \"clip_text_model\",\n");
        sb.append("  \"hidden_size\": ").append(k.width()).append(",\n");
        sb.append("  \"intermediate_size\": ").append(k.mlpWidth()).append(",\n");
        sb.append("  \"num_attention_heads\": ").append(k.heads()).append(",\n");
        sb.append("  \"num_hidden_layers\": ").append(k.layers()).append(",\n");
        sb.append("  \"max_position_embeddings\": ").append(k.contextLength()).append(",\n");
        sb.append("  \"vocab_size\": ").append(k.vocabSize()).append(",\n");
        sb.append("  \"hidden_act\": \"").append(k.activation().id()).append("\",\n");
        sb.append("  \"layer_norm_eps\": ")
                .append(JsonWriter.number(k.layerNormEps()))
                .append(",\n");
        if (k.hasProjection())
            sb.append("  \"projection_dim\": ").append(k.projectionDim()).append(",\n");
        sb.append("  \"bos_token_id\": 49406,\n  \"eos_token_id\": 49407,\n  \"pad_token_id\": ")
                .append(tower.padId())
                .append(",\n");
        sb.append("  \"torch_dtype\": \"")
                .append(type == TensorType.F32 ? "float32" : type == TensorType.F16 ? "float16" : "bfloat16")
                .append("\"\n}\n");
        return sb.toString();
    }

    /** Streams a canonical tensor in HF layout as {@code type}: raw bytes when nothing changes, else converted. */
    private static void write(TextTower.Tensor t, TensorType type, WritableByteChannel out) throws IOException {
        boolean raw = !t.transposed() && t.values().dtype().name().equals(type.name());
        if (raw) {
            SafetensorsWriter.writeFully(
                    out, t.values().segment().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
            return;
        }
        long n = t.elements();
        float[] chunk = new float[1 << 16];
        ByteBuffer buf = ByteBuffer.allocate(chunk.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long from = 0; from < n; from += chunk.length) {
            int count = (int) Math.min(chunk.length, n - from);
            t.copyTo(from, chunk, 0, count);
            buf.clear();
            for (int i = 0; i < count; i++) {
                switch (type) {
                    case F32 -> buf.putFloat(chunk[i]);
                    case F16 -> buf.putShort(Float.floatToFloat16(chunk[i]));
                    default -> buf.putShort((short) (Float.floatToRawIntBits(chunk[i]) >>> 16)); // BF16 source, exact
                }
            }
            buf.flip();
            SafetensorsWriter.writeFully(out, buf);
        }
    }
}
