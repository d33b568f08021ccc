package sdclip.model.prompt;

/** One element of a parsed prompt: a {@link Fragment} of text with a weight, or a {@link Break}. */
public sealed interface PromptPart permits Fragment, Break {}
