package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.List;

/**
 * ComfyUI's weight syntax ({@code comfy/sd1_clip.py}: {@code escape_important},
 * {@code token_weights}, {@code parse_parentheses}, {@code unescape_important}), step for step:
 * <ul>
 * <li>only {@code \(} and {@code \)} escape; {@code [ ]}, {@code \\} and {@code BREAK} are plain
 *     text;
 * <li>a top-level group {@code (x)} multiplies the enclosing weight by 1.1; {@code (x:w)}, where
 *     the last colon is not the group's first character and what follows it is a Python float,
 *     replaces it by {@code w} ({@code ((a:1.5))} is 1.5, {@code ((a):1.5)} is 1.65);
 * <li>groups are found by counting parentheses character by character, as ComfyUI does: an
 *     unmatched {@code )} drives the count negative and the following text stays literal until a
 *     {@code (} brings it back; an unclosed {@code (} leaves its text literal, parenthesis included.
 * </ul>
 * Segments are returned in order, not merged (ComfyUI keeps them apart, which matters for
 * chunking), with the escapes resolved. Stateless.
 */
final class ComfyParser {
    private ComfyParser() {}

    private static final String ESCAPED_CLOSE = "\0\1", ESCAPED_OPEN = "\0\2";

    /**
     * Splits a prompt into weighted segments.
     *
     * @param prompt the prompt; may be empty
     * @return the segments in order, escapes resolved; unmodifiable
     */
    public static List<Fragment> parse(String prompt) {
        String escaped = prompt.replace("\\)", ESCAPED_CLOSE).replace("\\(", ESCAPED_OPEN);
        List<Fragment> out = new ArrayList<>();
        weights(escaped, 1.0, out);
        return List.copyOf(out);
    }

    private static void weights(String string, double current, List<Fragment> out) {
        for (String x : parentheses(string)) {
            if (x.length() >= 2 && x.charAt(x.length() - 1) == ')' && x.charAt(0) == '(') {
                String inner = x.substring(1, x.length() - 1);
                double weight = current * 1.1;
                int colon = inner.lastIndexOf(':');
                if (colon > 0) {
                    var parsed = PythonText.parseFloat(inner.substring(colon + 1));
                    if (parsed.isPresent()) {
                        weight = parsed.get();
                        inner = inner.substring(0, colon);
                    }
                }
                weights(inner, weight, out);
            } else {
                out.add(new Fragment(unescape(x), current));
            }
        }
    }

    /** {@code parse_parentheses}: top-level groups and the text between them. */
    private static List<String> parentheses(String string) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int nesting = 0;
        for (int i = 0; i < string.length(); i++) {
            char c = string.charAt(i);
            if (c == '(') {
                if (nesting == 0) {
                    if (!current.isEmpty()) result.add(current.toString());
                    current.setLength(0);
                    current.append('(');
                } else {
                    current.append(c);
                }
                nesting++;
            } else if (c == ')') {
                nesting--;
                if (nesting == 0) {
                    result.add(current.append(')').toString());
                    current.setLength(0);
                } else {
                    current.append(c);
                }
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) result.add(current.toString());
        return result;
    }

    private static String unescape(String text) {
        return text.replace(ESCAPED_CLOSE, ")").replace(ESCAPED_OPEN, "(");
    }
}
