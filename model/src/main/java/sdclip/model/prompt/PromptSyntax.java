package sdclip.model.prompt;

import java.util.List;

/** Which prompt syntax a prompt is written in. */
public enum PromptSyntax {
    /** No syntax: the whole text is one fragment of weight 1 (A1111 with emphasis "None"). */
    PLAIN,
    /** AUTOMATIC1111: {@code (x)}, {@code [x]}, {@code (x:w)}, escapes, {@code BREAK}; see {@link A1111Parser}. */
    A1111,
    /** ComfyUI: {@code (x)}, {@code (x:w)}, escaped parentheses; see {@link ComfyParser}. */
    COMFY;

    /**
     * The prompt's parts under this syntax.
     *
     * @param prompt the prompt; may be empty
     * @return fragments (and, for A1111, breaks) in order
     * @throws IllegalArgumentException where an A1111 weight is not a number
     */
    public List<PromptPart> parse(String prompt) {
        return switch (this) {
            case PLAIN -> List.of(new Fragment(prompt, 1.0));
            case A1111 -> A1111Parser.parse(prompt);
            case COMFY -> List.copyOf(ComfyParser.parse(prompt));
        };
    }
}
