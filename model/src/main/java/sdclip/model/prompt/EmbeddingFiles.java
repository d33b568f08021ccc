package sdclip.model.prompt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import sdclip.model.ModelFormatException;
import sdclip.model.PromptException;
import sdclip.model.format.TensorFiles;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorStore;

/**
 * Textual inversion embeddings read from files, their vectors held as float32 arrays. Formats,
 * recognised by the tensors a file holds (torch files through the safe pickle reader, never
 * Python's or Java's deserialization):
 * <ul>
 * <li>AUTOMATIC1111 {@code .pt}: {@code string_to_param} with exactly one entry, {@code [n, D]};
 * <li>kohya {@code .safetensors}: {@code emb_params [n, D]};
 * <li>SDXL {@code .safetensors}: {@code clip_l [n, 768]} and {@code clip_g [n, 1280]}, one table
 *     per text encoder;
 * <li>diffusers {@code .bin} / {@code .safetensors}: one tensor {@code {token: [D] or [n, D]}}.
 * </ul>
 * The trigger is the file's stem ({@code redfox-a1111} for {@code redfox-a1111.pt}); a diffusers
 * file's stored token ({@code <fox-token>}) triggers it too. A folder contributes every
 * {@code .pt}, {@code .bin} and {@code .safetensors} file under it, in path order, following
 * symbolic links; where two files share a name the first one wins (A1111 and ComfyUI likewise take
 * one file per name). A file in a folder that is not a textual inversion (a hypernetwork, a LoRA,
 * a broken download) is left out and listed in {@link #skipped()}, as A1111 reports and skips
 * it; files of other extensions (a README, preview images) are not looked at. A model keeps only
 * the embeddings that fit its encoders ({@link #fitting}): a folder may mix SD 1.x and SDXL
 * files, as A1111 skips the ones that do not fit, but a file named on its own must fit. Immutable.
 */
public final class EmbeddingFiles {
    private static final List<String> EXTENSIONS = List.of(".safetensors", ".pt", ".bin");
    private static final String A1111_PREFIX = "string_to_param.";
    private static final String SINGLE = "", CLIP_L = "clip_l", CLIP_G = "clip_g";

    /** One table of vectors: {@code [vectors, width]} row-major. */
    private record Table(String key, int width, float[] values) {}

    /**
     * One file's embedding.
     *
     * @param token a diffusers file's stored token, else null
     * @param inFolder whether it was found in a folder (left out where it does not fit) rather than named
     */
    private record Entry(
            String name, String token, Path file, boolean inFolder, int vectors, Map<String, Table> tables) {}

    /**
     * A file found in a folder that was left out.
     *
     * @param file the file
     * @param reason why, without the file name (e.g. {@code not a textual inversion embedding (...)})
     */
    public record Skipped(Path file, String reason) {}

    private final List<Entry> entries;
    private final List<Skipped> skipped;
    private final Map<String, Entry> byName = new LinkedHashMap<>();
    private final List<TextualInversion> inversions;

    private EmbeddingFiles(List<Entry> entries, List<Skipped> skipped) {
        this.entries = List.copyOf(entries);
        this.skipped = List.copyOf(skipped);
        for (Entry e : entries) byName.putIfAbsent(e.name(), e);
        for (Entry e : entries) if (e.token() != null && !e.token().isBlank()) byName.putIfAbsent(e.token(), e);
        List<TextualInversion> list = new ArrayList<>();
        byName.forEach((name, e) -> list.add(new TextualInversion(name, e.vectors())));
        this.inversions = List.copyOf(list);
    }

    /** {@return an empty set of embeddings} */
    public static EmbeddingFiles none() {
        return new EmbeddingFiles(List.of(), List.of());
    }

    /**
     * Reads embedding files and folders.
     *
     * @param paths files ({@code .pt}, {@code .bin}, {@code .safetensors}) or folders of them
     *     (symbolic links followed); may be empty
     * @return the embeddings by trigger, first file per name, and the folders' files that were
     *     not textual inversions ({@link #skipped()})
     * @throws IOException naming the file, where one named on its own is missing or cannot be
     *     read, or naming the folder, where its links form a loop
     * @throws PromptException naming the file, where one named on its own is not a textual inversion
     */
    public static EmbeddingFiles load(List<Path> paths) throws IOException {
        List<Entry> entries = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                for (Path f : filesUnder(p)) {
                    try {
                        entries.add(read(f, true));
                    } catch (IOException | PromptException notAnEmbedding) {
                        skipped.add(new Skipped(f, reason(f, notAnEmbedding)));
                    }
                }
            } else if (!Files.exists(p)) {
                throw new IOException(p + ": no such embedding file or folder");
            } else if (extension(p) == null) {
                throw new PromptException(p + ": not a textual inversion file (.pt, .bin or .safetensors)");
            } else {
                entries.add(read(p, false));
            }
        }
        return new EmbeddingFiles(entries, skipped);
    }

    /** The message of a file's failure without the file name that {@link #read} puts first. */
    private static String reason(Path file, Exception e) {
        String prefix = file + ": ", message = e.getMessage();
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    /** The embedding files under a folder, in path order; a linked folder counts as its target. */
    private static List<Path> filesUnder(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder, FileVisitOption.FOLLOW_LINKS)) {
            return walk.filter(f -> Files.isRegularFile(f) && extension(f) != null)
                    .sorted()
                    .toList();
        } catch (UncheckedIOException e) {
            // The walk throws mid-stream, wrapped; a loop of links is the likely case.
            IOException cause = e.getCause();
            if (cause instanceof FileSystemLoopException loop) {
                throw new IOException(folder + ": symbolic links form a loop at " + loop.getFile(), loop);
            }
            throw new IOException(folder + ": cannot list the embeddings folder: " + cause.getMessage(), cause);
        }
    }

    /** {@return the files found in folders that were left out as not textual inversions, in path order} */
    public List<Skipped> skipped() {
        return skipped;
    }

    /** {@return the triggers and vector counts, for the chunkers: each file's stem, then any diffusers token} */
    public List<TextualInversion> inversions() {
        return inversions;
    }

    /** {@return whether there are no embeddings} */
    public boolean isEmpty() {
        return byName.isEmpty();
    }

    /**
     * The vectors of an embedding for one text encoder, {@code [n, width]} row-major.
     *
     * @param name a trigger from {@link #inversions()}
     * @param encoder the encoder, from 1 as everywhere in the API
     * @param encoders how many text encoders the model has: with 2 (SDXL, SD3) encoder 1 takes
     *     {@code clip_l}, encoder 2 {@code clip_g}; with 1 a file's one table, or the one of
     *     {@code clip_l} / {@code clip_g} whose width matches
     * @param width the encoder's width
     * @return a copy of the vectors, n x width values
     * @throws PromptException naming the file, where it has no table for this encoder
     *     or the widths differ
     */
    public float[] vectors(String name, int encoder, int encoders, int width) {
        Entry e = byName.get(name);
        if (e == null) throw new IllegalArgumentException("no textual inversion embedding named " + name);
        return fit(e, encoder, encoders, width).values().clone();
    }

    private static Table fit(Entry e, int encoder, int encoders, int width) {
        Table t = table(e, encoder - 1, encoders, width);
        if (t.width() != width) {
            throw new PromptException(e.file() + ": embedding vectors have width " + t.width() + " but text encoder "
                    + encoder + " has width " + width);
        }
        return t;
    }

    /**
     * The embeddings that fit a model's encoders, as {@link #vectors} would take them: files found
     * in a folder that do not fit are left out (their triggers stay plain words, and a later file
     * of the same name may take their place); a file named on its own must fit.
     *
     * @param encoders how many text encoders the model has
     * @param widths the width of each encoder that will run, by its number from 1
     * @return the fitting embeddings
     * @throws PromptException naming the file and both widths, for the first named file
     *     with no table for an encoder or another width
     */
    public EmbeddingFiles fitting(int encoders, Map<Integer, Integer> widths) {
        List<Entry> kept = new ArrayList<>();
        for (Entry e : entries) {
            try {
                widths.forEach((encoder, width) -> fit(e, encoder, encoders, width));
                kept.add(e);
            } catch (PromptException misfit) {
                if (!e.inFolder()) throw misfit;
            }
        }
        return new EmbeddingFiles(kept, skipped);
    }

    private static Table table(Entry e, int encoder, int encoders, int width) {
        Map<String, Table> tables = e.tables();
        if (tables.containsKey(SINGLE)) {
            if (encoders == 2) {
                throw new PromptException(e.file() + ": holds one table of width "
                        + tables.get(SINGLE).width()
                        + "; a model with two text encoders (SDXL) needs clip_l and clip_g");
            }
            return tables.get(SINGLE);
        }
        if (encoders == 2) {
            String key = encoder == 0 ? CLIP_L : CLIP_G;
            Table t = tables.get(key);
            if (t == null)
                throw new PromptException(e.file() + ": has no " + key + " table for text encoder " + (encoder + 1)
                        + " (an SDXL model needs clip_l and clip_g)");
            return t;
        }
        for (Table t : tables.values()) if (t.width() == width) return t;
        Table first = tables.values().iterator().next();
        return tables.values().stream()
                .filter(t -> t.key().equals(CLIP_L))
                .findFirst()
                .orElse(first);
    }

    private static String extension(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : EXTENSIONS) if (name.endsWith(ext) && name.length() > ext.length()) return ext;
        return null;
    }

    private static Entry read(Path file, boolean inFolder) throws IOException {
        String fileName = file.getFileName().toString();
        String stem = fileName.substring(0, fileName.length() - extension(file).length());
        // Opened as checkpoints are (torch by the first bytes, whatever the extension); a .pt or .bin
        // that is neither format says so rather than quoting the safetensors reader.
        try (TensorStore store = TensorFiles.open(file)) {
            Set<String> names = new TreeSet<>(store.names());
            Map<String, Table> tables = new LinkedHashMap<>();
            String token = null;
            List<String> a1111 =
                    names.stream().filter(n -> n.startsWith(A1111_PREFIX)).toList();
            if (!a1111.isEmpty()) {
                if (a1111.size() != 1)
                    throw new PromptException(
                            file + ": string_to_param holds " + a1111.size() + " tensors, expected one");
                tables.put(SINGLE, table(store, a1111.getFirst(), SINGLE));
            } else if (names.contains("emb_params")) {
                tables.put(SINGLE, table(store, "emb_params", SINGLE));
            } else if (names.contains(CLIP_L) || names.contains(CLIP_G)) {
                for (String key : List.of(CLIP_L, CLIP_G))
                    if (names.contains(key)) tables.put(key, table(store, key, key));
            } else if (names.size() == 1 && !isParameterName(names.iterator().next())) {
                token = names.iterator().next();
                tables.put(SINGLE, table(store, token, SINGLE));
            } else {
                throw new PromptException(file
                        + ": not a textual inversion embedding (expected string_to_param, emb_params, clip_l and clip_g, or one tensor; found "
                        + (names.isEmpty()
                                ? "no tensors"
                                : String.join(
                                        ", ",
                                        names.stream()
                                                .limit(8)
                                                .map(n -> n.isEmpty() ? "\"\"" : n) // a tensor named "" must show
                                                .toList()))
                        + ")");
            }
            int vectors = tables.values().iterator().next().values().length
                    / tables.values().iterator().next().width();
            for (Table t : tables.values()) {
                int n = t.values().length / t.width();
                if (n != vectors)
                    throw new PromptException(
                            file + ": " + tables.keySet().iterator().next() + " has " + vectors + " vectors but "
                                    + t.key() + " has " + n);
            }
            if (vectors < 1 || vectors > Chunk.CAPACITY)
                throw new PromptException(file + ": " + vectors + " vectors; a chunk holds 1 to " + Chunk.CAPACITY);
            return new Entry(stem, token, file, inFolder, vectors, Map.copyOf(tables));
        } catch (FileSystemException e) { // its message is the bare path
            String why = e instanceof AccessDeniedException
                    ? "permission denied"
                    : e.getReason() != null ? e.getReason() : "cannot be read";
            throw new IOException(file + ": " + why, e);
        } catch (IllegalArgumentException | ModelFormatException e) {
            // Readable, but not an embedding: a prompt problem, named by the file.
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new PromptException(message.contains(file.toString()) ? message : file + ": " + message, e);
        } catch (IOException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IOException(message.contains(file.toString()) ? message : file + ": " + message, e);
        }
    }

    /**
     * Whether a lone tensor's key names a network's parameter ({@code lora_up.weight},
     * {@code proj.bias}) rather than a diffusers embedding's token ({@code <cat-toy>}).
     */
    private static boolean isParameterName(String key) {
        return key.endsWith(".weight") || key.endsWith(".bias") || key.endsWith(".alpha");
    }

    /** A {@code [D]} or {@code [n, D]} tensor as a table. */
    private static Table table(TensorStore store, String name, String key) throws IOException {
        TensorInfo info = store.require(name);
        long[] shape = info.shape();
        if (shape.length < 1 || shape.length > 2 || shape[shape.length - 1] < 1) {
            throw new PromptException(store.path() + ": tensor " + name + " has shape " + info.shapeString()
                    + ", expected [D] or [n, D]");
        }
        int width = Math.toIntExact(shape[shape.length - 1]);
        return new Table(key, width, store.floats(name));
    }
}
