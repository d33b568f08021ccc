package sdclip.model;

import sdclip.engine.SdclipException;

/**
 * A prompt or what it refers to cannot be encoded as written: a weight that is not a number,
 * a textual inversion embedding that is not one or does not fit the model.
 */
public final class PromptException extends SdclipException {
    private static final long serialVersionUID = 1L;

    /**
     * A prompt error.
     *
     * @param message what is wrong, naming the prompt position or the file
     */
    public PromptException(String message) {
        super(message);
    }

    /**
     * A prompt error with its cause.
     *
     * @param message what is wrong, naming the prompt position or the file
     * @param cause   the underlying error
     */
    public PromptException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * This error, said of prompt {@code index} of a run: which prompt, and how it begins.
     *
     * @param index the prompt's position, from 0
     * @param prompt the prompt
     * @return a new exception whose message names the prompt first
     */
    public PromptException inPrompt(int index, String prompt) {
        String start = prompt.length() > 40 ? prompt.substring(0, 40) + "..." : prompt;
        return new PromptException(
                "prompt " + (index + 1) + " (\"" + start.replace('\n', ' ') + "\"): " + getMessage(), this);
    }
}
