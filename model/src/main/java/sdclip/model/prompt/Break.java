package sdclip.model.prompt;

/** AUTOMATIC1111's {@code BREAK}: the current chunk ends here, even when it is empty. */
public record Break() implements PromptPart {
    /** The one value there is any need for. */
    public static final Break INSTANCE = new Break();
}
