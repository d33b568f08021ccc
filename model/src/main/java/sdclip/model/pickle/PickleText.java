package sdclip.model.pickle;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** Decoders for the text arguments of protocol 0 opcodes (numbers, quoted strings, raw-unicode-escape). */
final class PickleText {
    private PickleText() {}

    /** A decimal integer as Long, or BigInteger when it does not fit; null when malformed. */
    static Object integer(String text) {
        String s = text.endsWith("L") ? text.substring(0, text.length() - 1) : text;
        if (s.isEmpty() || s.length() > 400) return null;
        try {
            return normalize(new BigInteger(s));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Object normalize(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    /** A STRING argument: a Python repr in single or double quotes; null when malformed. */
    static String quoted(String line) {
        if (line.length() < 2
                || line.charAt(0) != line.charAt(line.length() - 1)
                || (line.charAt(0) != '\'' && line.charAt(0) != '"')) return null;
        String s = line.substring(1, line.length() - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.write(c);
                continue;
            }
            if (++i == s.length()) return null;
            char e = s.charAt(i);
            switch (e) {
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 't' -> out.write('\t');
                case '\\', '\'', '"' -> out.write(e);
                case 'x' -> {
                    int v = hex(s, i + 1, 2);
                    if (v < 0) return null;
                    out.write(v);
                    i += 2;
                }
                default -> {
                    if (e < '0' || e > '7') return null;
                    int v = 0, n = 0;
                    for (; n < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7'; n++)
                        v = v * 8 + s.charAt(i++) - '0';
                    i--;
                    out.write(v & 0xff);
                }
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A UNICODE argument: raw-unicode-escape (latin-1 bytes with \\uXXXX and \\UXXXXXXXX); null when malformed. */
    static String rawUnicode(String line) {
        StringBuilder b = new StringBuilder(line.length());
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length() && (line.charAt(i + 1) == 'u' || line.charAt(i + 1) == 'U')) {
                int digits = line.charAt(i + 1) == 'u' ? 4 : 8;
                int v = hex(line, i + 2, digits);
                if (v < 0 || !Character.isValidCodePoint(v)) return null;
                b.appendCodePoint(v);
                i += 1 + digits;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** {@code n} hex digits at {@code at}, or -1. */
    private static int hex(String s, int at, int n) {
        if (at + n > s.length()) return -1;
        long v = 0;
        for (int i = at; i < at + n; i++) {
            int d = Character.digit(s.charAt(i), 16);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }
}
