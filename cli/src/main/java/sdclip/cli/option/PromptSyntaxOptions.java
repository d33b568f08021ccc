package sdclip.cli.option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;
import sdclip.cli.UsageException;
import sdclip.model.PromptException;
import sdclip.model.PromptOptions;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSchedule;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.prompt.ScheduledPrompts;

/** {@code --syntax}, {@code --emphasis} and {@code --embeddings}: how prompts are read, shared by the commands that take prompts. */
public final class PromptSyntaxOptions {
    @Option(
            names = "--syntax",
            defaultValue = "plain",
            paramLabel = "plain|a1111|comfy",
            converter = SyntaxConverter.class,
            description =
                    "Prompt syntax: plain (exact CLIP, truncated to 77 tokens), a1111 (AUTOMATIC1111: (x), [x], (x:w), BREAK, 75-token chunks) or comfy (ComfyUI: (x), (x:w), embedding:NAME) (default: ${DEFAULT-VALUE}).")
    PromptSyntax syntax;

    @Option(
            names = "--emphasis",
            paramLabel = "original|no-norm",
            converter = EmphasisConverter.class,
            description =
                    "A1111 weighting: original (weight each token's rows, then restore the chunk's mean) or no-norm (weight only) (default: original).")
    Emphasis emphasis;

    @Option(
            names = "--embeddings",
            paramLabel = "DIR|FILE|NAME",
            description =
                    "Textual inversion embeddings (.pt, .bin, .safetensors, or a folder of them), or a name in the embeddings folders of --models-dir; the trigger is the file name without extension. A folder's files that are not embeddings are skipped with a warning. Repeatable; needs --syntax a1111 or comfy.")
    List<Path> embeddings = new ArrayList<>();

    @Option(
            names = "--steps",
            paramLabel = "N",
            description =
                    "With --syntax a1111: the sampling steps that prompt editing [from:to:when] and alternation [a|b] are read for (default: 20, as in A1111).")
    Integer steps;

    /** Read once per run, so a command that encodes twice warns once. */
    private EmbeddingFiles loaded;

    /** {@return the {@code --embeddings} as given: files, folders, or names (which are no paths)} */
    public List<Path> embeddingPaths() {
        return embeddings;
    }

    /** Refuses {@code --embeddings} without a syntax, {@code --emphasis} and {@code --steps} without A1111's, and steps out of range: usage errors, before any work. */
    public void check() {
        if (syntax == PromptSyntax.PLAIN && !embeddings.isEmpty())
            throw new UsageException("--embeddings needs --syntax a1111 or comfy");
        if (syntax != PromptSyntax.A1111 && emphasis != null)
            throw new UsageException("--emphasis is A1111's weighting: give it with --syntax a1111");
        if (steps != null && syntax != PromptSyntax.A1111)
            throw new UsageException("--steps is for A1111's prompt editing: give it with --syntax a1111");
        if (steps != null && (steps < 1 || steps > PromptSchedule.MAX_STEPS))
            throw new UsageException("--steps must be 1 to " + PromptSchedule.MAX_STEPS + ", not " + steps);
    }

    /**
     * Refuses, naming it, an A1111 prompt with prompt editing, alternation or {@code AND}: a command
     * that compares one embedding per prompt has no single text to encode for it.
     *
     * @param texts the prompts
     * @param command the command, for the message
     */
    public void requireOneTextEach(List<String> texts, String command) {
        if (syntax != PromptSyntax.A1111) return;
        List<PromptSchedule> schedules = ScheduledPrompts.of(texts, steps()).schedules();
        for (int i = 0; i < schedules.size(); i++) {
            if (!schedules.get(i).isSingle())
                throw new PromptException(
                                command
                                        + " compares one embedding per prompt, and this prompt has prompt editing, alternation or AND (encode writes its schedule)")
                        .inPrompt(i, texts.get(i));
        }
    }

    /** {@return whether {@code --steps} was given} */
    public boolean stepsGiven() {
        return steps != null;
    }

    /** {@return {@code --steps}, or A1111's default of 20} */
    public int steps() {
        return steps != null ? steps : PromptSchedule.DEFAULT_STEPS;
    }

    /** The library's options, with the embeddings read ({@link #embeddings}). */
    public PromptOptions options(ModelPaths paths, PrintWriter err) throws IOException {
        check();
        return PromptOptions.plain()
                .withSyntax(syntax)
                .withEmphasis(emphasis != null ? emphasis : Emphasis.ORIGINAL)
                .withSteps(steps())
                .withEmbeddings(embeddings(paths, err));
    }

    /**
     * The embeddings, read on first call: names looked up in the models folders, then one
     * warning line on {@code err} for each file a folder held that is not an embedding.
     */
    public EmbeddingFiles embeddings(ModelPaths paths, PrintWriter err) throws IOException {
        if (loaded != null) return loaded;
        List<Path> resolved = new ArrayList<>();
        for (Path p : embeddings) resolved.add(paths.resolveEmbedding(p));
        loaded = EmbeddingFiles.load(resolved);
        for (EmbeddingFiles.Skipped s : loaded.skipped())
            err.println("sdclip: skipped " + s.file() + ": " + s.reason());
        return loaded;
    }

    public PromptSyntax syntax() {
        return syntax;
    }

    public boolean plain() {
        return syntax == PromptSyntax.PLAIN;
    }

    /** The syntax as the command line spells it. */
    public String name() {
        return syntax.name().toLowerCase(Locale.ROOT);
    }

    static final class SyntaxConverter implements ITypeConverter<PromptSyntax> {
        @Override
        public PromptSyntax convert(String value) {
            return switch (value) {
                case "plain" -> PromptSyntax.PLAIN;
                case "a1111" -> PromptSyntax.A1111;
                case "comfy" -> PromptSyntax.COMFY;
                default -> throw new TypeConversionException("'" + value + "' is not plain, a1111 or comfy");
            };
        }
    }

    static final class EmphasisConverter implements ITypeConverter<Emphasis> {
        @Override
        public Emphasis convert(String value) {
            return switch (value) {
                case "original" -> Emphasis.ORIGINAL;
                case "no-norm" -> Emphasis.NO_NORM;
                default -> throw new TypeConversionException("'" + value + "' is not original or no-norm");
            };
        }
    }
}
