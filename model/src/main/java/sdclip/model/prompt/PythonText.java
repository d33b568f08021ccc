package sdclip.model.prompt;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Python's string semantics where the UIs' parsers depend on them: {@code str.isspace} (the
 * {@code \s} of a {@code str} regex), {@code \w}, {@code str.split()} and {@code float(str)}.
 */
final class PythonText {
    private PythonText() {}

    /** A regex class of the characters Python's {@code str.isspace} accepts (Unicode 15). */
    static final String SPACE_CLASS =
            "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
    /** A regex class approximating Python's {@code \w} for {@code str}: letters, numbers, underscore. */
    static final String WORD_CLASS = "[\\p{L}\\p{N}_]";

    private static final Pattern FLOAT =
            Pattern.compile("[+-]?(?:(?:\\d(?:_?\\d)*)?\\.\\d(?:_?\\d)*|\\d(?:_?\\d)*\\.?)(?:[eE][+-]?\\d(?:_?\\d)*)?");
    private static final Pattern SPECIAL = Pattern.compile("([+-]?)(inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    /** Python's {@code str.isspace} for one code point. */
    static boolean isSpace(int cp) {
        return switch (cp) {
            case '\t',
                    '\n',
                    0x0B,
                    '\f',
                    '\r',
                    0x1C,
                    0x1D,
                    0x1E,
                    0x1F,
                    ' ',
                    0x85,
                    0xA0,
                    0x1680,
                    0x2028,
                    0x2029,
                    0x202F,
                    0x205F,
                    0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Python's {@code s.strip()} with no argument. */
    static String strip(String s) {
        int a = 0, b = s.length();
        while (a < b && isSpace(s.charAt(a))) a++;
        while (b > a && isSpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    /** Python's {@code float(s)}, or empty where Python raises {@code ValueError}. */
    static Optional<Double> parseFloat(String s) {
        StringBuilder ascii = new StringBuilder();
        String t = strip(s);
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            if (Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER)
                ascii.append((char) ('0' + Character.digit(cp, 10)));
            else ascii.appendCodePoint(cp);
            i += Character.charCount(cp);
        }
        String a = ascii.toString();
        var special = SPECIAL.matcher(a);
        if (special.matches()) {
            boolean negative = special.group(1).equals("-");
            if (special.group(2).equalsIgnoreCase("nan")) return Optional.of(Double.NaN);
            return Optional.of(negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        }
        if (!FLOAT.matcher(a).matches()) return Optional.empty();
        return Optional.of(Double.parseDouble(a.replace("_", "")));
    }
}
