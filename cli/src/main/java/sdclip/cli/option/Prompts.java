package sdclip.cli.option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** Where prompts come from, the same in every command: the arguments, then {@code --prompts FILE} ({@link PromptsFile}). */
public final class Prompts {
    @Mixin
    PromptsFile file;

    @Parameters(paramLabel = "TEXT", description = "Prompts.", arity = "0..*")
    List<String> texts = new ArrayList<>();

    /** The {@code --prompts} file, or null. */
    public Path file() {
        return file.path();
    }

    /** The prompts, in order: arguments first, then the file's; none at all is a usage error. */
    public List<String> read() throws IOException {
        return file.read(texts);
    }
}
