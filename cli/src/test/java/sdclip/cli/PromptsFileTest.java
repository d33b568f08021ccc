package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;

/** Prompt files mean what they say, end to end: the texts {@code tokenize --json} reports, in order. */
class PromptsFileTest {
    @TempDir
    Path dir;

    /** The prompts sdclip read from {@code file}, as {@code tokenize --json} echoes them. */
    private static List<String> read(Path file) {
        CliTest.Run r = CliTest.run("tokenize", "--tokenizer", CliTest.vocab(), "--json", "--prompts", file.toString());
        assertEquals(0, r.code(), r.err());
        return r.out()
                .lines()
                .map(l -> (String) Json.parseObject(l).get("text"))
                .toList();
    }

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    private Path write(String name, String text) throws Exception {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void txtLineIsPromptEmptyLinesIncluded() throws Exception {
        // Prompt 2 is an empty negative prompt; the final newline starts no fourth prompt.
        assertEquals(List.of("a cat", "", "a dog"), read(write("p.txt", "a cat\n\na dog\n")));
        assertEquals(List.of("a cat", "", "a dog"), read(write("q.txt", "a cat\n\na dog")));
        assertEquals(List.of("", "", "x", ""), read(write("r.txt", "\n\nx\n\n")));
        assertEquals(List.of("  spaced  ", "\ttab"), read(write("s.txt", "  spaced  \n\ttab\n")));
        // The empty prompt is really encoded: start and end token only.
        CliTest.Run r = CliTest.run(
                "tokenize",
                "--tokenizer",
                CliTest.vocab(),
                "--json",
                "--prompts",
                dir.resolve("p.txt").toString());
        assertEquals(
                List.of(49406L, 49407L),
                Json.parseObject(r.out().lines().toList().get(1)).get("ids"));
    }

    @Test
    void txtDropsTheByteOrderMarkAndReadsCrlf() throws Exception {
        byte[] body = "a cat\r\n\r\na dog\r\n".getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        assertEquals(List.of("a cat", "", "a dog"), read(write("bom.txt", withBom)));
        assertEquals(List.of("a cat", "", "a dog"), read(write("crlf.txt", body)));
        // Only CRLF is a line end: a lone CR inside a line stays.
        assertEquals(List.of("a\rb"), read(write("cr.txt", "a\rb\n")));
    }

    @Test
    void jsonArrayOfStringsOrObjects() throws Exception {
        assertEquals(List.of("a cat", "", "two\nlines"), read(write("p.json", "[\"a cat\", \"\", \"two\\nlines\"]")));
        assertEquals(
                List.of("a cat", "a dog"),
                read(write("o.json", "\uFEFF[{\"text\": \"a cat\"}, {\"text\": \"a dog\", \"id\": 7}]\n")));
        CliTest.Run notArray = CliTest.run(
                "tokenize",
                "--tokenizer",
                CliTest.vocab(),
                "--prompts",
                write("bad.json", "{\"text\": \"x\"}").toString());
        assertEquals(1, notArray.code());
        assertTrue(
                notArray.err().contains("bad.json") && notArray.err().contains("expected a JSON array"),
                notArray.err());
        CliTest.Run badItem = CliTest.run(
                "tokenize",
                "--tokenizer",
                CliTest.vocab(),
                "--prompts",
                write("item.json", "[\"ok\", 3]").toString());
        assertEquals(1, badItem.code());
        assertTrue(badItem.err().contains("item.json: item 2"), badItem.err());
    }

    @Test
    void jsonlAsBefore() throws Exception {
        assertEquals(
                List.of("a\tcat", "two\nlines"),
                read(write("p.jsonl", "{\"text\": \"a\\tcat\"}\r\n\n{\"text\": \"two\\nlines\"}\n")));
    }

    @Test
    void standardInputIsTextLinesOrJsonl() throws Exception {
        assertEquals(List.of("a cat", "", "a dog"), fromStdin("a cat\n\na dog\n"));
        assertEquals(List.of("a cat", "x\ny"), fromStdin("{\"text\": \"a cat\"}\n{\"text\": \"x\\ny\"}\n"));
    }

    /** A line that only starts with a brace is text: wildcard and dynamic-prompt syntax is common. */
    @Test
    void standardInputIsJsonlOnlyWhenItsFirstLineParsesAsAnObject() throws Exception {
        assertEquals(
                List.of("{red|blue} car", "{masterpiece}, cat", ""),
                fromStdin("{red|blue} car\n{masterpiece}, cat\n\n"));
        assertEquals(
                List.of("", "  ", "{masterpiece}, cat"),
                fromStdin("\n  \n{masterpiece}, cat\n")); // blank lines do not decide
        // A first line that is an object makes it JSONL: a later line that is not is still an error naming it.
        CliTest.Run bad = tokenizeStdin("{\"text\": \"a cat\"}\n{red|blue} car\n");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().startsWith("sdclip: standard input: line 2: "), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
    }

    private static List<String> fromStdin(String text) {
        CliTest.Run r = tokenizeStdin(text);
        assertEquals(0, r.code(), r.err());
        return r.out()
                .lines()
                .map(l -> (String) Json.parseObject(l).get("text"))
                .toList();
    }

    private static CliTest.Run tokenizeStdin(String text) {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
            return CliTest.run("tokenize", "--tokenizer", CliTest.vocab(), "--json", "--prompts", "-");
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void notUtf8IsOneLine() throws Exception {
        CliTest.Run r = CliTest.run(
                "tokenize",
                "--tokenizer",
                CliTest.vocab(),
                "--prompts",
                write("latin1.txt", new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'})
                        .toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("latin1.txt: not UTF-8 text"), r.err());
    }
}
