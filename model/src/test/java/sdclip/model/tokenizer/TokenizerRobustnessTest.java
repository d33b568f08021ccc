package sdclip.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.model.json.Json;

/**
 * Any Java string tokenizes: no exception, start and end tokens in place, ids in the
 * vocabulary, truncation to 77 keeping the end token. The time limits here are not speed
 * measurements (the JMH benchmark is); they only catch a quadratic blow-up, which on a
 * megabyte would take hours.
 */
class TokenizerRobustnessTest {
    static ClipTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        tok = ClipTokenizerReferenceTest.openAi();
    }

    static void checkWellFormed(String text) {
        int[] ids = tok.encode(text);
        assertTrue(ids.length >= 2);
        assertEquals(tok.startId(), ids[0]);
        assertEquals(tok.endId(), ids[ids.length - 1]);
        for (int id : ids) assertTrue(id >= 0 && id < tok.vocabularySize());
        int[] fitted = tok.encode(text, 77, 49407);
        assertEquals(77, fitted.length);
        int firstEnd = -1;
        for (int i = 0; i < fitted.length && firstEnd < 0; i++) if (fitted[i] == tok.endId()) firstEnd = i;
        assertTrue(firstEnd > 0, "an end token survives truncation");
    }

    @Test
    void randomCodePointsIncludingLoneSurrogates() {
        SplittableRandom rnd = new SplittableRandom(2024);
        for (int n = 0; n < 3000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(60);
            for (int i = 0; i < len; i++) {
                switch (rnd.nextInt(6)) {
                    case 0 -> sb.append((char) (0xD800 + rnd.nextInt(0x800))); // lone surrogates
                    case 1 -> sb.append((char) rnd.nextInt(0x20)); // controls
                    case 2 -> sb.append("&<>;#'\"|".charAt(rnd.nextInt(8))); // markup
                    case 3 -> sb.appendCodePoint(rnd.nextInt(0x110000)); // anything
                    case 4 -> sb.append((char) (0x80 + rnd.nextInt(0x80))); // C1 and Latin-1
                    default -> sb.append((char) ('a' + rnd.nextInt(26)));
                }
            }
            checkWellFormed(sb.toString());
        }
    }

    @Test
    void pathologicalInputsStayLinear() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertArrayEquals(new int[] {49406, 49407}, tok.encode(" ".repeat(100_000)));
            checkWellFormed("a".repeat(1_000_000)); // one huge BPE word
            checkWellFormed("&amp;".repeat(100_000) + "lt;"); // nested entities
            checkWellFormed("!".repeat(500_000) + "x"); // one huge punctuation run
            checkWellFormed("cafÃ© ".repeat(100_000)); // mojibake everywhere
            StringBuilder mixed = new StringBuilder();
            SplittableRandom rnd = new SplittableRandom(9);
            String[] words = {
                "photo ", "of ", "a ", "café ", "富士山 ", "😀", "(masterpiece:1.2), ", "&amp; ", "’s ", "\u0000", "\uD800"
            };
            while (mixed.length() < 1_000_000) mixed.append(words[rnd.nextInt(words.length)]);
            checkWellFormed(mixed.toString());
        });
    }

    @Test
    void concurrentCallersGetTheSameIds() throws Exception {
        List<ClipTokenizerReferenceTest.Case> cases = ClipTokenizerReferenceTest.cases();
        ClipTokenizer fresh = ClipTokenizerReferenceTest.openAi(); // empty cache: threads race to fill it
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < cases.size(); i++) {
                        var c = cases.get((i + offset * 37) % cases.size());
                        int[] got = fresh.encode(c.text());
                        int at = Arrays.mismatch(c.ids(), got);
                        if (at >= 0)
                            return "thread " + offset + ": " + Json.quote(c.text()) + " differs first at id " + at;
                    }
                    return null;
                }));
            }
            for (Future<String> f : results) {
                String divergence = f.get();
                assertNull(divergence, divergence);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void paddingAndTruncation() {
        int[] ids = tok.encode("a cat");
        int[] eos = tok.fit(ids, 77, 49407), zero = tok.fit(ids, 77, 0), none = tok.fit(ids, 77, -1);
        assertEquals(77, eos.length);
        assertEquals(ids.length, none.length);
        for (int i = ids.length; i < 77; i++) {
            assertEquals(49407, eos[i]);
            assertEquals(0, zero[i]);
        }
        int[] longIds = tok.encode("cat ".repeat(100));
        int[] cut = tok.fit(longIds, 77, 0);
        assertEquals(77, cut.length);
        assertEquals(49407, cut[76]);
        assertEquals(longIds[75], cut[75]);
    }
}
