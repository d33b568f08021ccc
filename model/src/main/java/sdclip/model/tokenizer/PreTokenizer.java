package sdclip.model.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference pattern, as a linear scan instead of a regex:
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
 * (case-insensitive, alternatives tried in that order at each position, whitespace skipped).
 */
final class PreTokenizer {
    private PreTokenizer() {}

    static final String START = "<|startoftext|>";
    static final String END = "<|endoftext|>";
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        int n = text.length(), i = 0;
        while (i < n) {
            int cp = text.codePointAt(i);
            int end;
            if (cp == '<' && (startsWithFolded(text, i, START) || startsWithFolded(text, i, END))) {
                end = i + (startsWithFolded(text, i, START) ? START.length() : END.length());
            } else if (cp == '\'' && (end = contractionEnd(text, i)) > 0) {
                // end set by contractionEnd
            } else if (Character.isLetter(cp)) {
                end = i;
                while (end < n && Character.isLetter(text.codePointAt(end)))
                    end += Character.charCount(text.codePointAt(end));
            } else if (isNumber(cp)) {
                end = i + Character.charCount(cp);
            } else if (isSpace(cp)) {
                i += Character.charCount(cp);
                continue;
            } else {
                end = i;
                while (end < n) {
                    int c = text.codePointAt(end);
                    if (isSpace(c) || Character.isLetter(c) || isNumber(c)) break;
                    end += Character.charCount(c);
                }
            }
            pieces.add(text.substring(i, end));
            i = end;
        }
        return pieces;
    }

    private static int contractionEnd(String text, int i) {
        for (String c : CONTRACTIONS) if (startsWithFolded(text, i, c)) return i + c.length();
        return -1;
    }

    /** Case-insensitive prefix test as the {@code regex} module's simple case folding does it for these ASCII literals. */
    private static boolean startsWithFolded(String text, int at, String literal) {
        if (at + literal.length() > text.length()) return false;
        for (int k = 0; k < literal.length(); k++) {
            char a = text.charAt(at + k), b = literal.charAt(k);
            if (a == b || Character.toLowerCase(a) == b) continue;
            if (b == 's' && a == '\u017F') continue; // LATIN SMALL LETTER LONG S folds to s
            if (b == 'k' && a == '\u212A') continue; // KELVIN SIGN folds to k
            return false;
        }
        return true;
    }

    static boolean isNumber(int cp) {
        int t = Character.getType(cp);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Unicode White_Space (the {@code regex} module's {@code \s}), plus Python's extra separators. */
    static boolean isSpace(int cp) {
        return TextCleaner.isPythonSpace(cp);
    }
}
