package sdclip.cli.option;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.Environment;
import sdclip.model.hub.ModelLocator;
import sdclip.model.hub.RepoId;

/**
 * Resolves what was typed for a model ({@code --model}, {@code --projection}, ...) into a path:
 * an existing path, a Hugging Face id in the local hub cache, or a name in the models folders;
 * and an {@code --embeddings} name, in the models folders' embeddings folders.
 */
public final class ModelPaths {
    /** The forms every model argument takes, for the options' help. */
    public static final String FORMS =
            "a .safetensors file, an index.json, a .ckpt/.pt/.pth/.bin file, a .gguf file, a diffusers or Hugging Face folder, "
                    + "a Hugging Face id org/name[@revision] from the hub cache, or a model name (see --models-dir)";

    @Option(
            names = "--models-dir",
            paramLabel = "DIR",
            description =
                    "A ComfyUI or A1111 folder where bare model names (sd15, clip_l), --embeddings names and LoRA names (--lora, <lora:NAME>) are looked up (default: $SDCLIP_MODELS). Model arguments also take a Hugging Face id org/name[@revision] from the local hub cache.")
    Path modelsDir;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /**
     * The path {@code typed} means; null stays null. Nothing there is an error that quotes the
     * argument as typed ({@code nosuchfs://x}, which the path it became spells {@code nosuchfs:/x}).
     */
    public Path resolve(Path typed) throws IOException {
        if (typed == null) return null;
        String text = asTyped(typed);
        Path found;
        try {
            found = new ModelLocator(Environment.get(), modelsDir).locate(text);
        } catch (IllegalArgumentException e) {
            String slashed = text.replace(File.separatorChar, '/');
            if (!RepoId.looksLikeId(slashed) || e.getMessage().contains(" is ambiguous")) throw e;
            RepoId id = RepoId.parse(slashed);
            String pull = "sdclip pull " + id.repo()
                    + (id.revision().equals(RepoId.DEFAULT_REVISION) ? "" : " --revision " + id.revision());
            throw new IllegalArgumentException(e.getMessage() + "; '" + pull + "' downloads it", e);
        }
        if (Files.notExists(found)) throw new IOException(text + ": no such file or folder");
        return found;
    }

    /** The argument that became {@code value}, as typed: a Path folds "//" and drops a trailing "/". */
    private String asTyped(Path value) {
        for (ArgSpec a : command.commandLine().getParseResult().matchedArgs())
            if (a.getValue() == value && a.originalStringValues().size() == 1)
                return a.originalStringValues().getFirst();
        return value.toString();
    }

    /** The LoRA folders of the models folders ({@code models/Lora}, {@code models/LyCORIS}, {@code models/loras}) that exist. */
    List<Path> loraFolders() {
        return new ModelLocator(Environment.get(), modelsDir).loraFolders();
    }

    /** The path an {@code --embeddings} argument means: an existing path, or a name in the models folders' embeddings folders. */
    Path resolveEmbedding(Path typed) {
        return new ModelLocator(Environment.get(), modelsDir).locateEmbedding(typed.toString());
    }
}
