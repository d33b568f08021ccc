package sdclip.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSyntax;

/**
 * How {@link TextEncoder#encode(List, EncodeRequest, PromptOptions, ProgressListener)} reads
 * prompts: their syntax, A1111's emphasis mode, and the textual inversion embeddings to
 * recognise, as paths read at encoding or as {@link EmbeddingFiles} already read (whose
 * {@link EmbeddingFiles#skipped()} the caller can report first).
 *
 * @param syntax {@link PromptSyntax#PLAIN} (exact CLIP, truncated to 77 tokens),
 *     {@link PromptSyntax#A1111} or {@link PromptSyntax#COMFY}
 * @param emphasis how A1111 weights are applied (ignored by the other syntaxes)
 * @param embeddings textual inversion files or folders ({@code .pt}, {@code .bin},
 *     {@code .safetensors}), read at encoding; they need the A1111 or ComfyUI syntax
 * @param embeddingFiles embeddings already read; {@link EmbeddingFiles#none()} when
 *     {@code embeddings} names paths
 */
public record PromptOptions(PromptSyntax syntax, Emphasis emphasis, List<Path> embeddings, EmbeddingFiles embeddingFiles) {
    /** Checks for nulls and copies the list; paths and embeddings already read do not mix. */
    public PromptOptions {
        Objects.requireNonNull(syntax, "syntax");
        Objects.requireNonNull(emphasis, "emphasis");
        Objects.requireNonNull(embeddingFiles, "embeddingFiles");
        embeddings = List.copyOf(embeddings);
        if (!embeddings.isEmpty() && !embeddingFiles.isEmpty()) throw new IllegalArgumentException("give embedding paths or embeddings already read, not both");
    }

    /**
     * Options whose embeddings are paths, read at encoding.
     *
     * @param syntax the prompt syntax
     * @param emphasis how A1111 weights are applied
     * @param embeddings textual inversion files or folders
     */
    public PromptOptions(PromptSyntax syntax, Emphasis emphasis, List<Path> embeddings) {
        this(syntax, emphasis, embeddings, EmbeddingFiles.none());
    }

    /** {@return plain CLIP tokenization, no embeddings: what {@link TextEncoder#encode(List)} does} */
    public static PromptOptions plain() { return new PromptOptions(PromptSyntax.PLAIN, Emphasis.ORIGINAL, List.of()); }

    /**
     * These options with another syntax.
     *
     * @param s the prompt syntax; not null
     * @return the new options
     */
    public PromptOptions withSyntax(PromptSyntax s) { return new PromptOptions(s, emphasis, embeddings, embeddingFiles); }

    /**
     * These options with another emphasis mode.
     *
     * @param e how A1111 weights are applied; not null
     * @return the new options
     */
    public PromptOptions withEmphasis(Emphasis e) { return new PromptOptions(syntax, e, embeddings, embeddingFiles); }

    /**
     * These options with other textual inversion embeddings, read at encoding.
     *
     * @param paths embedding files or folders; may be empty, not null
     * @return the new options
     */
    public PromptOptions withEmbeddings(List<Path> paths) { return new PromptOptions(syntax, emphasis, paths, EmbeddingFiles.none()); }

    /**
     * These options with textual inversion embeddings already read ({@link EmbeddingFiles#load}).
     *
     * @param files the embeddings; not null
     * @return the new options
     */
    public PromptOptions withEmbeddings(EmbeddingFiles files) { return new PromptOptions(syntax, emphasis, List.of(), files); }

    /** {@return whether any embeddings are given, as paths or already read} */
    public boolean hasEmbeddings() { return !embeddings.isEmpty() || !embeddingFiles.isEmpty(); }
}
