package sdclip.cli.command;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.UsageException;
import sdclip.cli.option.LoraOptions;
import sdclip.cli.option.ModelOptions;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.OptionChecks;
import sdclip.cli.option.PromptSyntaxOptions;
import sdclip.cli.option.Prompts;
import sdclip.cli.output.OutputChecks;
import sdclip.cli.output.OutputFiles;
import sdclip.cli.output.Progress;
import sdclip.cli.output.ResultWriter;
import sdclip.cli.output.SummaryOutput;
import sdclip.model.EncodeRequest;
import sdclip.model.PromptOptions;
import sdclip.model.TensorSpec;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.json.Json;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.prompt.ScheduledPrompts;

/**
 * {@code sdclip encode}: the conditioning and embeddings a checkpoint gives prompts, written as
 * batches finish (memory bounded by a batch), after every check that can be made up front.
 */
@Command(
        name = "encode",
        mixinStandardHelpOptions = true,
        description =
                "Encode prompts with a checkpoint's text encoder(s): conditioning, last hidden state, pooled output, text embeddings.")
public final class EncodeCommand implements Callable<Integer> {
    /** What a prompt syntax can give (the chunked encoder has no hidden states). */
    private static final EncodeRequest SYNTAX_OUTPUTS =
            EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);

    /** Safetensors metadata carries the prompts up to this size (a header must stay small). */
    private static final int MAX_PROMPTS_METADATA = 1 << 20;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "PATH",
            description = "The checkpoint: " + ModelPaths.FORMS + ".")
    Path model;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    Prompts prompts;

    @Mixin
    PromptSyntaxOptions syntax;

    @Mixin
    LoraOptions loras;

    @Option(
            names = "--projection",
            paramLabel = "PATH",
            description = "Borrow the text projection of this CLIP file or folder (SD 1.x has none).")
    Path projection;

    @Option(names = "--encoder", paramLabel = "1|2", description = "Only this text encoder (SDXL, SD3).")
    Integer encoder;

    @Option(
            names = "--clip-skip",
            paramLabel = "K",
            description =
                    "Conditioning from hidden state K counted from the end, as A1111 and ComfyUI count it: 1 the last block (default: SD 1.x 1, SD 2.x and SDXL 2).")
    Integer clipSkip;

    @Option(names = "--hidden-states", description = "Also output hidden_states [L+1, N, 77, D].")
    boolean hiddenStates;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description =
                    ".safetensors, .npy (one tensor), .json or .jsonl (one object per prompt); - for standard output (jsonl, or --format). Written atomically, as batches finish.")
    Path output;

    @Option(
            names = "--format",
            paramLabel = "FMT",
            description = "The format of --output -: jsonl (default), json or npy.")
    String format;

    @Option(
            names = "--tensors",
            paramLabel = "NAME",
            split = ",",
            description = "The tensors to write (default: each distinct tensor once; see docs/commands.md).")
    List<String> tensors;

    @Option(
            names = "--tensor",
            paramLabel = "NAME",
            description = "The tensor a .npy output holds (default: conditioning).")
    String tensor;

    @Mixin
    ModelPaths modelPaths;

    @Override
    public Integer call() throws Exception {
        model = modelPaths.resolve(model);
        projection = modelPaths.resolve(projection);
        // Usage checks (OptionChecks): before opening the model, then right after, before any work.
        int number = OptionChecks.encoder("--encoder", encoder), skip = OptionChecks.clipSkip(clipSkip);
        syntax.check();
        if (hiddenStates && !syntax.plain())
            throw new UsageException("--hidden-states is not available with --syntax " + syntax.name());
        OutputFiles.Format fmt = null;
        if (output != null) {
            OutputChecks.file(
                    output,
                    OutputFiles.EXTENSIONS,
                    OutputChecks.all(
                            new OutputChecks.Input[] {
                                OutputChecks.input("model", model),
                                OutputChecks.input("projection", projection),
                                OutputChecks.input("tokenizer", modelOptions.tokenizer()),
                                OutputChecks.input("prompts file", prompts.file())
                            },
                            OutputChecks.inputs("embedding", syntax.embeddingPaths())));
            try {
                fmt = OutputFiles.format(output, format);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else if (format != null) {
            throw new UsageException("--format is for --output -");
        }
        List<String> texts = prompts.read();
        try (TextEncoder enc = modelOptions.open(model, projection)) {
            OptionChecks.encoderExists("--encoder", number, enc.checkpoint());
            OptionChecks.clipSkipInRange(skip, enc.checkpoint(), number);
            Progress progress = new Progress(spec.commandLine().getErr(), modelOptions.quiet());
            // One path for every syntax: the specs first (the file's layout), then batches as they finish.
            PromptOptions options =
                    loras.apply(syntax.options(modelPaths, spec.commandLine().getErr()), modelPaths);
            EncodeRequest everything = (syntax.plain() ? EncodeRequest.standard() : SYNTAX_OUTPUTS)
                    .encoder(number)
                    .clipSkip(skip)
                    .prompts(options);
            if (hiddenStates) everything = everything.with(TextOutput.HIDDEN_STATES);
            LoraOptions.warn(enc, texts, everything, spec.commandLine().getErr());
            List<TensorSpec> selected = select(enc.outputs(texts, everything), fmt);
            EncodeRequest request = requestFor(selected)
                    .encoder(number)
                    .clipSkip(skip)
                    .prompts(options)
                    .progress(progress);
            // A1111 schedules: a row per schedule entry, labelled by its text (the library reads them the same way).
            List<String> rows = texts;
            ScheduledPrompts schedule = null;
            if (syntax.syntax() == PromptSyntax.A1111) {
                ScheduledPrompts s = ScheduledPrompts.of(texts, syntax.steps());
                if (s.isScheduled()) {
                    rows = s.texts();
                    schedule = s;
                }
            }
            // The names depend on the prompts only through the schedule: one row tells them without tokenizing the
            // run again.
            List<String> produced =
                    enc.outputs(rows == texts ? texts.subList(0, Math.min(1, texts.size())) : texts, request).stream()
                            .map(TensorSpec::name)
                            .toList();
            for (TensorSpec s : selected)
                if (!produced.contains(s.name()))
                    throw new IllegalStateException(request + " does not produce " + s.name());
            try (ResultWriter writer = writer(enc, texts, rows, schedule, selected, fmt, options)) {
                enc.stream(texts, request, writer::write);
                writer.finish();
            }
        }
        if (output != null && !OutputFiles.isStdout(output))
            spec.commandLine().getErr().println("wrote " + output);
        return 0;
    }

    /** The summary on stdout, or the output file's writer after a check that its disk has room. */
    private ResultWriter writer(
            TextEncoder enc,
            List<String> texts,
            List<String> rows,
            ScheduledPrompts schedule,
            List<TensorSpec> selected,
            OutputFiles.Format fmt,
            PromptOptions options)
            throws IOException {
        if (output == null) return new SummaryOutput(spec.commandLine().getOut(), selected, texts.size());
        if (!OutputFiles.isStdout(output)) OutputFiles.checkSpace(output, OutputFiles.estimate(fmt, selected, rows));
        // A scheduled run's .jsonl: one object per prompt, its rows in its schedule.
        if (fmt == OutputFiles.Format.JSONL && schedule != null)
            return OutputFiles.scheduledJsonl(
                    output, spec.commandLine().getOut(), selected, texts, syntax.steps(), schedule);
        Map<String, String> meta = metadata(enc, texts);
        if (!syntax.plain()) meta.put("syntax", syntax.name());
        if (syntax.syntax() == PromptSyntax.A1111) meta.put("steps", String.valueOf(syntax.steps()));
        // The --lora files and weights, one "file:weight" a line (prompts' own tags are in the prompts).
        if (!options.loras().isEmpty())
            meta.put(
                    "loras",
                    String.join(
                            "\n",
                            options.loras().stream()
                                    .map(l -> l.file() + ":" + l.weight())
                                    .toList()));
        return OutputFiles.open(fmt, output, spec.commandLine().getOut(), selected, "text", rows, meta);
    }

    /**
     * The tensors to write: {@code --tensors}, else for .npy {@code --tensor} (default
     * conditioning), else every tensor that repeats no other (see {@link TensorSpec#copyOf}).
     */
    private List<TensorSpec> select(List<TensorSpec> available, OutputFiles.Format fmt) {
        Map<String, TensorSpec> byName = new LinkedHashMap<>();
        for (TensorSpec s : available) byName.put(s.name(), s);
        List<String> names;
        if (fmt == OutputFiles.Format.NPY) {
            if (tensors != null && tensor != null) throw new UsageException("give --tensor or --tensors, not both");
            if (tensors != null && tensors.size() != 1)
                throw new UsageException("a .npy output holds one tensor; --tensors names " + tensors.size());
            names = List.of(tensors != null ? tensors.getFirst() : tensor != null ? tensor : "conditioning");
        } else {
            if (tensor != null) throw new UsageException("--tensor is for .npy outputs; use --tensors NAME,...");
            names = tensors;
        }
        if (names == null)
            return available.stream().filter(s -> s.copyOf() == null).toList();
        Set<String> unique = new LinkedHashSet<>();
        for (String n : names) {
            if (!byName.containsKey(n)) {
                String hint = n.equals("hidden_states") || n.endsWith(".hidden_states")
                        ? " (add --hidden-states)"
                        : n.endsWith("text_embeds")
                                ? " (this model has no text projection: borrow one with --projection)"
                                : "";
                throw new UsageException("no tensor \"" + n + "\" in this run" + hint + "; it has "
                        + String.join(", ", byName.keySet()));
            }
            unique.add(n);
        }
        List<TensorSpec> out = new ArrayList<>();
        for (TensorSpec s : available) if (unique.contains(s.name())) out.add(s); // in file order
        if (fmt == OutputFiles.Format.NPY
                && OutputFiles.isStdout(output)
                && out.getFirst().batchAxis() != 0) {
            throw new UsageException(out.getFirst().name()
                    + " cannot stream to standard output as .npy (its prompts are not the outer axis); write a file");
        }
        return out;
    }

    /** The least the encoder must compute for these tensors: only pooled ones take the fast path. */
    static EncodeRequest requestFor(List<TensorSpec> selected) {
        List<TextOutput> outs = new ArrayList<>();
        for (TensorSpec s : selected) {
            TextOutput o = TextOutput.byId(s.name().replaceFirst("^encoder\\d+\\.", ""));
            if (o != null) outs.add(o);
        }
        return EncodeRequest.of(outs.toArray(TextOutput[]::new));
    }

    private Map<String, String> metadata(TextEncoder enc, List<String> texts) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("model", model.toString());
        meta.put("family", enc.checkpoint().family().id());
        meta.put("prompt_count", String.valueOf(texts.size()));
        long size = 0;
        for (String t : texts) size += t.length() + 1;
        if (size <= MAX_PROMPTS_METADATA) meta.put("prompts", Json.quote(String.join("\n", texts)));
        return meta;
    }
}
