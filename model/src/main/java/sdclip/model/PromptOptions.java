package sdclip.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSchedule;
import sdclip.model.prompt.PromptSyntax;

/**
 * How a request's prompts are read ({@link EncodeRequest#prompts(PromptOptions)}): their syntax,
 * A1111's emphasis mode and sampling steps (for prompt editing, alternation and {@code AND}:
 * {@link sdclip.model.prompt.PromptSchedule}), and the textual inversion embeddings to
 * recognise, as paths read at encoding or as {@link EmbeddingFiles} already read (whose
 * {@link EmbeddingFiles#skipped()} the caller can report first), and the LoRAs merged into the
 * text encoder(s) ({@link #withLoras}; A1111's {@code <lora:...>} tags, found in
 * {@link #withLoraFolders}). Immutable; start from
 * {@link #plain()}.
 */
public final class PromptOptions {
    private final PromptSyntax syntax;
    private final Emphasis emphasis;
    private final List<Path> embeddings;
    private final EmbeddingFiles embeddingFiles;
    private final int steps;
    private final List<Lora> loras;
    private final List<Path> loraFolders;

    private PromptOptions(
            PromptSyntax syntax,
            Emphasis emphasis,
            List<Path> embeddings,
            EmbeddingFiles embeddingFiles,
            int steps,
            List<Lora> loras,
            List<Path> loraFolders) {
        this.loras = List.copyOf(loras);
        this.loraFolders = List.copyOf(loraFolders);
        if (steps < 1 || steps > PromptSchedule.MAX_STEPS)
            throw new IllegalArgumentException("steps " + steps + " is not in 1.." + PromptSchedule.MAX_STEPS);
        this.steps = steps;
        this.syntax = Objects.requireNonNull(syntax, "syntax");
        this.emphasis = Objects.requireNonNull(emphasis, "emphasis");
        this.embeddingFiles = Objects.requireNonNull(embeddingFiles, "embeddingFiles");
        this.embeddings = List.copyOf(embeddings);
        if (!this.embeddings.isEmpty() && !embeddingFiles.isEmpty())
            throw new IllegalArgumentException("give embedding paths or embeddings already read, not both");
    }

    /** {@return {@link PromptSyntax#PLAIN} (exact CLIP, cut to 77 tokens), {@link PromptSyntax#A1111} or {@link PromptSyntax#COMFY}} */
    public PromptSyntax syntax() {
        return syntax;
    }

    /** {@return how A1111 weights are applied (the other syntaxes ignore it)} */
    public Emphasis emphasis() {
        return emphasis;
    }

    /** {@return textual inversion files or folders read at encoding; unmodifiable} */
    public List<Path> embeddings() {
        return embeddings;
    }

    /** {@return embeddings already read; {@link EmbeddingFiles#none()} when {@link #embeddings()} names paths} */
    public EmbeddingFiles embeddingFiles() {
        return embeddingFiles;
    }

    /** {@return plain CLIP tokenization, no embeddings: what {@link EncodeRequest}s read by default} */
    public static PromptOptions plain() {
        return new PromptOptions(
                PromptSyntax.PLAIN,
                Emphasis.ORIGINAL,
                List.of(),
                EmbeddingFiles.none(),
                PromptSchedule.DEFAULT_STEPS,
                List.of(),
                List.of());
    }

    /**
     * These options with another syntax.
     *
     * @param s the prompt syntax; not null
     * @return the new options
     */
    public PromptOptions withSyntax(PromptSyntax s) {
        return new PromptOptions(s, emphasis, embeddings, embeddingFiles, steps, loras, loraFolders);
    }

    /**
     * These options with another emphasis mode.
     *
     * @param e how A1111 weights are applied; not null
     * @return the new options
     */
    public PromptOptions withEmphasis(Emphasis e) {
        return new PromptOptions(syntax, e, embeddings, embeddingFiles, steps, loras, loraFolders);
    }

    /**
     * These options with other textual inversion embeddings, read at encoding.
     *
     * @param paths embedding files or folders; may be empty, not null
     * @return the new options
     */
    public PromptOptions withEmbeddings(List<Path> paths) {
        return new PromptOptions(syntax, emphasis, paths, EmbeddingFiles.none(), steps, loras, loraFolders);
    }

    /**
     * These options with textual inversion embeddings already read ({@link EmbeddingFiles#load}).
     *
     * @param files the embeddings; not null
     * @return the new options
     */
    public PromptOptions withEmbeddings(EmbeddingFiles files) {
        return new PromptOptions(syntax, emphasis, List.of(), files, steps, loras, loraFolders);
    }

    /** {@return the sampling steps A1111's prompt editing and alternation are read for (default 20)} */
    public int steps() {
        return steps;
    }

    /**
     * These options with another number of sampling steps, for A1111's prompt editing and
     * alternation (the other syntaxes ignore it).
     *
     * @param n the steps, 1 to {@link PromptSchedule#MAX_STEPS}
     * @return the new options
     * @throws IllegalArgumentException for a count out of range
     */
    public PromptOptions withSteps(int n) {
        return new PromptOptions(syntax, emphasis, embeddings, embeddingFiles, n, loras, loraFolders);
    }

    /** {@return the LoRAs merged into the text encoder(s) for every prompt, in order; unmodifiable} */
    public List<Lora> loras() {
        return loras;
    }

    /**
     * These options with other LoRAs, merged into the text encoder(s) for every prompt, whatever
     * the syntax (as ComfyUI's {@code LoraLoader} with its {@code strength_clip}); with A1111's
     * syntax, the ones a prompt's {@code <lora:...>} tags name are added after them, for that
     * prompt. Stacked networks add.
     *
     * @param list the LoRAs, in order; may be empty, not null
     * @return the new options
     */
    public PromptOptions withLoras(List<Lora> list) {
        return new PromptOptions(syntax, emphasis, embeddings, embeddingFiles, steps, list, loraFolders);
    }

    /** {@return the folders A1111's {@code <lora:NAME>} tags are looked up in; unmodifiable} */
    public List<Path> loraFolders() {
        return loraFolders;
    }

    /**
     * These options with other folders for the names of A1111's {@code <lora:NAME>} and
     * {@code <lyco:NAME>} tags (by file name without extension, {@link Lora#find}). A tag whose
     * network is in none of them is skipped ({@link TextEncoder#notes} says so).
     *
     * @param folders the folders, searched in order; may be empty, not null
     * @return the new options
     */
    public PromptOptions withLoraFolders(List<Path> folders) {
        return new PromptOptions(syntax, emphasis, embeddings, embeddingFiles, steps, loras, folders);
    }

    /** {@return whether any embeddings are given, as paths or already read} */
    public boolean hasEmbeddings() {
        return !embeddings.isEmpty() || !embeddingFiles.isEmpty();
    }

    @Override
    public String toString() {
        return "PromptOptions[" + syntax + ", " + emphasis + ", " + steps + " steps, " + embeddings
                + (loras.isEmpty() ? "" : ", LoRAs " + loras) + "]";
    }
}
