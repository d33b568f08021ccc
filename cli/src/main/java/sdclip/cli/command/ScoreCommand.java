package sdclip.cli.command;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.cli.option.ImageInputs;
import sdclip.cli.option.LoraOptions;
import sdclip.cli.option.ModelOptions;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.option.PromptSyntaxOptions;
import sdclip.cli.option.PromptsFile;
import sdclip.cli.option.VisionOptions;
import sdclip.cli.output.JsonWriter;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.cli.output.Progress;
import sdclip.model.ClipScore;
import sdclip.model.EncodeRequest;
import sdclip.model.HostTensor;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageOutput;
import sdclip.model.ImageRequest;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/**
 * {@code sdclip score}: the cosine and a score ({@link ClipScore#CLIPSCORE} or CLIP-S) of
 * image-caption pairs, with the text tower of the CLIP model itself or of another checkpoint through the CLIP
 * model's text projection.
 */
@Command(
        name = "score",
        mixinStandardHelpOptions = true,
        description =
                "CLIPScore of images and captions: image i with prompt i, every image with every prompt (--all-pairs), or --pairs FILE.jsonl.")
public final class ScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "CLIP",
            description = "The CLIP model (vision tower, text projection, and by default text tower): "
                    + ModelPaths.FORMS + ".")
    Path model;

    @Option(
            names = "--text-model",
            paramLabel = "CKPT",
            description =
                    "Take the text tower from this checkpoint (SD 1.x, 2.x, SDXL) through the CLIP model's text projection.")
    Path textModel;

    @Option(
            names = "--encoder",
            paramLabel = "N",
            description = "Which text encoder of a --text-model with several (SDXL; default 1, CLIP-L).")
    Integer encoder;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ModelPaths modelPaths;

    @Mixin
    PromptSyntaxOptions syntax;

    @Mixin
    LoraOptions loras;

    @Mixin
    VisionOptions visionOptions;

    @Mixin
    ImageInputs inputs;

    @Mixin
    PromptsFile promptsFile;

    @Option(names = "--text", paramLabel = "TEXT", description = "A caption (repeatable; before --prompts' captions).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--all-pairs", description = "Score every image with every caption.")
    boolean allPairs;

    @Option(
            names = "--pairs",
            paramLabel = "FILE.jsonl",
            description = "Lines of {\"image\": path, \"text\": caption}; paths relative to the file.")
    Path pairsFile;

    @Option(
            names = "--metric",
            defaultValue = "clipscore",
            paramLabel = "M",
            description = {
                "clipscore (default, torchmetrics' CLIPScore): per pair max(100 cos, 0); the mean line max(100 mean(cos), 0).",
                "clip-s (Hessel et al. 2021, CLIP-S): per pair w max(cos, 0) with w = --weight; the mean line the mean of those.",
                "The cosine is printed too."
            })
    String metric;

    @Option(
            names = "--weight",
            paramLabel = "W",
            description = "CLIP-S's w (with --metric clip-s; default 2.5, as the paper): above 0, at most " + MAX_WEIGHT
                    + ".")
    String weight;

    /** Was {@code w * 100 * max(cos, 0)}, which no published metric is: refused with the replacement. */
    @Option(names = "--scale", hidden = true, paramLabel = "W")
    String removedScale;

    /** A CLIP-S weight above this has no meaning (the paper's is 2.5); it also keeps sums finite. */
    private static final double MAX_WEIGHT = 100;

    @Option(
            names = "--json",
            description =
                    "Print {\"results\": [{\"image\", \"text\", \"cosine\", \"score\"}], \"metric\", \"mean\"}; \"metric\" names the --metric that gave score and mean.")
    boolean json;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description = "Write the results to a .csv or .json file (atomically).")
    Path output;

    /** One pair, by index into the distinct images and captions. */
    record Pair(int image, int text) {}

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        textModel = modelPaths.resolve(textModel);
        syntax.check(); // before any work
        OptionChecks.encoder("--encoder", encoder);
        ClipScore.Metric scoring = metric();
        if (output != null) {
            OutputChecks.file(
                    output,
                    List.of(".csv", ".json"),
                    OutputChecks.all(
                            new OutputChecks.Input[] {
                                OutputChecks.input("model", model),
                                OutputChecks.input("text model", textModel),
                                OutputChecks.input("tokenizer", modelOptions.tokenizer()),
                                OutputChecks.input("prompts file", promptsFile.path()),
                                OutputChecks.input("pairs file", pairsFile),
                                OutputChecks.input("image list", inputs.list())
                            },
                            OutputChecks.inputs("input image", inputs.given()),
                            OutputChecks.inputs("embedding", syntax.embeddingPaths())));
        }
        checkVisionTower();
        // images: as the user wrote them, for the results; files: where they are read.
        List<Path> images = new ArrayList<>(), files = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<Pair> pairs = pairs(images, files, captions);
        HostTensor textEmbeds = textEmbeds(captions);
        HostTensor imageEmbeds;
        try (ImageEncoder enc = ImageEncoder.open(
                model,
                visionOptions.options(modelOptions.run(), spec.commandLine().getErr()))) {
            if (!enc.config().hasProjection())
                throw new IOException(
                        model + ": its vision tower has no visual projection, so it gives no image embeddings");
            imageEmbeds = enc.encode(
                            files,
                            ImageRequest.of(ImageOutput.IMAGE_EMBEDS)
                                    .progress(
                                            new Progress(spec.commandLine().getErr(), modelOptions.quiet(), "images")))
                    .imageEmbeds();
        }
        long tp = textEmbeds.shape()[1], ip = imageEmbeds.shape()[1];
        if (tp != ip)
            throw new IOException("text embeddings have " + tp + " values but " + model + "'s image embeddings " + ip
                    + "; the text tower must go through the CLIP model's text projection");
        double[] cos = new double[pairs.size()];
        for (int i = 0; i < cos.length; i++)
            cos[i] = ClipScore.cosine(textEmbeds, pairs.get(i).text, imageEmbeds, pairs.get(i).image);
        double mean = scoring.set(cos);
        if (output != null) {
            String body = lower(output).endsWith(".csv")
                    ? csv(scoring, pairs, images, captions, cos)
                    : json(scoring, pairs, images, captions, cos, mean) + "\n";
            OutputFiles.atomically(output, o -> {
                Writer w = new OutputStreamWriter(o, StandardCharsets.UTF_8);
                w.write(body);
                w.flush();
            });
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.println(json(scoring, pairs, images, captions, cos, mean));
        else if (output == null) table(out, scoring, pairs, images, captions, cos, mean);
        out.flush();
        // The results are in the file: one line says how it went, rather than the whole table.
        if (output != null)
            spec.commandLine()
                    .getErr()
                    .printf(
                            Locale.ROOT,
                            "%s %.4f over %d pair(s); wrote %s%n",
                            scoring.id(),
                            mean,
                            pairs.size(),
                            output);
        return 0;
    }

    /** The metric the options name; a usage error for anything else. */
    private ClipScore.Metric metric() {
        if (removedScale != null)
            throw new UsageException(
                    "--scale was removed: it computed w * 100 * max(cos, 0), which no published metric is; use --metric clipscore (torchmetrics) or --metric clip-s [--weight W] (the CLIP-S paper)");
        switch (metric) {
            case "clipscore" -> {
                if (weight != null) throw new UsageException("--weight is CLIP-S's w: give it with --metric clip-s");
                return ClipScore.CLIPSCORE;
            }
            case "clip-s" -> {
                double w = weight == null ? ClipScore.CLIP_S_WEIGHT : OptionChecks.decimal("--weight", weight);
                if (!(w > 0 && w <= MAX_WEIGHT))
                    throw new UsageException(
                            "--weight must be a number above 0 and at most " + MAX_WEIGHT + ", not " + weight);
                return ClipScore.clipS(w);
            }
            default -> throw new UsageException("--metric " + metric + ": unknown (use clipscore or clip-s)");
        }
    }

    /** Before any work: scores need the CLIP model's vision tower, whatever the text tower. */
    private void checkVisionTower() throws IOException {
        try (Checkpoint c = Checkpoint.open(model, null, visionOptions.visionHeads())) {
            if (!c.hasVisionTower()) {
                throw new IOException(model + ": has no CLIP vision tower (family "
                        + c.family().id() + "); score needs a CLIP model for --model"
                        + (textModel == null ? " (a Stable Diffusion checkpoint goes in --text-model)" : ""));
            }
        }
    }

    private static String lower(Path p) {
        return p.getFileName().toString().toLowerCase(Locale.ROOT);
    }

    /** Fills the distinct images (as written, and their files) and captions and returns the pairs to score, or a usage error. */
    private List<Pair> pairs(List<Path> images, List<Path> files, List<String> captions) throws IOException {
        List<ImageInputs.Image> given = inputs.read();
        List<String> prompts = new ArrayList<>(texts);
        if (promptsFile.path() != null) prompts.addAll(promptsFile.read(List.of()));
        List<Pair> pairs = new ArrayList<>();
        if (pairsFile != null) {
            if (!given.isEmpty() || !prompts.isEmpty() || allPairs)
                throw new UsageException(
                        "--pairs takes the images and captions from its file: give no IMAGE, --images, --prompts, --text or --all-pairs with it");
            readPairs(images, files, captions, pairs);
            return pairs;
        }
        if (given.isEmpty())
            throw new UsageException("no images: give IMAGE arguments, a folder, --images FILE or --pairs FILE");
        if (prompts.isEmpty()) throw new UsageException("no captions: give --prompts FILE or --text TEXT");
        for (ImageInputs.Image i : given) {
            images.add(Path.of(i.name()));
            files.add(i.path());
        }
        captions.addAll(prompts);
        if (allPairs) {
            for (int i = 0; i < images.size(); i++) for (int j = 0; j < captions.size(); j++) pairs.add(new Pair(i, j));
        } else {
            if (images.size() != captions.size()) {
                throw new UsageException(images.size() + " image(s) but " + captions.size()
                        + " caption(s): image i goes with caption i (or give --all-pairs)");
            }
            for (int i = 0; i < images.size(); i++) pairs.add(new Pair(i, i));
        }
        return pairs;
    }

    private void readPairs(List<Path> images, List<Path> files, List<String> captions, List<Pair> pairs)
            throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(pairsFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(pairsFile + ": no such pairs file");
        } catch (MalformedInputException e) {
            throw new IOException(pairsFile + ": not UTF-8 text");
        }
        Path base = pairsFile.toAbsolutePath().getParent();
        Map<Path, Integer> imageIndex = new LinkedHashMap<>();
        Map<String, Integer> textIndex = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) continue;
            Map<String, Object> o;
            try {
                o = Json.parseObject(lines.get(n));
            } catch (JsonException e) {
                throw new IOException(pairsFile + ": line " + (n + 1) + ": " + e.getMessage());
            }
            if (!(o.get("image") instanceof String image) || !(o.get("text") instanceof String text)) {
                throw new IOException(pairsFile + ": line " + (n + 1) + " needs string \"image\" and \"text\" fields");
            }
            Path p = base.resolve(image).normalize(); // read from here, printed as written
            int i = imageIndex.computeIfAbsent(p, k -> {
                files.add(k);
                images.add(Path.of(image));
                return images.size() - 1;
            });
            int j = textIndex.computeIfAbsent(text, k -> {
                captions.add(k);
                return captions.size() - 1;
            });
            pairs.add(new Pair(i, j));
        }
        if (pairs.isEmpty())
            throw new UsageException(pairsFile + ": no pairs (lines of {\"image\": ..., \"text\": ...})");
    }

    /** {@code text_embeds [N, P]} of the captions: the CLIP model's own text tower, or --text-model's through the CLIP projection. */
    private HostTensor textEmbeds(List<String> captions) throws IOException {
        Path tower = textModel != null ? textModel : model;
        int number = OptionChecks.encoder("--encoder", encoder);
        try (TextEncoder enc = modelOptions.open(tower, textModel != null ? model : null)) {
            int encoders = enc.configs().size();
            if (encoders > 1) OptionChecks.encoderExists("--encoder", number, enc.checkpoint());
            // SDXL, SD3: the encoder that takes the CLIP model's projection, CLIP-L (1), unless --encoder says.
            EncodeRequest req = EncodeRequest.pooledOnly()
                    .encoder(encoders == 1 ? 0 : number == 0 ? 1 : number)
                    .prompts(loras.apply(
                            syntax.options(modelPaths, spec.commandLine().getErr()), modelPaths))
                    .progress(new Progress(spec.commandLine().getErr(), modelOptions.quiet()));
            syntax.requireOneTextEach(captions, "score");
            LoraOptions.warn(enc, captions, req, spec.commandLine().getErr());
            var e = enc.encode(captions, req);
            if (!e.has("text_embeds"))
                throw new IOException(tower + ": this text encoder has no text projection"
                        + (textModel != null ? " and " + model + " none to lend" : ""));
            return e.get("text_embeds");
        }
    }

    private void table(
            PrintWriter out,
            ClipScore.Metric scoring,
            List<Pair> pairs,
            List<Path> images,
            List<String> captions,
            double[] cos,
            double mean) {
        out.printf(Locale.ROOT, "%-9s %-11s %s%n", scoring.id(), "cosine", "image  text");
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            out.printf(
                    Locale.ROOT,
                    "%-9.4f %-11.8f %s  %s%n",
                    scoring.pair(cos[i]),
                    cos[i],
                    images.get(p.image),
                    captions.get(p.text));
        }
        out.printf(Locale.ROOT, "%-9.4f %s of %d pair(s)%n", mean, scoring.id(), pairs.size());
    }

    private String json(
            ClipScore.Metric scoring,
            List<Pair> pairs,
            List<Path> images,
            List<String> captions,
            double[] cos,
            double mean) {
        StringBuilder sb = new StringBuilder("{\"results\": [");
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            sb.append(i > 0 ? ", " : "")
                    .append("{\"image\": ")
                    .append(Json.quote(images.get(p.image).toString()))
                    .append(", \"text\": ")
                    .append(Json.quote(captions.get(p.text)))
                    .append(", \"cosine\": ")
                    .append(JsonWriter.number(cos[i]))
                    .append(", \"score\": ")
                    .append(JsonWriter.number(scoring.pair(cos[i])))
                    .append('}');
        }
        return sb.append("], \"metric\": ")
                .append(Json.quote(scoring.id()))
                .append(", \"mean\": ")
                .append(JsonWriter.number(mean))
                .append('}')
                .toString();
    }

    private String csv(
            ClipScore.Metric scoring, List<Pair> pairs, List<Path> images, List<String> captions, double[] cos) {
        StringBuilder sb = new StringBuilder("image,text,cosine," + scoring.id() + "\n");
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            sb.append(csvField(images.get(p.image).toString()))
                    .append(',')
                    .append(csvField(captions.get(p.text)))
                    .append(',')
                    .append(cos[i])
                    .append(',')
                    .append(scoring.pair(cos[i]))
                    .append('\n');
        }
        return sb.toString();
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
    private static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
