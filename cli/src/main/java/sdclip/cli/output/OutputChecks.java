package sdclip.cli.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import sdclip.cli.UsageException;

/**
 * The rules every command that writes a file follows, checked before its model is opened, so no
 * run does its work and then cannot save it: a format the command knows, not one of the run's
 * inputs (usage errors, exit 2), and a folder that exists (no command creates one) and takes a
 * new file (exit 1). Room on the disk is checked later, once the model gives the sizes
 * ({@link OutputFiles#checkSpace}).
 */
public final class OutputChecks {
    /** An input of the run, named as the user knows it ("model", "prompts file"); a null path is no input. */
    public record Input(String what, Path path) {}

    private OutputChecks() {}

    public static Input input(String what, Path path) {
        return new Input(what, path);
    }

    /** Several inputs of one kind ("input image", "embeddings"), as {@link #file} takes them. */
    public static Input[] inputs(String what, List<Path> paths) {
        return paths.stream().map(p -> new Input(what, p)).toArray(Input[]::new);
    }

    /** Joins input lists for {@link #file}. */
    public static Input[] all(Input[]... groups) {
        return Stream.of(groups).flatMap(Stream::of).toArray(Input[]::new);
    }

    /**
     * Checks a file output. {@code formats} are the extensions the command writes, and {@code -}
     * when it takes standard output (which needs no other check).
     */
    public static void file(Path output, List<String> formats, Input... inputs) throws IOException {
        if (formats.contains("-") && OutputFiles.isStdout(output)) return;
        String name = output.getFileName() == null
                ? ""
                : output.getFileName().toString().toLowerCase(Locale.ROOT);
        if (formats.stream().noneMatch(f -> !f.equals("-") && name.endsWith(f))) {
            throw new UsageException(output + ": unknown output format (use " + describe(formats) + ")");
        }
        notAnInput(output, inputs);
        if (Files.isDirectory(output)) throw new IOException("cannot write " + output + ": it is a folder");
        writableFolder(output);
    }

    /** Checks a folder output, which the command creates whole: it must not exist yet. */
    public static void newFolder(Path output) throws IOException {
        if (Files.exists(output)) throw new IOException(output + ": already exists; give a new folder");
        writableFolder(output);
    }

    /** ".safetensors, .npy or .json, or - for standard output". */
    static String describe(List<String> formats) {
        List<String> files = formats.stream().filter(f -> !f.equals("-")).toList();
        String list = files.size() == 1
                ? files.getFirst()
                : String.join(", ", files.subList(0, files.size() - 1)) + " or " + files.getLast();
        return formats.contains("-") ? list + ", or - for standard output" : list;
    }

    /**
     * Refuses an output that is one of the run's inputs (or a file inside an input folder, such
     * as a diffusers model): writing there would replace it.
     */
    static void notAnInput(Path output, Input... inputs) throws IOException {
        if (!Files.exists(output)) return;
        Path out = output.toAbsolutePath().normalize();
        for (Input in : inputs) {
            Path p = in.path();
            if (p == null || p.toString().equals("-") || !Files.exists(p)) continue;
            if (Files.isSameFile(output, p))
                throw new UsageException(output + ": is the " + in.what() + "; writing it would replace it");
            if (Files.isDirectory(p) && out.startsWith(p.toAbsolutePath().normalize())) {
                throw new UsageException(
                        output + ": is a file of the " + in.what() + " folder " + p + "; writing it would replace it");
            }
        }
    }

    /**
     * The output's folder exists and a file can be created there. Creating (and deleting) one is
     * the only sure test: permission bits say nothing to root, or of a read-only mount.
     */
    private static void writableFolder(Path output) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) throw new IOException("cannot write " + output + ": no folder " + dir);
        if (!Files.isWritable(dir))
            throw new IOException("cannot write " + output + ": folder " + dir + " is not writable");
        try {
            TempFiles.delete(TempFiles.newFile(output));
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(output, e);
        }
    }
}
