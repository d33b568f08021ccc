package sdclip.cli.command;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.option.LoraOptions;
import sdclip.cli.option.ModelOptions;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.option.PromptSyntaxOptions;
import sdclip.cli.option.Prompts;
import sdclip.cli.output.JsonWriter;
import sdclip.cli.output.Progress;
import sdclip.model.ClipScore;
import sdclip.model.EncodeRequest;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;

/**
 * {@code sdclip similarity}: per prompt, the cosine between two models' text embeddings; the
 * experiment this project grew from (SD 1.5's encoder with ViT-L/14's projection against
 * ViT-L/14 itself).
 */
@Command(
        name = "similarity",
        mixinStandardHelpOptions = true,
        description = "Cosine similarity of two models' text embeddings, per prompt and on average.")
public final class SimilarityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "A",
            description = "The first model: " + ModelPaths.FORMS + ".")
    Path model;

    @Option(
            names = "--projection",
            paramLabel = "P",
            description = "A CLIP file or folder whose text projection A borrows (SD 1.x has none).")
    Path projection;

    @Option(
            names = "--against",
            required = true,
            paramLabel = "B",
            description = "The second model, in any form --model takes.")
    Path against;

    @Option(names = "--against-projection", paramLabel = "Q", description = "A text projection for B to borrow.")
    Path againstProjection;

    @Option(
            names = "--against-heads",
            paramLabel = "N[,N]",
            split = ",",
            description = "Attention heads of B (default: config.json, else width / 64).")
    int[] againstHeads;

    @Option(
            names = "--encoder",
            paramLabel = "1|2",
            description = "Which text encoder of an SDXL model (default: its pooled encoder, 2).")
    Integer encoder;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    Prompts prompts;

    @Mixin
    PromptSyntaxOptions syntax;

    @Mixin
    LoraOptions loras;

    @Option(names = "--json", description = "Print {\"results\": [{\"text\", \"cosine\"}], \"mean\"}.")
    boolean json;

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        projection = modelPaths.resolve(projection);
        against = modelPaths.resolve(against);
        againstProjection = modelPaths.resolve(againstProjection);
        int which = OptionChecks.encoder("--encoder", encoder);
        syntax.check();
        OptionChecks.headValues("--against-heads", againstHeads);
        List<String> texts = prompts.read();
        syntax.requireOneTextEach(texts, "similarity");
        TextEncoder.Options optsB = modelOptions.options(againstProjection).withHeads(againstHeads);
        OptionChecks.headCount("--against-heads", againstHeads, against);
        float[] a, b;
        int dimA, dimB;
        try (TextEncoder encA = modelOptions.open(model, projection)) {
            a = embeds(encA, texts, model, which, true);
            dimA = a.length / texts.size();
        }
        try (TextEncoder encB = TextEncoder.open(against, optsB)) {
            b = embeds(encB, texts, against, which, false);
            dimB = b.length / texts.size();
        }
        if (dimA != dimB)
            throw new IllegalArgumentException(
                    "text embeddings differ in size: " + model + " gives " + dimA + ", " + against + " gives " + dimB);
        double[] cos = new double[texts.size()];
        double mean = 0;
        for (int n = 0; n < texts.size(); n++) {
            cos[n] = ClipScore.cosine(a, n, b, n, dimA);
            mean += cos[n] / texts.size();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(texts, cos, mean));
        } else {
            for (int n = 0; n < texts.size(); n++) out.printf(Locale.ROOT, "%.8f  %s%n", cos[n], texts.get(n));
            out.printf(Locale.ROOT, "%.8f  mean of %d prompt(s)%n", mean, texts.size());
        }
        out.flush();
        return 0;
    }

    /** The {@code --json} line (a zero embedding's cosine is NaN, written as null). */
    static String json(List<String> texts, double[] cos, double mean) {
        StringBuilder sb = new StringBuilder("{\"results\": [");
        for (int n = 0; n < texts.size(); n++) {
            sb.append(n > 0 ? ", " : "")
                    .append("{\"text\": ")
                    .append(JsonWriter.string(texts.get(n)))
                    .append(", \"cosine\": ")
                    .append(JsonWriter.number(cos[n]))
                    .append('}');
        }
        return sb.append("], \"mean\": ")
                .append(JsonWriter.number(mean))
                .append('}')
                .toString();
    }

    /**
     * The text embeddings of encoder {@code which} of a model with several (0: the last, the one
     * with a projection); a one-encoder model uses its one, so SDXL's encoder 2 compares with CLIP.
     */
    private float[] embeds(TextEncoder enc, List<String> texts, Path path, int which, boolean withLoras)
            throws IOException {
        int count = enc.configs().size();
        if (count > 1) OptionChecks.encoderExists("--encoder", which, enc.checkpoint());
        PromptOptions options = syntax.options(modelPaths, spec.commandLine().getErr());
        // --lora is the first model's; both read the prompts' tags from the same folders.
        options = withLoras ? loras.apply(options, modelPaths) : options.withLoraFolders(loras.folders(modelPaths));
        EncodeRequest request = EncodeRequest.pooledOnly()
                .encoder(count == 1 ? 0 : which != 0 ? which : count)
                .prompts(options)
                .progress(new Progress(spec.commandLine().getErr(), modelOptions.quiet()));
        LoraOptions.warn(enc, texts, request, spec.commandLine().getErr());
        var e = enc.encode(texts, request);
        if (!e.has("text_embeds")) {
            throw new IllegalArgumentException(
                    path
                            + ": this text encoder has no text projection; borrow one with --projection / --against-projection (a CLIP model)");
        }
        return e.textEmbeds().floats();
    }
}
