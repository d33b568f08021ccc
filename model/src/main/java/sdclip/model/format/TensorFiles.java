package sdclip.model.format;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import sdclip.model.gguf.GgufFile;
import sdclip.model.pickle.TorchCheckpoint;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.ShardedSafetensors;
import sdclip.model.safetensors.TensorStore;

/**
 * The one place that tells a tensor file's format and opens it as a {@link TensorStore}: a
 * {@code *.safetensors.index.json} by its name, a PyTorch checkpoint (zip archive or legacy
 * pickle) or a GGUF file by its first bytes whatever its name, anything else as safetensors. A new format is
 * one more {@link Format} and one more case in {@link #sniff}.
 */
public final class TensorFiles {

    private TensorFiles() {}

    /** The formats sdclip reads tensors from. */
    public enum Format {
        /** A {@code *.safetensors.index.json} naming the shard of every tensor. */
        SAFETENSORS_INDEX,
        /** A {@code torch.save} file, zip or legacy, read by a pickle reader that never executes anything. */
        TORCH,
        /** A GGUF file (v2 or v3, little-endian): llama.cpp's and stable-diffusion.cpp's format, quantized or not. */
        GGUF,
        /** One {@code .safetensors} file. */
        SAFETENSORS;

        /**
         * Opens {@code file} as this format.
         *
         * @param file the file
         * @return its tensors; the caller closes the store
         * @throws IOException when the file is missing, unreadable or malformed for this format
         */
        public TensorStore open(Path file) throws IOException {
            return switch (this) {
                case SAFETENSORS_INDEX -> ShardedSafetensors.open(file);
                case TORCH -> TorchCheckpoint.open(file);
                case GGUF -> GgufFile.open(file);
                case SAFETENSORS -> SafetensorsFile.open(file);
            };
        }
    }

    /**
     * The format of {@code file}: an index by its name, torch or GGUF by its first bytes, else safetensors.
     *
     * @param file the file
     * @return its format; never null (what is not recognised is tried as safetensors)
     */
    public static Format sniff(Path file) {
        if (file.getFileName().toString().endsWith(".index.json")) return Format.SAFETENSORS_INDEX;
        // By the first bytes, not the name: renamed files are common (a .ckpt saved as .safetensors and back).
        if (TorchCheckpoint.startsLikeTorch(file)) return Format.TORCH;
        if (GgufFile.startsLikeGguf(file)) return Format.GGUF;
        return Format.SAFETENSORS;
    }

    /**
     * Opens one file's tensors in the format {@link #sniff} tells. A file not named
     * {@code .safetensors} that is neither torch nor safetensors is refused with one line saying so.
     *
     * @param file the file
     * @return its tensors; the caller closes the store
     * @throws IOException          when the file is missing or unreadable
     * @throws SafetensorsException when a safetensors file or index is malformed, or a file of another name is
     *                              neither format; the message names the file
     */
    public static TensorStore open(Path file) throws IOException {
        Format format = sniff(file);
        // A file named .safetensors keeps the reader's own detail; any other name (a .pt, or a
        // picture given by mistake) that is not safetensors either is said to be neither.
        if (format != Format.SAFETENSORS || isNamedSafetensors(file)) return format.open(file);
        try {
            return format.open(file);
        } catch (SafetensorsException e) {
            throw new SafetensorsException(
                    file,
                    "is neither a PyTorch checkpoint (zip archive or legacy pickle) nor a safetensors or GGUF file");
        }
    }

    private static boolean isNamedSafetensors(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".safetensors");
    }
}
