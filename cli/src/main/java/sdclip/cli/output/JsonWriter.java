package sdclip.cli.output;

import java.util.Locale;

import sdclip.model.json.Json;

/**
 * The spellings every command's JSON output uses, so all of it is strict JSON (RFC 8259):
 * numbers as Java prints them, and {@code null} for a number that is not finite (JSON has no
 * NaN or infinity); strings quoted and escaped.
 */
public final class JsonWriter {
    private JsonWriter() {}

    /** {@code v} as {@link Double#toString}, or {@code null} when NaN or infinite. */
    public static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /** {@code v} as {@link Float#toString} (the shortest float spelling), or {@code null} when NaN or infinite. */
    public static String number(float v) {
        return Float.isFinite(v) ? Float.toString(v) : "null";
    }

    /** {@code v} with a fixed number of decimals, or {@code null} when NaN or infinite. */
    public static String number(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "null";
    }

    /** {@code s} as a JSON string literal. */
    public static String string(String s) {
        return Json.quote(s);
    }
}
