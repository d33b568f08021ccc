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

    @Mixin PromptSyntaxOptions syntax;

    @Option(names = "--projection", paramLabel = "PATH", description = "Borrow the text projection of this CLIP file or folder (SD 1.x has none).")
    Path projection;

    @Option(names = "--encoder", paramLabel = "1|2", description = "Only this text encoder (SDXL).")
    Integer encoder;

    @Option(names = "--clip-skip", paramLabel = "K", description = "Conditioning from block L-(K-1) (default: 1, SD 2.x: 2).")
    Integer clipSkip;

    @Option(names = "--hidden-states", description = "Also output hidden_states [L+1, N, 77, D].")
    boolean hiddenStates;

    @Option(names = "--output", paramLabel = "FILE", description = ".safetensors (every tensor), .npy (conditioning, or --tensor) or .json; written atomically.")
    Path output;

    @Option(names = "--tensor", paramLabel = "NAME", description = "The tensor a .npy output holds (default: conditioning).")
    String tensor;

    @Override
    public Integer call() throws Exception {
        // Usage checks (OptionChecks): before opening the model, then right after, before any work.
        // With a syntax the conditioning is chunked; there is no last hidden state to write.
        EncodeRequest request = new EncodeRequest(OptionChecks.encoder("--encoder", encoder), OptionChecks.clipSkip(clipSkip), true, syntax.plain(), hiddenStates, true);
        OptionChecks.outputFormat(output);
        List<String> texts = prompts.read();
        try (TextEncoder enc = modelOptions.open(model, projection)) {
            OptionChecks.encoderExists("--encoder", request.encoder(), enc.checkpoint());
            OptionChecks.clipSkipInRange(request.clipSkip(), enc.checkpoint(), request.encoder());
            OptionChecks.tensorName(tensor, enc, request, projection != null);
            Encoding e = enc.encode(texts, request, syntax.options(), new Progress(spec.commandLine().getErr(), modelOptions.quiet));
            if (output != null) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "pt");
                meta.put("model", model.toString());
                meta.put("family", enc.checkpoint().family().id());
                if (!syntax.plain()) meta.put("syntax", syntax.name());
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
