package sdclip.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * CLIP's tokenizer, id for id the OpenAI reference ({@code simple_tokenizer.py} and
 * {@code clip.tokenize}): text cleaning as ftfy + {@code html.unescape}, the reference
 * pre-tokenizer pattern, byte-level BPE, start and end tokens, truncation that keeps the end
 * token, and padding. Immutable and thread-safe.
 */
public final class ClipTokenizer {
    /** CLIP's context length for text. */
    public static final int CONTEXT_LENGTH = 77;
    /** Where users get a vocabulary, for error messages. */
    public static final String WHERE_TO_GET =
            "bpe_simple_vocab_16e6.txt.gz from the OpenAI CLIP repository (clip/), or the tokenizer/ folder of any SD 1.x diffusers model";

    private final Vocabulary vocab;
    private final BytePairEncoder bpe;

    private ClipTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.bpe = new BytePairEncoder(vocab);
    }

    /**
     * Loads a vocabulary: a {@code .txt.gz} file (OpenAI), a {@code vocab.json} with
     * {@code merges.txt} beside it, or a folder holding {@code vocab.json} and {@code merges.txt}
     * (or {@code bpe_simple_vocab_16e6.txt.gz}).
     *
     * @param path the file or folder
     * @return the tokenizer
     * @throws IOException when the path is missing, holds no vocabulary, or a file is unreadable or malformed; the
     *                     message names the file
     */
    public static ClipTokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path vocabJson = path.resolve("vocab.json"), merges = path.resolve("merges.txt");
            if (Files.isRegularFile(vocabJson) && Files.isRegularFile(merges))
                return new ClipTokenizer(Vocabulary.huggingFace(vocabJson, merges));
            Path gz = path.resolve("bpe_simple_vocab_16e6.txt.gz");
            if (Files.isRegularFile(gz)) return new ClipTokenizer(Vocabulary.openAi(gz));
            throw new IOException(
                    path + ": no tokenizer here (expected vocab.json and merges.txt, or bpe_simple_vocab_16e6.txt.gz)");
        }
        if (!Files.isRegularFile(path)) throw new IOException(path + ": no such tokenizer file or folder");
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) {
            Path merges = path.resolveSibling("merges.txt");
            if (!Files.isRegularFile(merges)) throw new IOException(path + ": merges.txt is missing beside it");
            return new ClipTokenizer(Vocabulary.huggingFace(path, merges));
        }
        return new ClipTokenizer(Vocabulary.openAi(path));
    }

    /**
     * Finds the vocabulary: {@code explicit} when given; else the model folder's own
     * {@code tokenizer/}; else the {@code SDCLIP_TOKENIZER} environment variable; else an error
     * that says what is missing and where to get it.
     *
     * @param explicit    a vocabulary file or folder for {@link #load}, or null
     * @param modelFolder the folder of the model, or null for a single-file checkpoint
     * @return the tokenizer
     * @throws IOException when no vocabulary is found or the one found cannot be loaded
     */
    public static ClipTokenizer locate(Path explicit, Path modelFolder) throws IOException {
        if (explicit != null) return load(explicit);
        if (modelFolder != null && Files.isDirectory(modelFolder.resolve("tokenizer")))
            return load(modelFolder.resolve("tokenizer"));
        String env = System.getenv("SDCLIP_TOKENIZER");
        if (env != null && !env.isBlank()) return load(Path.of(env));
        throw new IOException(
                "no CLIP vocabulary: no tokenizer path given, no tokenizer/ folder beside the model, and SDCLIP_TOKENIZER is not set; get "
                        + WHERE_TO_GET);
    }

    /** {@return the id of {@code <|startoftext|>} (49406 in CLIP's vocabulary)} */
    public int startId() {
        return vocab.startId;
    }

    /** {@return the id of {@code <|endoftext|>} (49407 in CLIP's vocabulary)} */
    public int endId() {
        return vocab.endId;
    }

    /** {@return the number of ids, including the start and end tokens (49408 for CLIP)} */
    public int vocabularySize() {
        return vocab.tokens.length;
    }

    /**
     * The vocabulary string of an id.
     *
     * @param id a token id
     * @return its string: byte-level characters, {@code </w>} at word ends
     * @throws IllegalArgumentException when the id is not in the vocabulary
     */
    public String token(int id) {
        if (id < 0 || id >= vocab.tokens.length || vocab.tokens[id] == null)
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary");
        return vocab.tokens[id];
    }

    /**
     * The cleaned text the pre-tokenizer runs on ({@link TextCleaner#clean}).
     *
     * @param text any text
     * @return the cleaned, lower-cased text
     */
    public String normalize(String text) {
        return TextCleaner.clean(text);
    }

    /**
     * The pre-tokens of the cleaned text: the pieces BPE encodes one by one.
     *
     * @param text any text
     * @return words, numbers and punctuation runs of the cleaned text, in order; empty for blank text
     */
    public List<String> pieces(String text) {
        return PreTokenizer.pieces(normalize(text));
    }

    /**
     * Tokenizes without a length limit. A literal {@code <|startoftext|>} or {@code <|endoftext|>} in the text
     * becomes that special token.
     *
     * @param text any text
     * @return {@code [start] + BPE(text) + [end]}, neither truncated nor padded; {@code [start, end]} for blank text
     */
    public int[] encode(String text) {
        List<String> pieces = pieces(text);
        int[] ids = new int[Math.max(16, pieces.size() * 2 + 2)];
        int n = 0;
        ids[n++] = vocab.startId;
        for (String piece : pieces) {
            int[] part = switch (piece) {
                case PreTokenizer.START -> new int[] {vocab.startId};
                case PreTokenizer.END -> new int[] {vocab.endId};
                default -> bpe.encode(piece);
            };
            if (n + part.length + 1 > ids.length)
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, n + part.length + 1));
            System.arraycopy(part, 0, ids, n, part.length);
            n += part.length;
        }
        ids[n++] = vocab.endId;
        return Arrays.copyOf(ids, n);
    }

    /**
     * {@code clip.tokenize}: at most {@code context} ids, the last forced to the end token when
     * cut; then padded to {@code context} with {@code padId}, or not padded when it is negative.
     *
     * @param text    any text
     * @param context the most ids, at least 2 ({@link #CONTEXT_LENGTH} for CLIP)
     * @param padId   the id that fills up to {@code context} (the end id for OpenAI CLIP, 0 for OpenCLIP), or
     *                negative for no padding
     * @return {@code context} ids, or fewer when not padded
     */
    public int[] encode(String text, int context, int padId) {
        return fit(encode(text), context, padId);
    }

    /**
     * Truncates (keeping the end token last) and pads ids to {@code context}; {@code padId < 0} pads nothing.
     *
     * @param ids     ids from {@link #encode(String)}; not modified
     * @param context the most ids, at least 1
     * @param padId   the id that fills up to {@code context}, or negative for no padding
     * @return {@code context} ids, or fewer when not padded (then possibly {@code ids} itself)
     */
    public int[] fit(int[] ids, int context, int padId) {
        int[] out;
        if (ids.length > context) {
            out = Arrays.copyOf(ids, context);
            out[context - 1] = vocab.endId;
        } else {
            out = ids;
        }
        if (padId < 0 || out.length == context) return out;
        int[] padded = Arrays.copyOf(out, context);
        Arrays.fill(padded, out.length, context, padId);
        return padded;
    }

    /**
     * Ids back to text, as the reference's {@code decode}: word ends become spaces, bad UTF-8 becomes U+FFFD.
     * Start and end tokens come out as their text.
     *
     * @param ids token ids
     * @return the text (cleaned and lower-cased, as the tokenizer saw it)
     * @throws IllegalArgumentException when an id is not in the vocabulary
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            String t = token(id);
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                int b = c < Vocabulary.ByteLevel.CHAR_TO_BYTE.length ? Vocabulary.ByteLevel.CHAR_TO_BYTE[c] : -1;
                if (b < 0)
                    throw new IllegalStateException("token " + id + " holds a character outside the byte alphabet");
                bytes.write(b);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8).replace("</w>", " ");
    }

    /**
     * The vocabulary strings of ids.
     *
     * @param ids token ids
     * @return their strings, one per id, as {@link #token} gives them
     * @throws IllegalArgumentException when an id is not in the vocabulary
     */
    public List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) out.add(token(id));
        return out;
    }
}
