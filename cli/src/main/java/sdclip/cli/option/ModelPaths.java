package sdclip.cli.option;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
                    "A ComfyUI or A1111 folder where bare model names (sd15, clip_l) are looked up, and so are --embeddings and LoRA names (--lora, <lora:NAME>) where a command takes them (default: $SDCLIP_MODELS). Model arguments also take a Hugging Face id org/name[@revision] from the local hub cache.")
    Path modelsDir;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Arguments that name nothing, by the path they became: the path's spelling may differ from the typed one. */
    private final Map<Path, String> missing = new HashMap<>();

    /**
     * The path {@code typed} means; null stays null. One that names nothing is returned as it is
     * (usage errors come first, and the library says it is missing when it opens it), and noted for
     * {@link #asTyped(CommandSpec, String)}.
     */
    public Path resolve(Path typed) {
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
        if (Files.notExists(found)) missing.put(found, text);
        return found;
    }

    /**
     * {@code message} with the path a missing model argument became ({@code nosuchfs:/x}, picocli's
     * Path folds "//") spelled as typed ({@code nosuchfs://x}) where it opens the message, as the
     * library's "PATH: no such file or folder" does.
     *
     * @param command the command that ran, whose ModelPaths mixin resolved its model arguments
     * @param message the error line
     * @return the line as it should be shown
     */
    public static String asTyped(CommandSpec command, String message) {
        for (CommandSpec mixin : command.mixins().values()) {
            if (!(mixin.userObject() instanceof ModelPaths paths)) continue;
            for (Map.Entry<Path, String> m : paths.missing.entrySet()) {
                String path = m.getKey().toString();
                if (message.startsWith(path + ": ")) return m.getValue() + message.substring(path.length());
            }
        }
        return message;
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
