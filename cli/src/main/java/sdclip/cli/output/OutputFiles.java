package sdclip.cli.output;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import sdclip.model.Encoding;
import sdclip.model.TensorSpec;
import sdclip.model.prompt.ScheduledPrompts;
import sdclip.model.safetensors.SafetensorsWriter;

/**
 * The output formats of {@code encode} and {@code encode-image}, and the room each needs on its
 * disk, checked before any work (the other checks of an output are {@link OutputChecks}'). Every
 * format streams: memory stays bounded by one batch whatever the number of prompts.
 */
public final class OutputFiles {
    /** An output format, by file extension; {@code -} (standard output) takes jsonl, json or npy. */
    public enum Format {
        SAFETENSORS,
        NPY,
        JSON,
        JSONL;

        String extension() {
            return "." + name().toLowerCase(Locale.ROOT);
        }

        /** The format of {@code file}'s extension, or null. */
        static Format of(Path file) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            for (Format f : values()) if (name.endsWith(f.extension())) return f;
            return null;
        }
    }

    private OutputFiles() {}

    /** The extensions of the formats, and {@code -} for standard output, for {@link OutputChecks#file}. */
    public static final List<String> EXTENSIONS = List.of(".safetensors", ".npy", ".json", ".jsonl", "-");

    /** True when {@code output} means standard output. */
    public static boolean isStdout(Path output) {
        return output != null && output.toString().equals("-");
    }

    /** The format of {@code output}: its extension, or {@code format} (default jsonl) for standard output. */
    public static Format format(Path output, String format) {
        if (isStdout(output)) {
            Format f = format == null
                    ? Format.JSONL
                    : switch (format.toLowerCase(Locale.ROOT)) {
                        case "jsonl" -> Format.JSONL;
                        case "json" -> Format.JSON;
                        case "npy" -> Format.NPY;
                        default ->
                            throw new IllegalArgumentException(
                                    "--format " + format + ": standard output takes jsonl, json or npy");
                    };
            return f;
        }
        Format f = Format.of(output);
        if (f == null)
            throw new IllegalArgumentException(output
                    + ": unknown output format (use .safetensors, .npy, .json or .jsonl, or - for standard output)");
        if (format != null && !format.equalsIgnoreCase(f.name())) {
            throw new IllegalArgumentException(
                    "--format " + format + " disagrees with " + output + "; --format is for --output -");
        }
        return f;
    }

    /** Refuses up front a run whose output will not fit on its disk ({@code bytes}: the estimate). */
    public static void checkSpace(Path output, long bytes) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        FileStore store = Files.getFileStore(dir);
        long free = store.getUsableSpace();
        if (bytes > free
                && store.getTotalSpace() > 0) { // pseudo file systems (/proc) report no sizes: let the write say why
            throw new IOException("cannot write " + output + ": it needs " + size(bytes) + " and " + dir + " has "
                    + size(free) + " free");
        }
    }

    /** Bytes in the largest unit that keeps a number of at least 1 (B, kB, MB, GB, TB). */
    static String size(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** The bytes of the tensors' values (headers aside). */
    static long dataBytes(List<TensorSpec> specs) {
        long n = 0;
        for (TensorSpec s : specs) n = Math.addExact(n, s.bytes());
        return n;
    }

    /** Characters per value in JSON text, separator included: a float as {@code -0.12345678, }, an id as {@code 49407, }. */
    static final int FLOAT_CHARS = 12, INTEGER_CHARS = 7;

    /**
     * The disk space a {@code format} output of these tensors takes while it is written: the
     * values for .safetensors and .npy; their text for .jsonl (about 3 times a float's 4 bytes),
     * plus each item's label; and for .json the text plus the raw spool it is written from.
     */
    public static long estimate(Format format, List<TensorSpec> specs, List<String> labels) {
        return switch (format) {
            case SAFETENSORS, NPY -> dataBytes(specs);
            case JSON -> Math.addExact(dataBytes(specs), textBytes(specs));
            case JSONL -> {
                long n = textBytes(specs);
                for (String l : labels) n = Math.addExact(n, l.length() + 16L); // {"text": "...", } and the newline
                yield n;
            }
        };
    }

    private static long textBytes(List<TensorSpec> specs) {
        long n = 0;
        for (TensorSpec s : specs) {
            long values = 1;
            for (long d : s.shape()) values = Math.multiplyExact(values, d);
            n = Math.addExact(n, Math.multiplyExact(values, s.dtype().startsWith("F") ? FLOAT_CHARS : INTEGER_CHARS));
        }
        return n;
    }

    /**
     * Opens the writer: to {@code output}, or to standard output ({@code out} for text, the raw
     * stream for .npy); a .jsonl object carries its label under {@code labelKey}.
     */
    public static ResultWriter open(
            Format format,
            Path output,
            PrintWriter out,
            List<TensorSpec> specs,
            String labelKey,
            List<String> labels,
            Map<String, String> metadata)
            throws IOException {
        boolean stdout = isStdout(output);
        long n = labels.size();
        return switch (format) {
            case SAFETENSORS -> new SafetensorsOutput(output, specs, n, metadata);
            case NPY ->
                new NpyOutput(
                        stdout ? null : output,
                        stdout ? new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16) : null,
                        specs.getFirst(),
                        n);
            case JSON -> new JsonOutput(stdout ? null : output, stdout ? out : null, specs, n);
            case JSONL -> new JsonlOutput(stdout ? null : output, stdout ? out : null, specs, labelKey, labels);
        };
    }

    /**
     * A {@code .jsonl} output of a scheduled A1111 run: one object per prompt with its schedule,
     * each entry with its row's tensors ({@link JsonlOutput}).
     *
     * @param output the file, or {@code -} for standard output
     * @param out standard output
     * @param specs the run's tensors
     * @param prompts the prompts as written
     * @param steps the sampling steps
     * @param schedule the run's rows
     * @return the writer
     * @throws IOException when the file cannot be created
     */
    public static ResultWriter scheduledJsonl(
            Path output,
            PrintWriter out,
            List<TensorSpec> specs,
            List<String> prompts,
            int steps,
            ScheduledPrompts schedule)
            throws IOException {
        boolean stdout = isStdout(output);
        return new JsonlOutput(
                stdout ? null : output,
                stdout ? out : null,
                specs,
                "text",
                schedule.texts(),
                new JsonlOutput.Schedule(prompts, steps, schedule));
    }

    /** Writes a file's whole body through an output stream. */
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically: into a registered temporary beside it (deleted on failure
     * and on SIGINT/SIGTERM), renamed into place when {@code body} returns.
     */
    public static void atomically(Path target, Body body) throws IOException {
        staged(target, false, tmp -> {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
        });
    }

    /** Writes a whole file at the path it is given, as the library's writers do. */
    public interface FileBody {
        void write(Path file) throws IOException;
    }

    /**
     * Writes {@code target} through a library writer that stages its own temporary beside the
     * file it is given: into a registered temporary (deleted, with the writer's own, on failure
     * and on SIGINT/SIGTERM), renamed into place when {@code body} returns. Errors name
     * {@code target}, never a temporary.
     */
    public static void throughTemporary(Path target, FileBody body) throws IOException {
        staged(target, true, body);
    }

    /** The body writes a registered temporary, renamed onto {@code target} when it returns; any failure names {@code target}. */
    private static void staged(Path target, boolean nestedWriter, FileBody body) throws IOException {
        Path tmp;
        try {
            tmp = nestedWriter ? TempFiles.newFileForNestedWriter(target) : TempFiles.newFile(target);
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(target, e);
        }
        boolean done = false;
        try {
            body.write(tmp);
            SafetensorsWriter.moveAtomically(tmp, target);
            TempFiles.forget(tmp);
            done = true;
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(target, e);
        } finally {
            if (!done) TempFiles.delete(tmp);
        }
    }

    /**
     * Writes a whole in-memory result in the format {@code file}'s extension names ({@code -}:
     * standard output through {@code out}): a .npy holds {@code npyTensor}; a .jsonl has one
     * object per item, its label from {@code labels} under {@code labelKey}. Items are every
     * tensor's outer axis, except hidden states ({@code [L+1, M, ...]}), whose items are the second.
     */
    public static void write(
            Encoding e,
            Path file,
            PrintWriter out,
            String npyTensor,
            String labelKey,
            List<String> labels,
            Map<String, String> metadata)
            throws IOException {
        Format format = format(file, null);
        List<TensorSpec> specs = new ArrayList<>();
        e.tensors().forEach((name, t) -> {
            int items = name.endsWith("hidden_states") ? 1 : 0;
            if (format != Format.NPY || name.equals(npyTensor))
                specs.add(new TensorSpec(name, t.dtype(), t.shape(), items, null));
        });
        if (specs.isEmpty())
            throw new IllegalArgumentException("no tensor \"" + npyTensor + "\" here; there are "
                    + String.join(", ", e.tensors().keySet()));
        if (!isStdout(file))
            checkSpace(file, estimate(format, specs, labels)); // the folder was checked before the work (OutputChecks)
        try (ResultWriter w = open(format, file, out, specs, labelKey, labels, metadata)) {
            w.write(0, e);
            w.finish();
        }
    }
}
