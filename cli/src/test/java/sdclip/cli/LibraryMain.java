package sdclip.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import sdclip.model.Encoding;
import sdclip.model.TextEncoder;

/**
 * A library user's program, for {@link NoFlagsJvmTest} to run in a fresh JVM: opens a model
 * with the default options (backend {@code cpu}), encodes the prompts, writes every tensor to a
 * safetensors file and prints the backend's name. Arguments: MODEL HEADS TOKENIZER OUTPUT PROMPT...
 */
public final class LibraryMain {
    private LibraryMain() {}

    public static void main(String[] args) throws Exception {
        TextEncoder.Options options = TextEncoder.Options.defaults()
                .withHeads(Integer.parseInt(args[1]))
                .withTokenizer(Path.of(args[2]));
        try (TextEncoder encoder = TextEncoder.open(Path.of(args[0]), options)) {
            Encoding e = encoder.encode(Arrays.asList(args).subList(4, args.length));
            e.writeSafetensors(Path.of(args[3]), Map.of());
            System.out.println(encoder.backendName());
        }
    }
}
