package sdclip.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Map;

/**
 * What {@code ftfy.fix_text} (6.3.1, default settings) does to prompts: per line, and repeated
 * until nothing changes, HTML entity decoding (off for good once a {@code <} is seen), mojibake
 * repair, C1 controls read as Windows-1252, Latin ligatures, width folding, curly quotes, line
 * breaks, lone surrogates, terminal escapes, control characters, then NFC. Mojibake repair
 * covers the common case (UTF-8 read as Latin-1 or Windows-1252, repeatedly), not ftfy's full
 * badness heuristics.
 */
final class Ftfy {
    private Ftfy() {}

    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        while (pos < text.length()) {
            int brk = text.indexOf('\n', pos);
            int end = brk < 0 ? text.length() : brk + 1;
            String segment = text.substring(pos, end);
            if (unescapeHtml && segment.indexOf('<') >= 0) unescapeHtml = false;
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    private static String fixSegment(String text, boolean unescapeHtml) {
        // Each pass can expose work for another (an entity revealing mojibake, say); the
        // input shrinks or stays put every pass, and 16 passes is far beyond any real case.
        for (int pass = 0; pass < 16; pass++) {
            String before = text;
            if (unescapeHtml) text = unescapeHtml(text);
            text = fixEncoding(text);
            text = fixC1Controls(text);
            text = fixLatinLigatures(text);
            text = fixCharacterWidth(text);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = removeTerminalEscapes(text);
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(before)) break;
        }
        return text;
    }

    /** ftfy's {@code &#?[0-9A-Za-z]{1,24};} references: named (and upper-cased) ones, numeric ones only when wholly consumed. */
    static String unescapeHtml(String s) {
        if (s.indexOf('&') < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        int copied = 0, n = s.length();
        for (int i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
            int j = i + 1;
            boolean numeric = j < n && s.charAt(j) == '#';
            if (numeric) j++;
            int k = j;
            while (k < n && k - j < 24 && isAsciiAlnum(s.charAt(k))) k++;
            if (k == j || k >= n || s.charAt(k) != ';') continue;
            String ref = s.substring(i, k + 1), value;
            if (numeric) {
                value = HtmlUnescape.unescape(ref);
                if (value.indexOf(';') >= 0) continue;
            } else {
                value = HtmlUnescape.ftfyEntity(s.substring(j, k));
                if (value == null) continue;
            }
            out.append(s, copied, i).append(value);
            copied = k + 1;
            i = k;
        }
        return copied == 0 ? s : out.append(s, copied, n).toString();
    }

    private static boolean isAsciiAlnum(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** UTF-8 that was decoded as Latin-1 or Windows-1252, undone as long as that keeps working. */
    static String fixEncoding(String text) {
        for (int round = 0; round < 8; round++) {
            if (!looksLikeMojibake(text)) return text;
            byte[] bytes = Sloppy1252.encode(text);
            if (bytes == null) return text;
            String fixed = strictUtf8(bytes);
            if (fixed == null || fixed.equals(text)) return text;
            text = fixed;
        }
        return text;
    }

    /** A UTF-8 lead byte's character followed by a continuation byte's, as Windows-1252 shows them. */
    private static boolean looksLikeMojibake(String s) {
        for (int i = 0; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '\u00C2' && c <= '\u00F4') {
                int b = Sloppy1252.byteOf(s.charAt(i + 1));
                if (b >= 0x80 && b <= 0xBF) return true;
            }
        }
        return false;
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static String fixC1Controls(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (out == null) out = new StringBuilder(s.length()).append(s, 0, i);
                out.append(HtmlUnescape.windows1252(c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    private static final Map<Character, String> LIGATURES = Map.ofEntries(
            Map.entry('\u0132', "IJ"),
            Map.entry('\u0133', "ij"),
            Map.entry('\u0149', "\u02BCn"),
            Map.entry('\u01F1', "DZ"),
            Map.entry('\u01F2', "Dz"),
            Map.entry('\u01F3', "dz"),
            Map.entry('\u01C4', "D\u017D"),
            Map.entry('\u01C5', "D\u017E"),
            Map.entry('\u01C6', "d\u017E"),
            Map.entry('\u01C7', "LJ"),
            Map.entry('\u01C8', "Lj"),
            Map.entry('\u01C9', "lj"),
            Map.entry('\u01CA', "NJ"),
            Map.entry('\u01CB', "Nj"),
            Map.entry('\u01CC', "nj"),
            Map.entry('\uFB00', "ff"),
            Map.entry('\uFB01', "fi"),
            Map.entry('\uFB02', "fl"),
            Map.entry('\uFB03', "ffi"),
            Map.entry('\uFB04', "ffl"),
            Map.entry('\uFB05', "\u017Ft"),
            Map.entry('\uFB06', "st"));

    static String fixLatinLigatures(String s) {
        return translate(s, c -> LIGATURES.get(c));
    }

    /** Fullwidth and halfwidth forms (U+FF01..U+FFEF) to their NFKC forms; U+3000 to a space. */
    static String fixCharacterWidth(String s) {
        return translate(s, c -> {
            if (c == '\u3000') return " ";
            if (c >= '\uFF01' && c <= '\uFFEF') {
                String alt = Normalizer.normalize(String.valueOf(c), Normalizer.Form.NFKC);
                return alt.equals(String.valueOf(c)) ? null : alt;
            }
            return null;
        });
    }

    static String uncurlQuotes(String s) {
        return translate(
                s,
                c -> (c == '\u02BC' || (c >= '\u2018' && c <= '\u201B'))
                        ? "'"
                        : (c >= '\u201C' && c <= '\u201F') ? "\"" : null);
    }

    static String fixLineBreaks(String s) {
        return s.replace("\r\n", "\n")
                .replace('\r', '\n')
                .replace('\u2028', '\n')
                .replace('\u2029', '\n')
                .replace('\u0085', '\n');
    }

    /** Lone surrogates become U+FFFD (Java strings already pair the valid ones). */
    static String fixSurrogates(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean lone = Character.isHighSurrogate(c)
                    ? !(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                    : Character.isLowSurrogate(c) && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
            if (lone && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
            if (out != null) out.append(lone ? '\uFFFD' : c);
        }
        return out == null ? s : out.toString();
    }

    /** ANSI sequences {@code ESC [ (digits|;)* letter}. */
    static String removeTerminalEscapes(String s) {
        int esc = s.indexOf('\u001B');
        if (esc < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        int copied = 0;
        for (int i = esc; i >= 0; i = s.indexOf('\u001B', i + 1)) {
            int k = i + 1;
            if (k >= s.length() || s.charAt(k) != '[') continue;
            k++;
            while (k < s.length() && (Character.isDigit(s.charAt(k)) || s.charAt(k) == ';')) k++;
            if (k < s.length() && ((s.charAt(k) | 0x20) >= 'a' && (s.charAt(k) | 0x20) <= 'z')) {
                out.append(s, copied, i);
                copied = k + 1;
                i = k;
            }
        }
        return out.append(s, copied, s.length()).toString();
    }

    /** Removes C0 controls but tab, newline, form feed and CR; DEL; U+206A..U+206F; BOM; U+FFF9..U+FFFC. */
    static String removeControlChars(String s) {
        return translate(
                s,
                c -> (c <= 0x08
                                || c == 0x0B
                                || (c >= 0x0E && c <= 0x1F)
                                || c == 0x7F
                                || (c >= '\u206A' && c <= '\u206F')
                                || c == '\uFEFF'
                                || (c >= '\uFFF9' && c <= '\uFFFC'))
                        ? ""
                        : null);
    }

    private interface CharMap {
        String map(char c);
    }

    private static String translate(String s, CharMap map) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String r = map.map(c);
            if (r != null && out == null) out = new StringBuilder(s.length()).append(s, 0, i);
            if (out != null) {
                if (r != null) out.append(r);
                else out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** ftfy's "sloppy" Windows-1252: the five undefined bytes map to the C1 characters of the same value. */
    static final class Sloppy1252 {
        private static final int[] BYTE_OF = new int[0x10000];

        static {
            Arrays.fill(BYTE_OF, -1);
            for (int b = 0; b < 256; b++) {
                CharBuffer cb = Charset.forName("windows-1252").decode(ByteBuffer.wrap(new byte[] {(byte) b}));
                char c = cb.charAt(0);
                BYTE_OF[c == '\uFFFD' ? b : c] = b;
            }
        }

        static int byteOf(char c) {
            return BYTE_OF[c];
        }

        /** The bytes, or null when a character has none. */
        static byte[] encode(String s) {
            byte[] out = new byte[s.length()];
            for (int i = 0; i < s.length(); i++) {
                int b = BYTE_OF[s.charAt(i)];
                if (b < 0) return null;
                out[i] = (byte) b;
            }
            return out;
        }
    }
}
