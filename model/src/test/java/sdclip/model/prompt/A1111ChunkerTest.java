package sdclip.model.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.model.tokenizer.ClipTokenizer;
import sdclip.testdata.ReferenceData;

/** A1111 chunking with the real CLIP vocabulary; expected chunks follow {@code tokenize_line} by hand. */
class A1111ChunkerTest {
    static final int START = 49406, END = 49407, A = 320, B = 321, COMMA = 267, RED = 1893, FOX = 3240;
    static ClipTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipTokenizer.load(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
    }

    static String words(String word, int n) {
        return String.join(" ", Collections.nCopies(n, word));
    }

    /** start + body + end-padding + end, weights 1. */
    static int[] wrapped(int padId, int... body) {
        int[] ids = new int[Chunk.LENGTH];
        Arrays.fill(ids, END);
        ids[0] = START;
        System.arraycopy(body, 0, ids, 1, body.length);
        if (padId != END) Arrays.fill(ids, body.length + 2, Chunk.LENGTH, padId);
        return ids;
    }

    static int[] repeat(int id, int n) {
        int[] a = new int[n];
        Arrays.fill(a, id);
        return a;
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    static A1111Chunker chunker(TextualInversion... embeddings) {
        return new A1111Chunker(tokenizer, END, List.of(embeddings));
    }

    @Test
    void emptyPromptIsOneEmptyChunk() {
        List<Chunk> chunks = chunker().chunk("");
        assertEquals(1, chunks.size());
        assertArrayEquals(wrapped(END), chunks.get(0).ids());
        assertEquals(chunker().emptyChunk(), chunks.get(0));
        assertEquals(Chunk.empty(START, END, END), chunks.get(0));
    }

    @Test
    void exactly75TokensIsOneChunk() {
        List<Chunk> chunks = chunker().chunk(words("a", 75));
        assertEquals(1, chunks.size());
        assertArrayEquals(
                concat(new int[] {START}, repeat(A, 75), new int[] {END}),
                chunks.get(0).ids());
    }

    @Test
    void token76OpensASecondChunk() {
        List<Chunk> chunks = chunker().chunk(words("a", 76));
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, repeat(A, 75)), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, A), chunks.get(1).ids());
    }

    @Test
    void commaTwentyBackMovesTheTail() {
        // comma at 55: when the 76th token arrives, 75 - 55 = 20 <= 20, so the 19 tokens after it move
        List<Chunk> chunks = chunker().chunk(words("a", 55) + ", " + words("b", 30));
        assertEquals(2, chunks.size());
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 55), new int[] {COMMA})),
                chunks.get(0).ids());
        assertArrayEquals(wrapped(END, repeat(B, 30)), chunks.get(1).ids());
    }

    @Test
    void commaTwentyOneBackDoesNot() {
        List<Chunk> chunks = chunker().chunk(words("a", 54) + ", " + words("b", 30));
        assertEquals(2, chunks.size());
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 54), new int[] {COMMA}, repeat(B, 20))),
                chunks.get(0).ids());
        assertArrayEquals(wrapped(END, repeat(B, 10)), chunks.get(1).ids());
    }

    @Test
    void backtrackCanBeTurnedOff() {
        List<Chunk> chunks =
                new A1111Chunker(tokenizer, END, List.of(), 0).chunk(words("a", 55) + ", " + words("b", 30));
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 55), new int[] {COMMA}, repeat(B, 19))),
                chunks.get(0).ids());
    }

    @Test
    void movedTokensKeepTheirWeights() {
        List<Chunk> chunks = chunker().chunk(words("a", 60) + ", (" + words("b", 20) + ":1.5)");
        assertEquals(2, chunks.size());
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 60), new int[] {COMMA})),
                chunks.get(0).ids());
        assertArrayEquals(wrapped(END, repeat(B, 20)), chunks.get(1).ids());
        for (int i = 1; i <= 20; i++) assertEquals(1.5f, chunks.get(1).weight(i));
        assertEquals(1f, chunks.get(1).weight(21));
        assertEquals(1f, chunks.get(1).weight(0));
    }

    @Test
    void commaArrivingAtAFullChunkOpensTheNextAndIsNotRemembered() {
        // chunk 2 starts with the comma; A1111 resets last_comma after appending it, so 75 more
        // tokens close chunk 2 at 75 without backtracking to it
        List<Chunk> chunks = chunker().chunk(words("a", 75) + ", " + words("b", 75));
        assertEquals(3, chunks.size());
        assertArrayEquals(
                wrapped(END, concat(new int[] {COMMA}, repeat(B, 74))),
                chunks.get(1).ids());
        assertArrayEquals(wrapped(END, B), chunks.get(2).ids());
    }

    @Test
    void breakAtTheStartGivesAnEmptyFirstChunk() {
        List<Chunk> chunks = chunker().chunk("BREAK a");
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, A), chunks.get(1).ids());
    }

    @Test
    void breakAtTheEndAddsNothing() {
        List<Chunk> chunks = chunker().chunk("a BREAK");
        assertEquals(1, chunks.size());
        assertArrayEquals(wrapped(END, A), chunks.get(0).ids());
        assertEquals(1, chunker().chunk("BREAK").size());
    }

    @Test
    void breakTwiceGivesAnEmptyChunkBetween() {
        List<Chunk> chunks = chunker().chunk("a BREAK BREAK b");
        assertEquals(3, chunks.size());
        assertArrayEquals(wrapped(END, A), chunks.get(0).ids());
        assertArrayEquals(wrapped(END), chunks.get(1).ids());
        assertArrayEquals(wrapped(END, B), chunks.get(2).ids());
    }

    @Test
    void breakAfterAFullChunkClosesItOnce() {
        List<Chunk> chunks = chunker().chunk(words("a", 75) + " BREAK b");
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, B), chunks.get(1).ids());
    }

    @Test
    void breakInBracketsIsTheWordWithANegativeWeight() {
        List<Chunk> chunks = chunker().chunk("(a BREAK b)");
        assertEquals(1, chunks.size());
        assertArrayEquals(
                wrapped(END, A, tokenizer.encode("break")[1], B), chunks.get(0).ids());
        assertEquals(-1.1f, chunks.get(0).weight(2));
    }

    @Test
    void padZeroAfterTheFirstEndToken() {
        A1111Chunker zero = new A1111Chunker(tokenizer, 0, List.of());
        int[] expected = new int[Chunk.LENGTH];
        expected[0] = START;
        expected[1] = A;
        expected[2] = END;
        assertArrayEquals(expected, zero.chunk("a").get(0).ids());
        assertArrayEquals(wrapped(0), zero.chunk("").get(0).ids());
        assertEquals(Chunk.empty(START, END, 0), zero.emptyChunk());
        // an end token written in the prompt is the first one: A1111 pads everything after it
        int[] written = zero.chunk("a <|endoftext|> b").get(0).ids();
        assertArrayEquals(new int[] {START, A, END, 0, 0}, Arrays.copyOf(written, 5));
        // a full chunk keeps its closing end token
        assertArrayEquals(
                concat(new int[] {START}, repeat(A, 75), new int[] {END}),
                zero.chunk(words("a", 75)).get(0).ids());
    }

    @Test
    void weightsAreFloat32OfTheFragmentWeights() {
        Chunk c = chunker().chunk("(masterpiece:1.2), [blurry]").get(0);
        float[] w = c.weights();
        assertEquals(1f, w[0]);
        assertEquals(1.2f, w[1]);
        assertEquals(1f, w[2]);
        assertEquals((float) (1 / 1.1), w[3]);
        for (int i = 4; i < Chunk.LENGTH; i++) assertEquals(1f, w[i]);
    }

    @Test
    void embeddingTriggerBecomesSlotsWithTheFragmentWeight() {
        A1111Chunker c = chunker(new TextualInversion("redfox-a1111", 2));
        Chunk chunk = c.chunk("a photo of (redfox-a1111:1.3) in snow").get(0);
        int[] photoOf = Arrays.copyOfRange(tokenizer.encode("photo of"), 1, 3);
        int[] inSnow = Arrays.copyOfRange(tokenizer.encode("in snow"), 1, 3);
        assertArrayEquals(wrapped(END, concat(new int[] {A}, photoOf, new int[] {0, 0}, inSnow)), chunk.ids());
        assertEquals(new EmbeddingSlot("redfox-a1111", 0), chunk.slot(4));
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), chunk.slot(5));
        assertNull(chunk.slot(3));
        assertNull(chunk.slot(6));
        assertEquals(1.3f, chunk.weight(4));
        assertEquals(1.3f, chunk.weight(5));
        assertEquals(1f, chunk.weight(6));
    }

    @Test
    void longestTriggerWins() {
        A1111Chunker c = chunker(new TextualInversion("redfox", 3), new TextualInversion("redfox-a1111", 2));
        Chunk chunk = c.chunk("redfox-a1111 redfox").get(0);
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), chunk.slot(2));
        assertEquals(new EmbeddingSlot("redfox", 0), chunk.slot(3));
        assertEquals(new EmbeddingSlot("redfox", 2), chunk.slot(5));
        assertEquals(END, chunk.id(6));
        // the words written apart are other tokens ("red</w>"), so no trigger
        assertEquals(false, c.chunk("red fox").get(0).hasSlots());
        assertArrayEquals(wrapped(END, 736, FOX), c.chunk("red fox").get(0).ids());
        assertEquals(RED, tokenizer.encode("redfox")[1]);
    }

    @Test
    void slotsThatDoNotFitCloseTheChunkFirst() {
        A1111Chunker c = chunker(new TextualInversion("redfox-a1111", 2));
        List<Chunk> chunks = c.chunk(words("a", 74) + " redfox-a1111");
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, repeat(A, 74)), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, 0, 0), chunks.get(1).ids());
        assertEquals(new EmbeddingSlot("redfox-a1111", 0), chunks.get(1).slot(1));
        // 73 + 2 fits exactly
        List<Chunk> fits = c.chunk(words("a", 73) + " redfox-a1111");
        assertEquals(1, fits.size());
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), fits.get(0).slot(75));
    }

    @Test
    void commaBacktrackMovesSlotsWithTheirPositions() {
        A1111Chunker c = chunker(new TextualInversion("redfox-a1111", 2));
        // a*60 , a*10 [slot slot] a*5 = 78 positions; at the 76th the comma is 15 back
        List<Chunk> chunks = c.chunk(words("a", 60) + ", " + words("a", 10) + " redfox-a1111 " + words("a", 5));
        assertEquals(2, chunks.size());
        assertEquals(false, chunks.get(0).hasSlots());
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 60), new int[] {COMMA})),
                chunks.get(0).ids());
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 10), new int[] {0, 0}, repeat(A, 5))),
                chunks.get(1).ids());
        assertEquals(new EmbeddingSlot("redfox-a1111", 0), chunks.get(1).slot(11));
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), chunks.get(1).slot(12));
    }

    @Test
    void batchIsPaddedWithEmptyChunks() {
        A1111Chunker c = chunker();
        List<List<Chunk>> batch = Chunk.padBatch(List.of(c.chunk("a"), c.chunk("a BREAK b BREAK c")), c.emptyChunk());
        assertEquals(3, batch.get(0).size());
        assertEquals(3, batch.get(1).size());
        assertEquals(c.emptyChunk(), batch.get(0).get(2));
        assertEquals(c.chunk("a").get(0), batch.get(0).get(0));
    }
}
