package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import sdclip.model.tokenizer.ClipTokenizer;

/**
 * AUTOMATIC1111's chunking ({@code modules/sd_hijack_clip.py}: {@code tokenize_line},
 * {@code next_chunk}, {@code process_tokens}'s padding):
 * <ul>
 * <li>each fragment is tokenized on its own, without start and end tokens, its weight rounded to
 *     float32 (as {@code torch.asarray} does);
 * <li>a chunk holds {@value Chunk#CAPACITY} positions; when a token arrives, the chunk is full and
 *     the token is not a comma, and the last comma of the chunk is at most
 *     {@code commaBacktrack} (A1111's default 20) positions before the end, everything after that
 *     comma moves to the next chunk; then a full chunk is closed. A comma that arrives at a full
 *     chunk opens the next one, and (as in A1111) is not remembered as its last comma;
 * <li>textual inversion triggers (see {@link TextualInversion}) are matched in each fragment's
 *     tokens, longest first; their {@code n} slots carry the fragment's weight, and close the
 *     chunk first when they do not fit;
 * <li>{@link Break} closes the current chunk, even an empty one; at the end an open chunk is
 *     closed if it holds anything or is the only one, so {@code "BREAK a"} gives an empty chunk
 *     then {@code a}, {@code "a BREAK"} gives one chunk, {@code "a BREAK BREAK b"} three, and the
 *     empty prompt one empty chunk;
 * <li>a closed chunk is padded with the end id and wrapped as start + 75 + end; then, when
 *     {@code padId} is not the end id (SD 2.x, SDXL's OpenCLIP G: 0), every id after the first end
 *     token becomes {@code padId}.
 * </ul>
 * One deliberate difference: when the comma backtrack moves embedding slots, A1111 leaves their
 * fixes on the old chunk (pointing at padding there, leaving the placeholder tokens uncorrected in
 * the new one, a bug); here the slots move with their positions. Immutable and thread-safe.
 */
public final class A1111Chunker {
    /** A1111's default {@code comma_padding_backtrack}. */
    public static final int DEFAULT_COMMA_BACKTRACK = 20;

    private final ClipTokenizer tokenizer;
    private final int padId;
    private final int commaBacktrack;
    private final int comma;
    private final Triggers triggers;

    /**
     * A chunker with the default comma backtrack of 20.
     *
     * @param tokenizer  the CLIP vocabulary
     * @param padId      the id after the first end token: the end id (SD 1.x, SDXL's CLIP L) or 0
     *                   (SD 2.x, SDXL's OpenCLIP G)
     * @param embeddings the textual inversions whose triggers to recognize; may be empty
     */
    public A1111Chunker(ClipTokenizer tokenizer, int padId, List<TextualInversion> embeddings) {
        this(tokenizer, padId, embeddings, DEFAULT_COMMA_BACKTRACK);
    }

    /**
     * A chunker.
     *
     * @param tokenizer the CLIP vocabulary
     * @param padId the id after the first end token: the end id (SD 1.x, SDXL's CLIP L) or 0
     *     (SD 2.x, SDXL's OpenCLIP G)
     * @param embeddings the textual inversions whose triggers to recognize
     * @param commaBacktrack A1111's {@code comma_padding_backtrack}: how far back a comma may be to
     *     move the tail of a full chunk; 0 turns it off
     */
    public A1111Chunker(ClipTokenizer tokenizer, int padId, List<TextualInversion> embeddings, int commaBacktrack) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        if (commaBacktrack < 0 || commaBacktrack > Chunk.CAPACITY)
            throw new IllegalArgumentException("comma backtrack " + commaBacktrack + " is not in 0.." + Chunk.CAPACITY);
        this.padId = padId;
        this.commaBacktrack = commaBacktrack;
        this.comma = tokenizer.encode(",")[1];
        this.triggers = new Triggers(tokenizer, embeddings);
    }

    /**
     * The chunks of a prompt in A1111 syntax.
     *
     * @param prompt the prompt; may be empty
     * @return at least one chunk; unmodifiable
     * @throws IllegalArgumentException where a weight is not a number (see {@link A1111Parser#parse})
     */
    public List<Chunk> chunk(String prompt) {
        return chunk(A1111Parser.parse(prompt));
    }

    /**
     * The chunks of parsed parts.
     *
     * @param parts fragments and breaks, from {@link A1111Parser} or {@link PromptSyntax#parse}
     * @return at least one chunk; unmodifiable
     */
    public List<Chunk> chunk(List<? extends PromptPart> parts) {
        Run run = new Run();
        for (PromptPart part : parts) {
            switch (part) {
                case Break b -> run.close();
                case Fragment f -> run.add(tokens(f.text()), (float) f.weight());
            }
        }
        if (run.open.size > 0 || run.chunks.isEmpty()) run.close();
        return List.copyOf(run.chunks);
    }

    /** {@return the empty chunk A1111 pads a batch with (its {@code empty_chunk}, after padding)} */
    public Chunk emptyChunk() {
        return Chunk.empty(tokenizer.startId(), tokenizer.endId(), padId);
    }

    private int[] tokens(String text) {
        int[] all = tokenizer.encode(text);
        return Arrays.copyOfRange(all, 1, all.length - 1);
    }

    /** The state of one {@code tokenize_line}. */
    private final class Run {
        final List<Chunk> chunks = new ArrayList<>();
        ChunkBuilder open = new ChunkBuilder();
        int lastComma = -1;

        void add(int[] tokens, float weight) {
            int position = 0;
            while (position < tokens.length) {
                int token = tokens[position];
                if (token == comma) {
                    lastComma = open.size;
                } else if (commaBacktrack != 0
                        && open.size == Chunk.CAPACITY
                        && lastComma != -1
                        && open.size - lastComma <= commaBacktrack) {
                    ChunkBuilder tail = open.cutFrom(lastComma + 1);
                    close();
                    open = tail;
                }
                if (open.size == Chunk.CAPACITY) close();
                Triggers.Trigger trigger = triggers.at(tokens, position);
                if (trigger == null) {
                    open.add(token, weight, null);
                    position++;
                    continue;
                }
                int n = trigger.embedding().vectors();
                if (open.size + n > Chunk.CAPACITY) close();
                for (int i = 0; i < n; i++)
                    open.add(
                            Chunk.SLOT_ID,
                            weight,
                            new EmbeddingSlot(trigger.embedding().name(), i));
                position += trigger.ids().length;
            }
        }

        /** {@code next_chunk}: pad with the end id, wrap in start and end, then apply {@code padId}. */
        void close() {
            ChunkBuilder wrapped = new ChunkBuilder();
            wrapped.add(tokenizer.startId(), 1f, null);
            for (int i = 0; i < open.size; i++) wrapped.add(open.ids[i], open.weights[i], open.slots[i]);
            Chunk chunk = wrapped.padded(tokenizer.endId());
            if (padId != tokenizer.endId()) {
                int[] ids = chunk.ids();
                int firstEnd = 0;
                while (ids[firstEnd] != tokenizer.endId()) firstEnd++;
                Arrays.fill(ids, firstEnd + 1, Chunk.LENGTH, padId);
                chunk = new Chunk(ids, chunk.weights(), chunk.slots());
            }
            chunks.add(chunk);
            open = new ChunkBuilder();
            lastComma = -1;
        }
    }
}
