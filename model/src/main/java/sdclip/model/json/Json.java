package sdclip.model.json;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON parser (RFC 8259) for safetensors headers, tokenizer and config files.
 * Objects become {@code LinkedHashMap<String, Object>} (duplicate keys are an error), arrays
 * {@code List<Object>} (unmodifiable), numbers {@code Long} when integral and in range, else {@code Double};
 * strings and booleans as themselves, and {@code null} as {@link #NULL} (never Java null, so a map can tell a
 * {@code null} value from a missing key).
 * Nesting is limited (default 64 levels), so hostile input fails with a message instead of a
 * stack overflow; no trailing content is allowed.
 */
public final class Json {
    /** The JSON {@code null}. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final String text;
    private final int maxDepth;
    private int pos;

    private Json(String text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    /**
     * Parses one JSON value, nested at most 64 levels.
     *
     * @param text the whole JSON text; only whitespace may follow the value
     * @return the value, typed as the class comment says
     * @throws JsonException when the text is not valid JSON, with what and the character offset
     */
    public static Object parse(String text) {
        return parse(text, 64);
    }

    /**
     * Parses one JSON value with a nesting limit.
     *
     * @param text     the whole JSON text; only whitespace may follow the value
     * @param maxDepth the most objects and arrays nested in each other (1: no container inside another)
     * @return the value, typed as the class comment says
     * @throws JsonException when the text is not valid JSON or nests deeper, with what and the character offset
     */
    public static Object parse(String text, int maxDepth) {
        Json p = new Json(text, maxDepth);
        p.skipSpace();
        Object value = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("unexpected content after the JSON value");
        return value;
    }

    /**
     * Parses text that must be a JSON object.
     *
     * @param text the whole JSON text
     * @return its members by key, in the order of the text
     * @throws JsonException when the text is not valid JSON or holds another kind of value
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new JsonException("expected a JSON object, found " + describe(v));
        return (Map<String, Object>) v;
    }

    /**
     * A short name of a parsed value's JSON type, for messages.
     *
     * @param v a value {@link #parse} returned (or anything else, named {@code "null"})
     * @return {@code "an object"}, {@code "an array"}, {@code "a string"}, {@code "a number"}, {@code "a boolean"}
     *         or {@code "null"}
     */
    public static String describe(Object v) {
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Number) return "a number";
        if (v instanceof Boolean) return "a boolean";
        return "null";
    }

    private Object value(int depth) {
        if (pos >= text.length()) throw error("unexpected end of JSON");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("unexpected character '" + printable(c) + "'");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        if (depth > maxDepth) throw error("JSON nested deeper than " + maxDepth + " levels");
        pos++;
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipSpace();
            if (peek() != '"') throw error("expected a string key");
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            Object v = value(depth);
            if (map.putIfAbsent(key, v) != null) throw error("duplicate key \"" + key + "\"");
            skipSpace();
            char c = next();
            if (c == '}') return map;
            if (c != ',') throw error("expected ',' or '}' in object");
        }
    }

    private List<Object> array(int depth) {
        if (depth > maxDepth) throw error("JSON nested deeper than " + maxDepth + " levels");
        pos++;
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipSpace();
            list.add(value(depth));
            skipSpace();
            char c = next();
            if (c == ']') return Collections.unmodifiableList(list);
            if (c != ',') throw error("expected ',' or ']' in array");
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= text.length()) throw error("unterminated string");
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null
                        ? text.substring(start, pos)
                        : sb.append(text, start, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) throw error("control character in string");
            if (c == '\\') {
                if (sb == null) sb = new StringBuilder();
                sb.append(text, start, pos);
                pos++;
                char e = next();
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > text.length()) throw error("truncated \\u escape");
                        int cp = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(text.charAt(pos + i), 16);
                            if (d < 0) throw error("bad \\u escape");
                            cp = cp * 16 + d;
                        }
                        pos += 4;
                        sb.append((char) cp);
                    }
                    default -> throw error("bad escape '\\" + printable(e) + "'");
                }
                start = pos;
            } else {
                pos++;
            }
        }
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') pos++;
        else if (isDigit(peek())) while (isDigit(peek())) pos++;
        else throw error("bad number");
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) throw error("bad number");
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("bad number");
            while (isDigit(peek())) pos++;
        }
        String s = text.substring(start, pos);
        if (integral && s.length() <= 19) {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException ignored) {
                // beyond long: fall through to double
            }
        }
        return Double.parseDouble(s);
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) throw error("unexpected token");
        pos += word.length();
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) throw error("unexpected end of JSON");
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) throw error("expected '" + c + "'");
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }

    private JsonException error(String message) {
        return new JsonException(message + " at offset " + pos);
    }

    /**
     * Quotes a string as a JSON string literal, escaping quotes, backslashes, control characters, U+2028/U+2029 and
     * lone surrogates, so the result is valid JSON and valid JavaScript.
     *
     * @param s the text
     * @return {@code s} in double quotes
     */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c) && !validSurrogateAt(s, i)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static boolean validSurrogateAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
