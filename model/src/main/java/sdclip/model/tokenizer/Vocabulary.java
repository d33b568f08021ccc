package sdclip.model.tokenizer;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import sdclip.model.ModelFormatException;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * The byte-level BPE vocabulary: token strings by id, and each merge as (left id, right id) ->
 * (rank, merged id). Loads OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} and Hugging Face's
 * {@code vocab.json} + {@code merges.txt}; both give the same 49408 ids for CLIP.
 */
final class Vocabulary {
    static final String START = PreTokenizer.START, END = PreTokenizer.END;
    /** Merges OpenAI's tokenizer uses from its file: 49152 - 256 - 2. */
    private static final int OPENAI_MERGES = 48894;

    final String[] tokens;
    final Map<String, Integer> ids;
    /** (left << 32 | right) -> rank; the merged id is {@link #mergedIds}[rank]. */
    final Map<Long, Integer> ranks;

    final int[] mergedIds;
    /** Id of each byte's character, alone and with {@code </w>}. */
    final int[] byteIds = new int[256], byteEndIds = new int[256];

    final int startId, endId;
    final String source;

    private Vocabulary(Map<String, Integer> ids, List<String[]> merges, String source) {
        this.source = source;
        this.ids = Map.copyOf(ids);
        int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.tokens = new String[size];
        ids.forEach((t, id) -> {
            if (id < 0)
                throw new IllegalArgumentException(source + ": negative id " + id + " for token " + Json.quote(t));
            tokens[id] = t;
        });
        char[] byteChars = ByteLevel.BYTE_TO_CHAR;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = require(String.valueOf(byteChars[b]));
            byteEndIds[b] = require(byteChars[b] + "</w>");
        }
        this.startId = require(START);
        this.endId = require(END);
        this.ranks = new HashMap<>(merges.size() * 2);
        this.mergedIds = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String[] m = merges.get(r);
            int a = require(m[0]), b = require(m[1]);
            mergedIds[r] = require(m[0] + m[1]);
            ranks.putIfAbsent((long) a << 32 | b, r);
        }
    }

    private int require(String token) {
        Integer id = ids.get(token);
        if (id == null)
            throw new IllegalArgumentException(source + ": the vocabulary has no token " + Json.quote(token));
        return id;
    }

    /** Rank of merging (a, b), or -1. */
    int rank(int a, int b) {
        Integer r = ranks.get((long) a << 32 | b);
        return r == null ? -1 : r;
    }

    /** OpenAI's gzip file: a header line, then one merge per line; ids follow from the merges. */
    static Vocabulary openAi(Path gz) throws IOException {
        List<String> lines = new ArrayList<>(OPENAI_MERGES);
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(new GZIPInputStream(Files.newInputStream(gz)), StandardCharsets.UTF_8))) {
            r.readLine(); // header
            for (String line; lines.size() < OPENAI_MERGES && (line = r.readLine()) != null; ) lines.add(line);
        } catch (ZipException e) {
            throw new ModelFormatException(gz, "not a gzip file (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw unreadable(gz, e);
        }
        List<String[]> merges = new ArrayList<>(lines.size());
        for (String line : lines) merges.add(splitMerge(line, gz, merges.size() + 2));
        if (merges.size() < OPENAI_MERGES)
            throw new ModelFormatException(gz, merges.size() + " merges, expected " + OPENAI_MERGES);
        Map<String, Integer> ids = new HashMap<>();
        char[] byteChars = ByteLevel.VOCAB_ORDER;
        for (char c : byteChars) ids.put(String.valueOf(c), ids.size());
        for (char c : byteChars) ids.put(c + "</w>", ids.size());
        // As OpenAI builds its dict from a list: id = list position, a repeated string keeps its last.
        for (int r = 0; r < merges.size(); r++) ids.put(merges.get(r)[0] + merges.get(r)[1], 512 + r);
        ids.put(START, 512 + merges.size());
        ids.put(END, 513 + merges.size());
        return new Vocabulary(ids, merges, gz.toString());
    }

    /** Hugging Face files: {@code vocab.json} (token -> id) and {@code merges.txt} ({@code #version} line, then merges). */
    static Vocabulary huggingFace(Path vocabJson, Path mergesTxt) throws IOException {
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(vocabJson));
        } catch (IOException | JsonException e) {
            throw unreadable(vocabJson, e);
        }
        Map<String, Integer> ids = new HashMap<>(json.size() * 2);
        for (var e : json.entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                throw new ModelFormatException(
                        vocabJson,
                        "token " + Json.quote(e.getKey()) + " has id " + e.getValue()
                                + ", expected a non-negative integer");
            }
            ids.put(e.getKey(), id.intValue());
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw unreadable(mergesTxt, e);
        }
        List<String[]> merges = new ArrayList<>();
        int lineNo = 0;
        for (String line : lines) {
            lineNo++;
            if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) continue;
            merges.add(splitMerge(line, mergesTxt, lineNo));
        }
        try {
            return new Vocabulary(ids, merges, vocabJson.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(vocabJson, e.getMessage(), e);
        }
    }

    /** A read that failed part way (a truncated or corrupt file, bad UTF-8, not JSON), as one line naming the file. */
    private static IOException unreadable(Path file, Exception e) {
        String reason = switch (e) {
            case EOFException _ -> "the file ends early (truncated?)";
            case CharacterCodingException _ -> "not UTF-8 text";
            case AccessDeniedException _ -> "permission denied";
            case NoSuchFileException _ -> "no such file";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
        return new IOException(file + ": cannot read the vocabulary: " + reason, e);
    }

    private static String[] splitMerge(String line, Path file, int lineNo) throws IOException {
        int space = line.indexOf(' ');
        if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
            throw new ModelFormatException(
                    file, "line " + lineNo + " is not a merge of two tokens: " + Json.quote(line));
        }
        return new String[] {line.substring(0, space), line.substring(space + 1)};
    }

    /** GPT-2's reversible byte <-> printable character mapping. */
    static final class ByteLevel {
        /** The 256 characters in vocabulary order: printable Latin-1 bytes first, then the rest shifted past U+0100. */
        static final char[] VOCAB_ORDER = new char[256];

        static final char[] BYTE_TO_CHAR = new char[256];
        static final int[] CHAR_TO_BYTE = new int[512];

        static {
            List<Integer> bytes = new ArrayList<>();
            for (int b = '!'; b <= '~'; b++) bytes.add(b);
            for (int b = 0xA1; b <= 0xAC; b++) bytes.add(b);
            for (int b = 0xAE; b <= 0xFF; b++) bytes.add(b);
            List<Integer> chars = new ArrayList<>(bytes);
            int extra = 0;
            for (int b = 0; b < 256; b++) {
                if (!bytes.contains(b)) {
                    bytes.add(b);
                    chars.add(256 + extra++);
                }
            }
            Arrays.fill(CHAR_TO_BYTE, -1);
            for (int i = 0; i < 256; i++) {
                VOCAB_ORDER[i] = (char) (int) chars.get(i);
                BYTE_TO_CHAR[bytes.get(i)] = (char) (int) chars.get(i);
                CHAR_TO_BYTE[chars.get(i)] = bytes.get(i);
            }
        }
    }
}
