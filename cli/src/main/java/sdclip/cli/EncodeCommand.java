package sdclip.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TextEncoder;

/** {@code sdclip encode}: the conditioning and embeddings a checkpoint gives prompts. */
@Command(name = "encode", mixinStandardHelpOptions = true,
        description = "Encode prompts with a checkpoint's text encoder(s): conditioning, last hidden state, pooled output, text embeddings.")
final class EncodeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH", description = "A .safetensors file, an index.json, a diffusers folder or a Hugging Face folder.")
    Path model;

    @Mixin ModelOptions modelOptions;

    @Mixin Prompts prompts;

    @Option(names = "--projection", paramLabel = "PATH", description = "Borrow the text projection of this CLIP file or folder (SD 1.x has none).")
    Path projection;

    @Option(names = "--encoder", paramLabel = "1|2", description = "Only this text encoder (SDXL).")
    int encoder;

    @Option(names = "--clip-skip", paramLabel = "K", description = "Conditioning from block L-(K-1) (default: 1, SD 2.x: 2).")
    int clipSkip;

    @Option(names = "--hidden-states", description = "Also output hidden_states [L+1, N, 77, D].")
    boolean hiddenStates;

    @Option(names = "--output", paramLabel = "FILE", description = ".safetensors (every tensor), .npy (conditioning, or --tensor) or .json; written atomically.")
    Path output;

    @Option(names = "--tensor", paramLabel = "NAME", description = "The tensor a .npy output holds (default: conditioning).")
    String tensor;

    @Mixin ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model); projection = modelPaths.resolve(projection);
        List<String> texts = prompts.read();
        if (clipSkip < 0) throw new IllegalArgumentException("--clip-skip must be positive");
        try (TextEncoder enc = TextEncoder.open(model, modelOptions.options(projection))) {
            modelOptions.announce(enc, spec.commandLine().getErr());
            EncodeRequest request = new EncodeRequest(encoder, clipSkip, true, true, hiddenStates, true);
            Encoding e = enc.encode(texts, request, new Progress(spec.commandLine().getErr(), modelOptions.quiet));
            if (output != null) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "pt");
                meta.put("model", model.toString());
                meta.put("family", enc.checkpoint().family().id());
                meta.put("prompts", sdclip.model.json.Json.quote(String.join("\n", texts)));
                OutputFiles.write(e, output, tensor, meta);
                spec.commandLine().getErr().println("wrote " + output);
            } else {
                summarize(e, texts, spec.commandLine().getOut());
            }
        }
        return 0;
    }

    static void summarize(Encoding e, List<String> texts, PrintWriter out) {
        for (var entry : e.tensors().entrySet()) {
            HostTensor t = entry.getValue();
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < Math.min(4, t.size()); i++) first.append(i > 0 ? ", " : "").append(t.isFloat() ? String.format(Locale.ROOT, "%.5f", t.floats()[i]) : String.valueOf(t.longs()[i]));
            String norm = "";
            if (t.isFloat()) {
                double s = 0;
                for (float v : t.floats()) s += (double) v * v;
                norm = String.format(Locale.ROOT, "  norm %.4f", Math.sqrt(s));
            }
            out.printf(Locale.ROOT, "%-30s %-4s %-20s%s  first [%s%s]%n", entry.getKey(), t.dtype(), java.util.Arrays.toString(t.shape()), norm, first, t.size() > 4 ? ", ..." : "");
        }
        out.printf("%d prompt(s)%n", texts.size());
        out.flush();
    }
}
