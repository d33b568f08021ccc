package sdclip.cli.option;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import picocli.CommandLine.Option;
import sdclip.cli.UsageException;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * {@code --prompts FILE}: prompts from a file, read the same in every command that takes one:
 * <ul>
 *   <li>{@code .txt} (or any other name): line i is prompt i, empty lines included (an empty
 *       negative prompt is a prompt); the newline ending the last line starts no further prompt.
 *       A UTF-8 byte-order mark is dropped and CRLF ends a line as LF does.</li>
 *   <li>{@code .json}: an array of strings or of {@code {"text": ...}} objects.</li>
 *   <li>{@code .jsonl}: one {@code {"text": ...}} per line (blank lines skipped), so prompts may
 *       hold newlines and tabs.</li>
 *   <li>{@code -}: standard input, JSONL when its first non-blank line parses as a JSON object,
 *       lines of text (as {@code .txt}) otherwise.</li>
 * </ul>
 */
public final class PromptsFile {
    @Option(
            names = "--prompts",
            paramLabel = "FILE",
            description =
                    "Read prompts from a .txt (line i is prompt i, empty lines included), .json (array of strings or {\"text\": ...}) or .jsonl ({\"text\": ...} per line) file; - for standard input.")
    Path file;

    /** The file, or null when not given. */
    public Path path() {
        return file;
    }

    /** The prompts, in order: {@code texts} first, then the file's; none at all is a usage error. */
    public List<String> read(List<String> texts) throws IOException {
        List<String> out = new ArrayList<>(texts);
        if (file != null) {
            boolean stdin = file.toString().equals("-");
            String name = stdin ? "standard input" : file.toString();
            String text = decode(stdin ? System.in.readAllBytes() : readFile(file), name);
            String lower = file.getFileName() == null
                    ? ""
                    : file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (stdin) out.addAll(firstLineIsObject(text) ? jsonl(text, name) : lines(text));
            else if (lower.endsWith(".jsonl")) out.addAll(jsonl(text, name));
            else if (lower.endsWith(".json")) out.addAll(jsonArray(text, name));
            else out.addAll(lines(text));
        }
        if (out.isEmpty())
            throw new UsageException("no prompts: give TEXT arguments or --prompts FILE"
                    + (file != null ? " (" + file + " holds none)" : ""));
        return out;
    }

    private static byte[] readFile(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + ": a folder, not a prompts file");
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such prompts file");
        }
    }

    /** Strict UTF-8, without a leading byte-order mark. */
    static String decode(byte[] bytes, String name) throws IOException {
        try {
            String s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
            return s.startsWith("\uFEFF") ? s.substring(1) : s;
        } catch (CharacterCodingException e) {
            throw new IOException(name + ": not UTF-8 text");
        }
    }

    /** Line i is prompt i; LF or CRLF ends a line; a final line end starts no empty prompt. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int nl = text.indexOf('\n', from);
            int end = nl < 0 ? text.length() : nl;
            out.add(text.substring(from, end > from && text.charAt(end - 1) == '\r' ? end - 1 : end));
            from = nl < 0 ? text.length() : nl + 1;
        }
        return out;
    }

    /** A first line that parses as an object, not one that merely starts with a brace ({@code {red|blue} car} is text). */
    private static boolean firstLineIsObject(String text) {
        return text.lines()
                .filter(l -> !l.isBlank())
                .findFirst()
                .map(PromptsFile::isObject)
                .orElse(false);
    }

    private static boolean isObject(String line) {
        try {
            return Json.parse(line) instanceof Map<?, ?>;
        } catch (JsonException notJson) {
            return false;
        }
    }

    private static List<String> jsonl(String text, String name) throws IOException {
        List<String> out = new ArrayList<>(), lines = lines(text);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                out.add(promptOf(Json.parse(lines.get(i)), name + ": line " + (i + 1)));
            } catch (JsonException e) {
                throw new IOException(name + ": line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static List<String> jsonArray(String text, String name) throws IOException {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (JsonException e) {
            throw new IOException(name + ": " + e.getMessage());
        }
        if (!(parsed instanceof List<?> items))
            throw new IOException(name + ": expected a JSON array of prompts, found " + Json.describe(parsed));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) out.add(promptOf(items.get(i), name + ": item " + (i + 1)));
        return out;
    }

    /** A string, or an object with a string {@code "text"}. */
    private static String promptOf(Object item, String where) throws IOException {
        if (item instanceof String s) return s;
        if (item instanceof Map<?, ?> o && o.get("text") instanceof String s) return s;
        throw new IOException(where + " has no string \"text\" field");
    }
}
