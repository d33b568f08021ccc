package sdclip.model.json;

/** Malformed JSON; the message says what and where. */
public final class JsonException extends IllegalArgumentException {
    public JsonException(String message) { super(message); }
}
