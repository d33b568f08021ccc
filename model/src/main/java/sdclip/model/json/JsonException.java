package sdclip.model.json;

/** Malformed JSON; the message says what and where. */
public final class JsonException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public JsonException(String message) { super(message); }
}
