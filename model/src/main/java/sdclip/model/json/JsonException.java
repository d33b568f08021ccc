package sdclip.model.json;

import sdclip.engine.SdclipException;

/** Malformed JSON; the message says what and where. */
public final class JsonException extends SdclipException {
    private static final long serialVersionUID = 1L;

    /**
     * A JSON error.
     *
     * @param message what is wrong and, from the parser, at which character offset
     */
    public JsonException(String message) {
        super(message);
    }
}
