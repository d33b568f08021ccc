package sdclip.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;

/**
 * The heap-based BPE against the reference's loop (written out below, quadratic and obvious) on
 * a small vocabulary this test builds: the 512 byte tokens, a few merges that overlap and chain,
 * and the two special tokens.
 */
class BytePairEncoderTest {
    static final List<String[]> MERGES = List.of(
            new String[] {"a", "a"},
            new String[] {"a", "b"},
            new String[] {"aa", "a"},
            new String[] {"b", "a</w>"},
            new String[] {"ab", "ab"},
            new String[] {"a", "a</w>"},
            new String[] {"aa", "aa"},
            new String[] {"c", "ab"},
            new String[] {"b", "b"},
            new String[] {"bb", "b</w>"},
            new String[] {"aaa", "b"},
            new String[] {"cab", "ba</w>"});

    static Vocabulary vocab;
    static BytePairEncoder bpe;

    @BeforeAll
    static void build(@TempDir Path dir) throws IOException {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (char c : Vocabulary.ByteLevel.VOCAB_ORDER) ids.put(String.valueOf(c), ids.size());
        for (char c : Vocabulary.ByteLevel.VOCAB_ORDER) ids.put(c + "</w>", ids.size());
        for (String[] m : MERGES) ids.putIfAbsent(m[0] + m[1], ids.size());
        ids.put("<|startoftext|>", ids.size());
        ids.put("<|endoftext|>", ids.size());
        StringBuilder json = new StringBuilder("{");
        ids.forEach((t, id) -> json.append(json.length() > 1 ? "," : "")
                .append(Json.quote(t))
                .append(':')
                .append(id));
        Files.writeString(dir.resolve("vocab.json"), json.append('}'));
        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        for (String[] m : MERGES) merges.append(m[0]).append(' ').append(m[1]).append('\n');
        Files.writeString(dir.resolve("merges.txt"), merges);
        vocab = Vocabulary.huggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        bpe = new BytePairEncoder(vocab);
    }

    /** The reference: repeatedly merge every occurrence of the lowest-ranked pair, left to right. */
    static List<String> referenceBpe(String piece) {
        List<String> word = new ArrayList<>();
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) word.add(String.valueOf(Vocabulary.ByteLevel.BYTE_TO_CHAR[b & 0xFF]));
        word.set(word.size() - 1, word.getLast() + "</w>");
        while (word.size() > 1) {
            int best = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < word.size(); i++) {
                for (int r = 0; r < MERGES.size(); r++) {
                    if (MERGES.get(r)[0].equals(word.get(i)) && MERGES.get(r)[1].equals(word.get(i + 1)))
                        best = Math.min(best, r);
                }
            }
            if (best == Integer.MAX_VALUE) break;
            String first = MERGES.get(best)[0], second = MERGES.get(best)[1];
            List<String> merged = new ArrayList<>();
            for (int i = 0; i < word.size(); ) {
                if (i + 1 < word.size()
                        && word.get(i).equals(first)
                        && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i++));
                }
            }
            word = merged;
        }
        return word;
    }

    private static List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(vocab.tokens[id]);
        return out;
    }

    @Test
    void knownMerges() {
        // a a a a a a</w>: rank 0 (a,a) merges left to right -> aa aa a a</w>;
        // then rank 2 (aa,a) beats rank 5 (a,a</w>) and rank 6 (aa,aa) -> aa aaa a</w>; nothing left.
        assertEquals(List.of("aa", "aaa", "a</w>"), tokens(bpe.encode("aaaaaa")));
        // c a b b a</w>: (a,b) r1 -> c ab b a</w>; (b,a</w>) r3 -> c ab ba</w>; (c,ab) r7 -> cab ba</w>; r11 ->
        // cabba</w>.
        assertEquals(List.of("cabba</w>"), tokens(bpe.encode("cabba")));
        assertEquals(List.of("x</w>"), tokens(bpe.encode("x")));
    }

    @Test
    void matchesTheReferenceLoopOnRandomWords() {
        SplittableRandom rnd = new SplittableRandom(12345);
        String alphabet = "aabbbcx";
        for (int n = 0; n < 5000; n++) {
            int len = 1 + rnd.nextInt(24);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < len; i++) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            String w = sb.toString();
            assertEquals(referenceBpe(w), tokens(bpe.encode(w)), w);
        }
    }

    @Test
    void multiByteCharactersBecomeByteTokens() {
        // é is two UTF-8 bytes: two byte tokens, the last with </w>.
        int[] ids = bpe.encode("é");
        assertEquals(2, ids.length);
        assertArrayEquals(new int[] {vocab.byteIds[0xC3], vocab.byteEndIds[0xA9]}, ids);
    }
}
