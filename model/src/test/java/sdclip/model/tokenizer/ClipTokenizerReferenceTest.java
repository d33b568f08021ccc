package sdclip.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import sdclip.model.json.Json;
import sdclip.testdata.ReferenceData;

/** Every case of {@code ../shared/reference/tokenizer/tokens.jsonl}, with both vocabulary forms. */
class ClipTokenizerReferenceTest {

    record Case(
            int line,
            String text,
            int[] ids,
            int[] truncated,
            String category,
            String normalized,
            List<String> pieces) {}

    static List<Case> cases() throws IOException {
        Path file = ReferenceData.require("tokenizer/tokens.jsonl");
        List<Case> cases = new ArrayList<>();
        int line = 0;
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            line++;
            if (l.isBlank()) continue;
            Map<String, Object> o = Json.parseObject(l);
            @SuppressWarnings("unchecked")
            List<Object> pieces = (List<Object>) o.get("pieces");
            cases.add(new Case(
                    line,
                    (String) o.get("text"),
                    ints(o.get("ids")),
                    o.containsKey("ids_truncated_77") ? ints(o.get("ids_truncated_77")) : null,
                    (String) o.get("category"),
                    (String) o.get("normalized"),
                    pieces.stream().map(String.class::cast).toList()));
        }
        return cases;
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Long) v).intValue()).toArray();
    }

    static ClipTokenizer openAi() throws IOException {
        return ClipTokenizer.load(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
    }

    static ClipTokenizer huggingFace() throws IOException {
        return ClipTokenizer.load(ReferenceData.require("tokenizer/hf"));
    }

    @TestFactory
    Stream<DynamicTest> openAiVocabulary() throws IOException {
        return check(openAi());
    }

    @TestFactory
    Stream<DynamicTest> huggingFaceVocabulary() throws IOException {
        return check(huggingFace());
    }

    private Stream<DynamicTest> check(ClipTokenizer tok) throws IOException {
        assertEquals(286, cases().size(), "tokens.jsonl should hold 286 cases");
        return cases().stream()
                .map(c -> DynamicTest.dynamicTest("line " + c.line + " [" + c.category + "]", () -> {
                    int[] ids = tok.encode(c.text);
                    // normalized and pieces are diagnostics: they say where a mismatch starts.
                    String diagnosis =
                            "text " + Json.quote(c.text) + "\n normalized expected " + Json.quote(c.normalized)
                                    + "\n normalized actual   " + Json.quote(tok.normalize(c.text))
                                    + "\n pieces expected " + c.pieces + "\n pieces actual   " + tok.pieces(c.text);
                    assertArrayEquals(c.ids, ids, diagnosis);
                    if (c.truncated != null)
                        assertArrayEquals(c.truncated, tok.encode(c.text, 77, -1), "truncated: " + diagnosis);
                    else assertArrayEquals(c.ids, tok.encode(c.text, 77, -1));
                }));
    }

    @Test
    void bothFormsGiveTheSameVocabulary() throws IOException {
        ClipTokenizer a = openAi(), b = huggingFace();
        assertEquals(49408, a.vocabularySize());
        assertEquals(49408, b.vocabularySize());
        assertEquals(49406, a.startId());
        assertEquals(49407, a.endId());
        for (int id = 0; id < 49408; id++) assertEquals(a.token(id), b.token(id), "id " + id);
    }

    @Test
    void decodeInvertsEncodeOnCleanText() throws IOException {
        ClipTokenizer tok = openAi();
        for (Case c : cases()) {
            String normalized = tok.normalize(c.text);
            if (normalized.contains("<|")) continue;
            int[] ids = tok.encode(c.text);
            String decoded =
                    tok.decode(Arrays.copyOfRange(ids, 1, ids.length - 1)).strip();
            // Decoding loses only the spaces between punctuation runs and words; compare without spaces.
            assertEquals(normalized.replace(" ", ""), decoded.replace(" ", ""), "line " + c.line);
        }
    }

    @Test
    void modelFolderTokenizerIsFound() throws IOException {
        ClipTokenizer tok = ClipTokenizer.locate(null, ReferenceData.require("models/tiny-sd15-diffusers"));
        ClipTokenizer reference = openAi();
        for (Case c : cases()) assertArrayEquals(reference.encode(c.text), tok.encode(c.text), "line " + c.line);
    }
}
