package sdclip.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A LoRA (or LyCORIS LoHa / LoKr) file and the weight its text-encoder part is merged with:
 * ComfyUI's {@code strength_clip}, A1111's text-encoder multiplier (the first number of
 * {@code <lora:name:0.8>}). Given to {@link PromptOptions#withLoras}; formats and arithmetic are
 * in docs/prompt-syntax.md.
 *
 * @param file the network file: {@code .safetensors}, or a PyTorch {@code .pt} / {@code .ckpt}
 * @param weight its text-encoder weight (1 is the network as trained, 0 leaves the encoder as it is)
 */
public record Lora(Path file, double weight) {
    /** The extensions A1111 lists LoRA files by, in lookup order. */
    public static final List<String> EXTENSIONS = List.of(".safetensors", ".pt", ".ckpt");

    /** How deep {@link #find} looks below each folder (A1111 walks its LoRA folder's whole tree). */
    private static final int MAX_DEPTH = 16;

    /**
     * Checks the file is given and the weight is a number.
     *
     * @throws IllegalArgumentException for an infinite or NaN weight
     */
    public Lora {
        Objects.requireNonNull(file, "file");
        if (!Double.isFinite(weight)) throw new IllegalArgumentException("LoRA weight " + weight + " is not finite");
    }

    /**
     * The file a LoRA name means, as A1111 finds {@code <lora:name>}: the file in one of the
     * folders or their subfolders (any depth) whose name without extension is {@code name},
     * with one of {@link #EXTENSIONS}.
     *
     * @param name the name, e.g. {@code detail_tweaker}
     * @param folders the folders to search; those that do not exist are skipped
     * @return the file, or null when no folder holds one
     * @throws IllegalArgumentException when several files answer to the name (the message lists them)
     * @throws IOException when a folder cannot be listed
     */
    public static Path find(String name, List<Path> folders) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path folder : folders) {
            if (!Files.isDirectory(folder)) continue;
            try (Stream<Path> s = Files.walk(folder, MAX_DEPTH)) {
                s.filter(p -> stemIs(p, name) && Files.isRegularFile(p))
                        .sorted()
                        .forEach(found::add);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        List<Path> distinct = found.stream().map(Path::normalize).distinct().toList();
        if (distinct.size() > 1)
            throw new IllegalArgumentException("LoRA name " + name + " is ambiguous: "
                    + String.join(", ", distinct.stream().map(Path::toString).toList()));
        return distinct.isEmpty() ? null : distinct.getFirst();
    }

    private static boolean stemIs(Path p, String name) {
        String file = p.getFileName().toString();
        for (String ext : EXTENSIONS) if (file.equals(name + ext)) return true;
        return false;
    }
}
