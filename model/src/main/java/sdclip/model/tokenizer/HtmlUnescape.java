package sdclip.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.Locale;

import org.jsoup.nodes.Entities;

/**
 * Python's {@code html.unescape}: named references with and without {@code ;} (only the legacy
 * names may omit it, and the longest legacy prefix wins: {@code &copy2024} is {@code ©2024}),
 * decimal and hex references with the HTML5 replacements for invalid code points. The HTML5
 * name table comes from jsoup, whose "base" set is exactly the names allowed without {@code ;}.
 */
final class HtmlUnescape {
    private HtmlUnescape() {}

    private static final Charset CP1252 = Charset.forName("windows-1252");

    /** Python's {@code html.unescape(s)}. */
    static String unescape(String s) {
        int amp = s.indexOf('&');
        if (amp < 0) return s;
        StringBuilder out = new StringBuilder(s.length());
        int copied = 0;
        for (int i = amp; i >= 0 && i < s.length(); i = s.indexOf('&', i)) {
            int end = referenceEnd(s, i);
            if (end < 0) {
                i++;
                continue;
            }
            out.append(s, copied, i).append(replace(s.substring(i + 1, end)));
            copied = end;
            i = end;
        }
        return out.append(s, copied, s.length()).toString();
    }

    /**
     * The end of the reference starting with the {@code &} at {@code amp}, as Python's pattern
     * {@code &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)} would match it, or -1.
     */
    private static int referenceEnd(String s, int amp) {
        int n = s.length(), j = amp + 1;
        if (j < n && s.charAt(j) == '#') {
            boolean hex = j + 1 < n && (s.charAt(j + 1) == 'x' || s.charAt(j + 1) == 'X');
            int k = hex ? j + 2 : j + 1, start = k;
            while (k < n && Character.digit(s.charAt(k), hex ? 16 : 10) >= 0 && s.charAt(k) < 128) k++;
            if (k == start) return -1;
            return k < n && s.charAt(k) == ';' ? k + 1 : k;
        }
        int k = j, codePoints = 0;
        while (k < n && codePoints < 32) {
            char c = s.charAt(k);
            if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') break;
            k += Character.charCount(s.codePointAt(k));
            codePoints++;
        }
        if (k == j) return -1;
        return k < n && s.charAt(k) == ';' ? k + 1 : k;
    }

    /** The replacement for a matched reference body (without the {@code &}). */
    private static String replace(String body) {
        if (body.charAt(0) == '#') return numeric(body);
        String value = html5(body);
        if (value != null) return value;
        for (int x = body.length() - 1; x > 1; x--) {
            value = html5(body.substring(0, x));
            if (value != null) return value + body.substring(x);
        }
        return "&" + body;
    }

    /** Python's {@code html.entities.html5[key]}: {@code name;} for every name, bare {@code name} for legacy ones. */
    static String html5(String key) {
        if (key.endsWith(";")) {
            String name = key.substring(0, key.length() - 1);
            return Entities.isNamedEntity(name) ? Entities.getByName(name) : null;
        }
        return Entities.isBaseNamedEntity(key) ? Entities.getByName(key) : null;
    }

    private static String numeric(String body) {
        boolean hex = body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X');
        String digits = body.substring(hex ? 2 : 1);
        if (digits.endsWith(";")) digits = digits.substring(0, digits.length() - 1);
        digits = digits.replaceFirst("^0+(?=.)", "");
        long num = digits.length() > 9 ? Long.MAX_VALUE : Long.parseLong(digits, hex ? 16 : 10);
        if (num == 0) return "\uFFFD";
        if (num == 0x0D) return "\r";
        if (num >= 0x80 && num <= 0x9F) return windows1252((int) num);
        if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) return "\uFFFD";
        if (invalidCodePoint((int) num)) return "";
        return Character.toString((int) num);
    }

    /** C1 code points as Windows-1252 reads their byte; the five undefined ones stay. */
    static String windows1252(int c1) {
        String s = CP1252.decode(ByteBuffer.wrap(new byte[] {(byte) c1})).toString();
        return s.equals("\uFFFD") ? String.valueOf((char) c1) : s;
    }

    private static boolean invalidCodePoint(int c) {
        return (c >= 0x1 && c <= 0x8)
                || c == 0xB
                || (c >= 0xE && c <= 0x1F)
                || (c >= 0x7F && c <= 0x9F)
                || (c >= 0xFDD0 && c <= 0xFDEF)
                || (c & 0xFFFE) == 0xFFFE;
    }

    /**
     * ftfy's table: {@code &name;} for every HTML5 name, and {@code &NAME;} for an all-lowercase
     * name whose upper-cased form Python would leave alone, decoding to the upper-cased value.
     */
    static String ftfyEntity(String name) {
        String value = html5(name + ";");
        if (value != null) return value;
        String lower = name.toLowerCase(Locale.ROOT);
        if (!lower.equals(name) && lower.toUpperCase(Locale.ROOT).equals(name)) {
            String lowerValue = html5(lower + ";");
            String reference = "&" + name + ";";
            if (lowerValue != null && unescape(reference).equals(reference)) return lowerValue.toUpperCase(Locale.ROOT);
        }
        return null;
    }
}
