package sdclip.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSyntax;

/**
 * How {@link TextEncoder#encode(List, EncodeRequest, PromptOptions, ProgressListener)} reads
 * prompts: their syntax, A1111's emphasis mode, and the textual inversion embeddings to
 * recognise.
 *
 * @param syntax {@link PromptSyntax#PLAIN} (exact CLIP, truncated to 77 tokens),
 *     {@link PromptSyntax#A1111} or {@link PromptSyntax#COMFY}
 * @param emphasis how A1111 weights are applied (ignored by the other syntaxes)
 * @param embeddings textual inversion files or folders ({@code .pt}, {@code .bin},
 *     {@code .safetensors}); they need the A1111 or ComfyUI syntax
 */
public record PromptOptions(PromptSyntax syntax, Emphasis emphasis, List<Path> embeddings) {
    /** Checks for nulls and copies the list. */
    public PromptOptions {
        Objects.requireNonNull(syntax, "syntax");
        Objects.requireNonNull(emphasis, "emphasis");
        embeddings = List.copyOf(embeddings);
    }

    /** {@return plain CLIP tokenization, no embeddings: what {@link TextEncoder#encode(List)} does} */
    public static PromptOptions plain() { return new PromptOptions(PromptSyntax.PLAIN, Emphasis.ORIGINAL, List.of()); }

    /**
     * These options with another syntax.
     *
     * @param s the prompt syntax; not null
     * @return the new options
     */
    public PromptOptions withSyntax(PromptSyntax s) { return new PromptOptions(s, emphasis, embeddings); }

    /**
     * These options with another emphasis mode.
     *
     * @param e how A1111 weights are applied; not null
     * @return the new options
     */
    public PromptOptions withEmphasis(Emphasis e) { return new PromptOptions(syntax, e, embeddings); }

    /**
     * These options with other textual inversion embeddings.
     *
     * @param paths embedding files or folders; may be empty, not null
     * @return the new options
     */
    public PromptOptions withEmbeddings(List<Path> paths) { return new PromptOptions(syntax, emphasis, paths); }
}
