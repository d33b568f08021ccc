package sdclip.cli.option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import picocli.CommandLine.Option;
import sdclip.cli.UsageException;
import sdclip.model.EncodeRequest;
import sdclip.model.Lora;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;

/**
 * {@code --lora} and {@code --loras}: LoRAs merged into the text encoder(s), for the commands
 * that encode text with a model (encode, similarity's {@code --model}, score's text tower).
 */
public final class LoraOptions {
    /** A trailing {@code :WEIGHT}, a decimal number. */
    private static final Pattern WEIGHT = Pattern.compile("(.+):([+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)");

    @Option(
            names = "--lora",
            paramLabel = "FILE|NAME[:WEIGHT]",
            description =
                    "A LoRA (or LyCORIS LoHa/LoKr) merged into the text encoder(s) with this weight, ComfyUI's strength_clip (default 1): a .safetensors/.pt file, or a name found by file name in --loras and the models folders' models/Lora, models/LyCORIS, models/loras. Repeatable: stacked LoRAs add. Every syntax; with --syntax a1111, <lora:NAME:WEIGHT> tags in a prompt add theirs for that prompt.")
    List<String> loras = new ArrayList<>();

    @Option(
            names = "--loras",
            paramLabel = "DIR",
            description =
                    "A folder of LoRAs (searched with its subfolders) for --lora names and A1111's <lora:NAME> tags, before the models folders' (repeatable).")
    List<Path> folders = new ArrayList<>();

    /** {@return the folders LoRA names are looked up in: {@code --loras}, then the models folders'} */
    public List<Path> folders(ModelPaths paths) {
        List<Path> all = new ArrayList<>(folders);
        all.addAll(paths.loraFolders());
        return all;
    }

    /**
     * {@code options} with the {@code --lora}s, each file or name resolved, and the LoRA folders.
     *
     * @throws IllegalArgumentException when a {@code --lora} names no file and no LoRA in the folders, or several
     * @throws UsageException for a folder of {@code --loras} that is not one
     */
    public PromptOptions apply(PromptOptions options, ModelPaths paths) throws IOException {
        for (Path f : folders) if (!Files.isDirectory(f)) throw new UsageException("--loras " + f + " is not a folder");
        List<Path> all = folders(paths);
        List<Lora> list = new ArrayList<>();
        for (String value : loras) list.add(lora(value, all));
        return options.withLoras(list).withLoraFolders(all);
    }

    /** One {@code --lora}: a file as given, else a name in the folders; a trailing {@code :WEIGHT} when it is a number. */
    private static Lora lora(String value, List<Path> folders) throws IOException {
        if (value.isEmpty()) throw new UsageException("Invalid value for option '--lora': an empty path");
        String what = value;
        double weight = 1;
        var m = WEIGHT.matcher(value);
        int colon = value.lastIndexOf(':');
        boolean asGiven = Files.exists(Path.of(value)); // a file whose name holds a colon is that file
        if (!asGiven && m.matches()) {
            what = m.group(1);
            weight = Double.parseDouble(m.group(2));
        } else if (!asGiven && colon > 0) {
            throw new UsageException("--lora " + value + ": the weight \"" + value.substring(colon + 1)
                    + "\" is not a number (give FILE or NAME, then optionally :WEIGHT, e.g. :0.8)");
        }
        if (!Double.isFinite(weight)) throw new UsageException("--lora " + value + ": the weight is not finite");
        Path file = Path.of(what);
        if (Files.isDirectory(file))
            throw new UsageException("--lora " + value + ": is a folder; give a LoRA file or name (--loras " + what
                    + " looks names up in a folder)");
        if (Files.isRegularFile(file)) return new Lora(file, weight);
        Path found = Lora.find(what, folders);
        if (found == null)
            throw new IllegalArgumentException(
                    "--lora " + value + ": no file " + what + ", and no LoRA of that name in "
                            + (folders.isEmpty() ? "a LoRA folder (give --loras DIR or --models-dir)" : folders));
        return new Lora(found, weight);
    }

    /** Prints the library's notes for this run (LoRA tags skipped, networks ignored) as warning lines. */
    public static void warn(TextEncoder enc, List<String> texts, EncodeRequest request, PrintWriter err)
            throws IOException {
        for (String note : enc.notes(texts, request)) err.println("sdclip: warning: " + note);
    }
}
