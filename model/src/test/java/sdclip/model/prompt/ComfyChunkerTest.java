package sdclip.model.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static sdclip.model.prompt.A1111ChunkerTest.A;
import static sdclip.model.prompt.A1111ChunkerTest.B;
import static sdclip.model.prompt.A1111ChunkerTest.END;
import static sdclip.model.prompt.A1111ChunkerTest.FOX;
import static sdclip.model.prompt.A1111ChunkerTest.START;
import static sdclip.model.prompt.A1111ChunkerTest.concat;
import static sdclip.model.prompt.A1111ChunkerTest.repeat;
import static sdclip.model.prompt.A1111ChunkerTest.words;
import static sdclip.model.prompt.A1111ChunkerTest.wrapped;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sdclip.model.prompt.ComfyChunker.Grouping;
import sdclip.model.tokenizer.ClipTokenizer;
import sdclip.testdata.ReferenceData;

/** ComfyUI chunking with the real CLIP vocabulary; expected chunks follow {@code tokenize_with_weights} by hand. */
class ComfyChunkerTest {
    static final int RED_WORD = 736;
    static ClipTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipTokenizer.load(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
        A1111ChunkerTest.tokenizer = tokenizer;
    }

    static ComfyChunker chunker(Grouping grouping, TextualInversion... embeddings) {
        return new ComfyChunker(tokenizer, END, List.of(embeddings), grouping);
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void emptyPromptIsOneEmptyChunk(Grouping g) {
        List<Chunk> chunks = chunker(g).chunk("");
        assertEquals(List.of(Chunk.empty(START, END, END)), chunks);
        assertEquals(chunker(g).emptyChunk(), chunks.get(0));
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void exactly75And76(Grouping g) {
        assertEquals(1, chunker(g).chunk(words("a", 75)).size());
        List<Chunk> chunks = chunker(g).chunk(words("a", 76));
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, repeat(A, 75)), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, A), chunks.get(1).ids());
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void noCommaBacktrackAndNoBreak(Grouping g) {
        List<Chunk> chunks = chunker(g).chunk(words("a", 55) + ", " + words("b", 30));
        assertArrayEquals(
                wrapped(END, concat(repeat(A, 55), new int[] {267}, repeat(B, 19))),
                chunks.get(0).ids());
        int breakWord = tokenizer.encode("break")[1];
        assertArrayEquals(
                wrapped(END, A, breakWord, B),
                chunker(g).chunk("a BREAK b").get(0).ids());
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void padZero(Grouping g) {
        ComfyChunker zero = new ComfyChunker(tokenizer, 0, List.of(), g);
        int[] expected = new int[Chunk.LENGTH];
        expected[0] = START;
        expected[1] = A;
        expected[2] = END;
        assertArrayEquals(expected, zero.chunk("a").get(0).ids());
        assertEquals(Chunk.empty(START, END, 0), zero.emptyChunk());
        assertEquals(Chunk.empty(START, END, 0), zero.chunk("").get(0));
        // unlike A1111, an end token written in the prompt does not start the padding
        int[] written = zero.chunk("a <|endoftext|> b").get(0).ids();
        assertArrayEquals(new int[] {START, A, END, B, END, 0}, Arrays.copyOf(written, 6));
        // the closing end of a full chunk; a split large group is start + 75 + end
        assertArrayEquals(
                concat(new int[] {START}, repeat(A, 75), new int[] {END}),
                zero.chunk(words("a", 76)).get(0).ids());
    }

    @Test
    void shortWordThatWouldStraddleMovesWhole() {
        // WORDS: "redfoxes" is 2 tokens (red, foxes</w>); 74 + 2 > 75
        List<Chunk> chunks = chunker(Grouping.WORDS).chunk(words("a", 74) + " redfoxes");
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, repeat(A, 74)), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, 1893, 24145), chunks.get(1).ids());
        // SEGMENTS: the whole 74-token segment is one large group; the short weighted segment moves
        List<Chunk> segments = chunker(Grouping.SEGMENTS).chunk(words("a", 74) + " (red fox:1.2)");
        assertEquals(2, segments.size());
        assertArrayEquals(wrapped(END, repeat(A, 74)), segments.get(0).ids());
        assertArrayEquals(wrapped(END, RED_WORD, FOX), segments.get(1).ids());
        assertEquals(1.2f, segments.get(1).weight(1));
        assertEquals(1.2f, segments.get(1).weight(2));
        assertEquals(1f, segments.get(1).weight(3));
    }

    @Test
    void largeGroupStraddles() {
        // WORDS: "redfox-a1111" is one word of 8 tokens: it fills the chunk and goes on
        List<Chunk> chunks = chunker(Grouping.WORDS).chunk(words("a", 74) + " redfox-a1111");
        int[] word = Arrays.copyOfRange(tokenizer.encode("redfox-a1111"), 1, 9);
        assertEquals(2, chunks.size());
        assertArrayEquals(
                concat(new int[] {START}, repeat(A, 74), new int[] {word[0], END}),
                chunks.get(0).ids());
        assertArrayEquals(
                wrapped(END, Arrays.copyOfRange(word, 1, 8)), chunks.get(1).ids());
        // SEGMENTS: in one segment the 76 tokens split at 75 whatever the words
        List<Chunk> segment = chunker(Grouping.SEGMENTS).chunk(words("a", 74) + " redfoxes");
        assertArrayEquals(
                concat(new int[] {START}, repeat(A, 74), new int[] {1893, END}),
                segment.get(0).ids());
        assertArrayEquals(wrapped(END, 24145), segment.get(1).ids());
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void embeddingWordBecomesSlots(Grouping g) {
        ComfyChunker c = chunker(g, new TextualInversion("redfox-a1111", 2));
        Chunk chunk = c.chunk("a (embedding:redfox-a1111:1.3) b").get(0);
        assertArrayEquals(wrapped(END, A, 0, 0, B), chunk.ids());
        assertEquals(new EmbeddingSlot("redfox-a1111", 0), chunk.slot(2));
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), chunk.slot(3));
        assertEquals(1.3f, chunk.weight(2));
        assertEquals(1f, chunk.weight(4));
        // the file name with its extension, and trailing commas kept as text
        assertEquals(
                chunk.slot(2), c.chunk("a embedding:redfox-a1111.pt b").get(0).slot(2));
        Chunk comma = c.chunk("a embedding:redfox-a1111, b").get(0);
        assertArrayEquals(wrapped(END, A, 0, 0, 267, B), comma.ids());
        // an unknown embedding is dropped
        assertArrayEquals(
                wrapped(END, A, B), c.chunk("a embedding:nothing b").get(0).ids());
    }

    @Test
    void segmentsEndTheEmbeddingNameAtAngleOrSquareBracket() {
        ComfyChunker c = chunker(Grouping.SEGMENTS, new TextualInversion("redfox-a1111", 2));
        Chunk chunk = c.chunk("embedding:redfox-a1111[b]").get(0);
        assertArrayEquals(
                wrapped(END, concat(new int[] {0, 0}, Arrays.copyOfRange(tokenizer.encode("[b]"), 1, 4))), chunk.ids());
        // not after whitespace: no embedding
        assertFalse(c.chunk("a,embedding:redfox-a1111").get(0).hasSlots());
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void shortEmbeddingThatDoesNotFitClosesTheChunk(Grouping g) {
        ComfyChunker c = chunker(g, new TextualInversion("redfox-a1111", 2));
        List<Chunk> chunks = c.chunk(words("a", 74) + " embedding:redfox-a1111");
        assertEquals(2, chunks.size());
        assertArrayEquals(wrapped(END, repeat(A, 74)), chunks.get(0).ids());
        assertArrayEquals(wrapped(END, 0, 0), chunks.get(1).ids());
        assertEquals(new EmbeddingSlot("redfox-a1111", 1), chunks.get(1).slot(2));
    }

    @ParameterizedTest
    @EnumSource(Grouping.class)
    void embeddingOfEightOrMoreVectorsStraddles(Grouping g) {
        ComfyChunker c = chunker(g, new TextualInversion("big", 10));
        List<Chunk> chunks = c.chunk(words("a", 70) + " embedding:big");
        assertEquals(2, chunks.size());
        assertEquals(new EmbeddingSlot("big", 4), chunks.get(0).slot(75));
        assertEquals(END, chunks.get(0).id(76));
        assertEquals(new EmbeddingSlot("big", 5), chunks.get(1).slot(1));
        assertEquals(new EmbeddingSlot("big", 9), chunks.get(1).slot(5));
        assertEquals(END, chunks.get(1).id(6));
    }

    @Test
    void wordsUseTheVocabularyEntryAsWritten() {
        // "Cat</w>" is no entry, so it is tokenized (lowercased); "cat</w>" is
        ComfyChunker c = chunker(Grouping.WORDS);
        assertArrayEquals(wrapped(END, 2368, 2368), c.chunk("Cat cat").get(0).ids());
        assertArrayEquals(wrapped(END, A, B), c.chunk("a\nb").get(0).ids());
    }
}
