package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import sdclip.model.tokenizer.ClipTokenizer;

/**
 * ComfyUI's chunking ({@code comfy/sd1_clip.py}, {@code SDTokenizer.tokenize_with_weights}):
 * <ul>
 * <li>each segment from {@link ComfyParser} is cut into groups, see {@link Grouping}; a group of
 *     {@code embedding:NAME} becomes the embedding's slots, at the segment's weight;
 * <li>groups fill chunks of {@value Chunk#CAPACITY}: a group shorter than 8 positions that does
 *     not fit closes the chunk (end token, then padding) and starts the next; a group of 8 or more
 *     fills the chunk and continues in the next (embeddings of 8 or more vectors too). There is no
 *     comma backtrack and no {@code BREAK};
 * <li>the last chunk is always closed, so the empty prompt gives one chunk; a chunk is start,
 *     its positions, end, then {@code padId} to the end (ComfyUI pads SD 1.x and SDXL's CLIP L
 *     with the end token, SD 2.x and SDXL's CLIP G with 0). Unlike A1111, an end token written in
 *     the prompt is left alone.
 * </ul>
 * Embedding names are matched as ComfyUI finds files: the name, or the name with
 * {@code .safetensors}, {@code .pt} or {@code .bin}, case-sensitively (ComfyUI's case depends on
 * the file system); an unknown embedding is dropped (ComfyUI logs a warning), and its trailing
 * commas are kept as text. Immutable and thread-safe.
 */
public final class ComfyChunker {
    /** How ComfyUI cuts a weighted segment into groups that do not straddle chunks when short. */
    public enum Grouping {
        /**
         * ComfyUI now: the whole segment is one group, tokenized at once, except that each
         * {@code embedding:} that follows whitespace starts a new group; the embedding name ends at
         * whitespace, {@code <} or {@code [}, and the rest is tokenized as text.
         */
        SEGMENTS,
        /**
         * ComfyUI before it stopped splitting on spaces: newlines become spaces and each
         * space-separated word is a group; a word that is a vocabulary entry with {@code </w>}
         * as written (byte-level characters, no lowercasing) is that one token, others are
         * tokenized; {@code embedding:NAME} is a whole word, trailing commas after the name
         * tokenized as text.
         */
        WORDS
    }

    private static final String IDENTIFIER = "embedding:";
    private static final int MAX_WORD_LENGTH = 8;
    private static final Pattern EMBEDDING_SPLIT =
            Pattern.compile("(?<=" + PythonText.SPACE_CLASS + ")" + Pattern.quote(IDENTIFIER));
    private static final Pattern NAME_END = Pattern.compile("[<\\[]");
    private static final List<String> EXTENSIONS = List.of(".safetensors", ".pt", ".bin");

    private final ClipTokenizer tokenizer;
    private final int padId;
    private final Grouping grouping;
    private final Map<String, TextualInversion> embeddings = new HashMap<>();
    private final Map<String, Integer> vocabulary;

    /**
     * A chunker.
     *
     * @param tokenizer the CLIP vocabulary
     * @param padId the padding after the end token: the end id (SD 1.x, SDXL's CLIP L) or 0
     *     (SD 2.x, SDXL's CLIP G)
     * @param embeddings the textual inversions {@code embedding:NAME} may name
     * @param grouping which ComfyUI behaviour to follow
     */
    public ComfyChunker(ClipTokenizer tokenizer, int padId, List<TextualInversion> embeddings, Grouping grouping) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.padId = padId;
        this.grouping = Objects.requireNonNull(grouping, "grouping");
        for (TextualInversion e : embeddings) this.embeddings.putIfAbsent(e.name(), e);
        this.vocabulary = grouping == Grouping.WORDS ? vocabulary(tokenizer) : Map.of();
    }

    /**
     * The chunks of a prompt in ComfyUI syntax.
     *
     * @param prompt the prompt; may be empty
     * @return the chunks; unmodifiable
     */
    public List<Chunk> chunk(String prompt) {
        return chunk(ComfyParser.parse(prompt));
    }

    /**
     * The chunks of weighted segments.
     *
     * @param segments the segments, from {@link ComfyParser#parse}
     * @return the chunks; unmodifiable
     */
    public List<Chunk> chunk(List<Fragment> segments) {
        List<Group> groups = new ArrayList<>();
        for (Fragment f : segments) {
            float weight = (float) f.weight();
            switch (grouping) {
                case SEGMENTS -> segmentGroups(f.text(), weight, groups);
                case WORDS -> wordGroups(f.text(), weight, groups);
            }
        }
        return batches(groups);
    }

    /**
     * The empty prompt's chunk, start, end, then padding: what ComfyUI encodes as
     * {@code z_empty} for {@link ComfyWeighting} ({@code gen_empty_tokens}).
     *
     * @return the chunk, every weight 1
     */
    public Chunk emptyChunk() {
        return Chunk.empty(tokenizer.startId(), tokenizer.endId(), padId);
    }

    /** Consecutive positions that stay together when fewer than 8. */
    private record Group(int[] ids, EmbeddingSlot[] slots, float weight) {
        int size() {
            return ids.length;
        }
    }

    private void segmentGroups(String segment, float weight, List<Group> groups) {
        String[] split = EMBEDDING_SPLIT.split(segment, -1);
        List<String> words = new ArrayList<>();
        words.add(split[0]);
        for (int i = 1; i < split.length; i++) words.add(IDENTIFIER + split[i]);
        for (String word : words) {
            if (word.isEmpty()) continue;
            if (word.startsWith(IDENTIFIER)) {
                String name = stripNewlines(word.substring(IDENTIFIER.length()));
                String[] pieces = PythonText.strip(name).split(PythonText.SPACE_CLASS + "+");
                if (pieces.length == 0 || pieces[0].isEmpty()) continue; // ComfyUI fails on "embedding:" with no name
                name = pieces[0];
                String leftover = String.join(" ", Arrays.asList(pieces).subList(1, pieces.length));
                var cut = NAME_END.matcher(name);
                if (cut.find()) {
                    leftover = name.substring(cut.start()) + (leftover.isEmpty() ? "" : " " + leftover);
                    name = name.substring(0, cut.start());
                }
                TextualInversion found = find(name);
                if (found == null) {
                    String stripped = stripCommas(name);
                    if (stripped.length() < name.length()) {
                        found = find(stripped);
                        leftover = name.substring(stripped.length()) + " " + leftover;
                    }
                }
                if (found != null) groups.add(slots(found, weight));
                if (leftover.isEmpty()) continue;
                word = leftover;
            }
            groups.add(tokenGroup(tokens(word), weight));
        }
    }

    private void wordGroups(String segment, float weight, List<Group> groups) {
        for (String word : segment.replace("\n", " ").split(" ")) {
            if (word.isEmpty()) continue;
            if (word.startsWith(IDENTIFIER)) {
                String name = stripNewlines(word.substring(IDENTIFIER.length()));
                String leftover = "";
                TextualInversion found = find(name);
                if (found == null) {
                    String stripped = stripCommas(name);
                    if (stripped.length() < name.length()) {
                        found = find(stripped);
                        leftover = name.substring(stripped.length());
                    }
                }
                if (found != null) groups.add(slots(found, weight));
                if (leftover.isEmpty()) continue;
                word = leftover;
            }
            Integer exact = vocabulary.get(word + "</w>");
            groups.add(tokenGroup(exact != null ? new int[] {exact} : tokens(word), weight));
        }
    }

    private List<Chunk> batches(List<Group> groups) {
        List<Chunk> chunks = new ArrayList<>();
        ChunkBuilder batch = started();
        for (Group g : groups) {
            boolean large = g.size() >= MAX_WORD_LENGTH;
            int from = 0;
            while (from < g.size()) {
                int left = g.size() - from;
                if (left + batch.size > Chunk.LENGTH - 1) {
                    int remaining = Chunk.LENGTH - batch.size - 1;
                    if (large) {
                        for (int i = 0; i < remaining; i++) batch.add(g.ids[from + i], g.weight, g.slots[from + i]);
                        from += remaining;
                    }
                    batch.add(tokenizer.endId(), 1f, null);
                    chunks.add(batch.padded(padId));
                    batch = started();
                } else {
                    for (int i = from; i < g.size(); i++) batch.add(g.ids[i], g.weight, g.slots[i]);
                    from = g.size();
                }
            }
        }
        batch.add(tokenizer.endId(), 1f, null);
        chunks.add(batch.padded(padId));
        return List.copyOf(chunks);
    }

    private ChunkBuilder started() {
        ChunkBuilder b = new ChunkBuilder();
        b.add(tokenizer.startId(), 1f, null);
        return b;
    }

    private TextualInversion find(String name) {
        TextualInversion e = embeddings.get(name);
        if (e != null) return e;
        for (String ext : EXTENSIONS) {
            if (name.endsWith(ext)) {
                e = embeddings.get(name.substring(0, name.length() - ext.length()));
                if (e != null) return e;
            }
        }
        return null;
    }

    private static Group slots(TextualInversion e, float weight) {
        int[] ids = new int[e.vectors()];
        Arrays.fill(ids, Chunk.SLOT_ID);
        EmbeddingSlot[] slots = new EmbeddingSlot[e.vectors()];
        for (int i = 0; i < slots.length; i++) slots[i] = new EmbeddingSlot(e.name(), i);
        return new Group(ids, slots, weight);
    }

    private static Group tokenGroup(int[] ids, float weight) {
        return new Group(ids, new EmbeddingSlot[ids.length], weight);
    }

    private int[] tokens(String text) {
        int[] all = tokenizer.encode(text);
        return Arrays.copyOfRange(all, 1, all.length - 1);
    }

    private static String stripNewlines(String s) {
        int a = 0, b = s.length();
        while (a < b && s.charAt(a) == '\n') a++;
        while (b > a && s.charAt(b - 1) == '\n') b--;
        return s.substring(a, b);
    }

    private static String stripCommas(String s) {
        int a = 0, b = s.length();
        while (a < b && s.charAt(a) == ',') a++;
        while (b > a && s.charAt(b - 1) == ',') b--;
        return s.substring(a, b);
    }

    /** The vocabulary's strings to ids, as {@code tokenizer.get_vocab()}. */
    private static Map<String, Integer> vocabulary(ClipTokenizer tokenizer) {
        Map<String, Integer> map = new HashMap<>(tokenizer.vocabularySize() * 2);
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            try {
                map.putIfAbsent(tokenizer.token(id), id);
            } catch (IllegalArgumentException missing) {
                // a hole in the id range
            }
        }
        return map;
    }
}
