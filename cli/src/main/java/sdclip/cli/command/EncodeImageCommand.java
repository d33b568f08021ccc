package sdclip.cli.command;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.RunOptions;
import sdclip.cli.option.VisionOptions;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.cli.output.Progress;
import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageEncoding;
import sdclip.model.ImageOutput;
import sdclip.model.ImageRequest;
import sdclip.model.json.Json;

/** {@code sdclip encode-image}: a CLIP model's image embeddings. */
@Command(
        name = "encode-image",
        mixinStandardHelpOptions = true,
        description =
                "Encode images with a CLIP model's vision tower: image embeddings, pooled output, optionally pixel values and hidden states.")
public final class EncodeImageCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "CLIP",
            description =
                    "A CLIP model (Hugging Face CLIPModel / CLIPVisionModel(WithProjection), or OpenAI/OpenCLIP): "
                            + ModelPaths.FORMS + ".")
    Path model;

    @Mixin
    RunOptions runOptions;

    @Mixin
    ModelPaths modelPaths;

    @Mixin
    VisionOptions visionOptions;

    @Mixin
    ImageInputs inputs;

    @Option(names = "--pixel-values", description = "Also output pixel_values [M, 3, S, S] (the preprocessed input).")
    boolean pixelValues;

    @Option(names = "--hidden-states", description = "Also output vision_hidden_states [L+1, M, T, D].")
    boolean hiddenStates;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description =
                    ".safetensors or .json (every tensor), .npy (image_embeds, or --tensor), .jsonl (one object per image); - for standard output (jsonl). Written atomically.")
    Path output;

    @Option(
            names = "--tensor",
            paramLabel = "NAME",
            description = "The tensor a .npy output holds (default: image_embeds).")
    String tensor;

    /** {@code --heads}, which the text encoders' commands take: refused in words, and not in this help. */
    @Option(names = "--heads", hidden = true, arity = "0..1", fallbackValue = "", paramLabel = "N")
    void refuseHeads(String value) {
        throw new UsageException(
                "--heads is for text encoders; encode-image runs the vision tower (its heads: --vision-heads)");
    }

    /** {@code --tokenizer}, as {@link #refuseHeads}. */
    @Option(names = "--tokenizer", hidden = true, arity = "0..1", fallbackValue = "", paramLabel = "PATH")
    void refuseTokenizer(String value) {
        throw new UsageException("--tokenizer is for text encoders; encode-image runs the vision tower");
    }

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        checkOutput(); // usage errors before any image is read
        List<ImageInputs.Image> listed = inputs.read();
        List<Path> images = listed.stream().map(ImageInputs.Image::path).toList();
        List<String> names = listed.stream().map(ImageInputs.Image::name).toList();
        if (images.isEmpty()) throw new UsageException("no images: give IMAGE arguments, a folder, or --images FILE");
        try (ImageEncoder enc = ImageEncoder.open(
                model, visionOptions.options(runOptions, spec.commandLine().getErr()))) {
            if (runOptions.backend().equals("auto"))
                spec.commandLine().getErr().println("sdclip: backend auto: " + enc.backendName());
            ImageRequest request = ImageRequest.standard()
                    .progress(new Progress(spec.commandLine().getErr(), runOptions.quiet(), "images"));
            if (pixelValues) request = request.with(ImageOutput.PIXEL_VALUES);
            if (hiddenStates) request = request.with(ImageOutput.HIDDEN_STATES);
            ImageEncoding e = enc.encode(images, request);
            Encoding out = e.asEncoding();
            if (output != null) {
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("format", "pt");
                meta.put("model", model.toString());
                meta.put(
                        "images",
                        "[" + String.join(", ", names.stream().map(Json::quote).toList()) + "]"); // a JSON array
                OutputFiles.write(
                        out,
                        output,
                        spec.commandLine().getOut(),
                        tensor != null ? tensor : e.has("image_embeds") ? "image_embeds" : "image_pooled_output",
                        "image",
                        names,
                        meta);
                if (!OutputFiles.isStdout(output)) spec.commandLine().getErr().println("wrote " + output);
            } else {
                summarize(out, images.size(), spec.commandLine().getOut());
            }
        }
        return 0;
    }

    private static void summarize(Encoding e, int images, PrintWriter out) {
        for (var entry : e.tensors().entrySet()) {
            HostTensor t = entry.getValue();
            double s = 0;
            for (float v : t.floats()) s += (double) v * v;
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < Math.min(4, t.size()); i++)
                first.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.5f", t.floats()[i]));
            out.printf(
                    Locale.ROOT,
                    "%-24s %-4s %-20s  norm %.4f  first [%s%s]%n",
                    entry.getKey(),
                    t.dtype(),
                    Arrays.toString(t.shape()),
                    Math.sqrt(s),
                    first,
                    t.size() > 4 ? ", ..." : "");
        }
        out.printf("%d image(s)%n", images);
        out.flush();
    }

    /** The output (see {@link OutputChecks}) and {@code --tensor}, as {@code encode} checks them, before any image is read. */
    private void checkOutput() throws IOException {
        if (output == null) {
            if (tensor != null) throw new UsageException("--tensor is for a .npy --output");
            return;
        }
        OutputChecks.file(
                output,
                OutputFiles.EXTENSIONS,
                OutputChecks.all(
                        new OutputChecks.Input[] {
                            OutputChecks.input("model", model), OutputChecks.input("image list", inputs.list())
                        },
                        OutputChecks.inputs("input image", inputs.given())));
        OutputFiles.Format format = OutputFiles.format(output, null);
        if (tensor != null) {
            if (format != OutputFiles.Format.NPY)
                throw new UsageException("--tensor is for a .npy --output; " + output + " holds every tensor");
            List<String> names = new ArrayList<>(List.of("image_embeds", "image_pooled_output"));
            if (pixelValues) names.add("pixel_values");
            if (hiddenStates) names.add("vision_hidden_states");
            if (!names.contains(tensor))
                throw new UsageException(
                        "--tensor " + tensor + ": not an output here; choose one of " + String.join(", ", names));
        }
    }
}
