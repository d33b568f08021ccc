package sdclip.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * Where prompts come from, the same in every command: the arguments, or {@code --prompts FILE}:
 * a {@code .txt} file (one prompt per line), a {@code .jsonl} file (one {@code {"text": ...}}
 * per line, so prompts may hold newlines and tabs), or {@code -} for standard input (JSONL when
 * its first line is a JSON object, lines of text otherwise).
 */
final class Prompts {
    @Option(names = "--prompts", paramLabel = "FILE", description = "Read prompts from a .txt (one per line) or .jsonl ({\"text\": ...} per line) file; - for standard input.")
    Path file;

    @Parameters(paramLabel = "TEXT", description = "Prompts.", arity = "0..*")
    List<String> texts = new ArrayList<>();

    /** The prompts, in order: arguments first, then the file's. */
    List<String> read() throws IOException {
        List<String> out = new ArrayList<>(texts);
        if (file != null) {
            boolean stdin = file.toString().equals("-");
            List<String> lines;
            if (stdin) {
                lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList();
            } else {
                try {
                    lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                } catch (NoSuchFileException e) {
                    throw new IOException(file + ": no such prompts file");
                } catch (java.nio.charset.MalformedInputException e) {
                    throw new IOException(file + ": not UTF-8 text");
                }
            }
            String name = stdin ? "standard input" : file.toString();
            boolean jsonl = stdin ? lines.stream().filter(l -> !l.isBlank()).findFirst().map(l -> l.strip().startsWith("{")).orElse(false)
                    : file.getFileName().toString().endsWith(".jsonl");
            if (jsonl) {
                for (int i = 0; i < lines.size(); i++) {
                    if (!lines.get(i).isBlank()) out.add(jsonlText(lines.get(i), name, i + 1));
                }
            } else {
                for (String l : lines) if (!l.isEmpty()) out.add(l);
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no prompts: give TEXT arguments or --prompts FILE");
        return out;
    }

    private static String jsonlText(String line, String name, int lineNo) throws IOException {
        try {
            Map<String, Object> o = Json.parseObject(line);
            if (!(o.get("text") instanceof String s)) throw new IOException(name + ": line " + lineNo + " has no string \"text\" field");
            return s;
        } catch (JsonException e) {
            throw new IOException(name + ": line " + lineNo + ": " + e.getMessage());
        }
    }
}
