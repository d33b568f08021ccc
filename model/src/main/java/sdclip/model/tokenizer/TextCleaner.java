package sdclip.model.tokenizer;

import java.util.Locale;

/**
 * The text the reference tokenizer's regex runs on: {@code ftfy.fix_text}, Python's
 * {@code html.unescape} twice, whitespace runs collapsed to one space, stripped, lower-cased.
 */
final class TextCleaner {
    private TextCleaner() {}

    /**
     * Cleans text as the reference does before tokenizing.
     *
     * @param text any text
     * @return the fixed, unescaped, whitespace-collapsed, stripped, lower-cased text (empty when only whitespace)
     */
    public static String clean(String text) {
        String s = Ftfy.fixText(text);
        s = HtmlUnescape.unescape(HtmlUnescape.unescape(s));
        s = collapseWhitespace(s);
        return s.toLowerCase(Locale.ROOT);
    }

    /** Python's {@code re.sub(r'\s+', ' ', s).strip()} for str patterns. */
    static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean pendingSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isPythonSpace(c)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) out.append(' ');
                pendingSpace = false;
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Python's {@code str.isspace()} (what {@code \s} means in {@code re} str patterns). */
    static boolean isPythonSpace(int c) {
        return (c >= 0x09 && c <= 0x0D)
                || (c >= 0x1C && c <= 0x20)
                || c == 0x85
                || c == 0xA0
                || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028
                || c == 0x2029
                || c == 0x202F
                || c == 0x205F
                || c == 0x3000;
    }
}
