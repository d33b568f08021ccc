package sdclip.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.lora.LoraFile;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.prompt.ScheduledPrompts;
import sdclip.model.text.Batches;
import sdclip.model.text.ChunkedEncoder;
import sdclip.model.text.ConditioningLayer;
import sdclip.model.text.EncoderOutputs;
import sdclip.model.text.OutputAssembly;
import sdclip.model.text.ProjectionLoan;
import sdclip.model.text.ScheduleTensors;
import sdclip.model.text.TextTransformer;
import sdclip.model.text.TokenizerLookup;
import sdclip.model.tokenizer.ClipTokenizer;

/**
 * The library entry point: a checkpoint's text encoder(s), ready to encode prompts.
 *
 * <pre>{@code
 * try (TextEncoder enc = TextEncoder.open(Path.of("v1-5-pruned-emaonly.safetensors"),
 *         TextEncoder.Options.defaults().withTokenizer(Path.of("bpe_simple_vocab_16e6.txt.gz")))) {
 *     Encoding e = enc.encode(List.of("a photo of an astronaut"));
 *     float[] conditioning = e.get("conditioning").floats(); // [1, 77, 768]
 * }
 * }</pre>
 *
 * Weights stay in the mapped file in their stored dtype (the CPU backend adds packed copies of
 * the linear weights off the heap). Thread-safe: concurrent {@code encode} calls share the
 * weights and the backend. Closing unmaps the files.
 *
 * <p>Two ways to encode: {@link #encode(List, EncodeRequest)} returns every tensor on the heap
 * (small jobs); {@link #stream(List, EncodeRequest, EncodingSink)} hands each finished batch to
 * a sink and holds only that batch, whatever the number of prompts. Encoders are numbered from
 * 1 everywhere.
 */
public final class TextEncoder implements AutoCloseable {

    /**
     * How to open a model: immutable, defaults first, each {@code with} method a changed copy
     * (new settings can be added without breaking callers).
     */
    public static final class Options {
        private final int[] heads;
        private final Path projection, tokenizer;
        private final Device device;
        private final int threads, batchSize;

        private Options(int[] heads, Path projection, Path tokenizer, Device device, int threads, int batchSize) {
            this.heads = heads == null ? null : heads.clone();
            this.projection = projection;
            this.tokenizer = tokenizer;
            this.device = device;
            this.threads = threads;
            this.batchSize = batchSize;
        }

        /** {@return no overrides, the CPU backend on every processor, 8 prompts per forward pass} */
        public static Options defaults() {
            return new Options(null, null, null, Device.cpu(), 0, 8);
        }

        /** {@return heads per encoder overriding inference (a copy), or null to infer them (width / 64 or config.json)} */
        public int[] heads() {
            return heads == null ? null : heads.clone();
        }

        /** {@return a CLIP file or folder whose text projection to borrow, or null} */
        public Path projection() {
            return projection;
        }

        /** {@return the vocabulary file or folder, or null to look for one} */
        public Path tokenizer() {
            return tokenizer;
        }

        /** {@return the backend that runs the towers} */
        public Device device() {
            return device;
        }

        /** {@return CPU threads, 0 for every processor} */
        public int threads() {
            return threads;
        }

        /** {@return prompts per forward pass (bounds activation memory)} */
        public int batchSize() {
            return batchSize;
        }

        /**
         * A copy with other head counts.
         *
         * @param h heads per encoder, in encoder order; null, a shorter array or 0 entries infer them
         * @return the new options
         */
        public Options withHeads(int... h) {
            return new Options(h, projection, tokenizer, device, threads, batchSize);
        }

        /**
         * A copy that borrows another model's text projection.
         *
         * @param p a CLIP file or folder with a text projection, or null for none
         * @return the new options
         */
        public Options withProjection(Path p) {
            return new Options(heads, p, tokenizer, device, threads, batchSize);
        }

        /**
         * A copy with another vocabulary.
         *
         * @param t a vocabulary file or folder ({@link ClipTokenizer#load}), or null to look for one
         * @return the new options
         */
        public Options withTokenizer(Path t) {
            return new Options(heads, projection, t, device, threads, batchSize);
        }

        /**
         * A copy with another backend.
         *
         * @param d the backend, e.g. {@link Device#auto()} or {@link Device#openCl()}
         * @return the new options
         */
        public Options withDevice(Device d) {
            return new Options(heads, projection, tokenizer, d, threads, batchSize);
        }

        /**
         * A copy with another thread count.
         *
         * @param n CPU threads, 0 for every processor
         * @return the new options
         */
        public Options withThreads(int n) {
            return new Options(heads, projection, tokenizer, device, n, batchSize);
        }

        /**
         * A copy with another batch size.
         *
         * @param n prompts per forward pass; values below 1 mean 1
         * @return the new options
         */
        public Options withBatchSize(int n) {
            return new Options(heads, projection, tokenizer, device, threads, n);
        }

        @Override
        public String toString() {
            return "TextEncoder.Options[heads=" + Arrays.toString(heads) + ", projection=" + projection + ", tokenizer="
                    + tokenizer + ", device=" + device + ", threads=" + threads + ", batchSize=" + batchSize + "]";
        }
    }

    private final Checkpoint checkpoint;
    private final Checkpoint projectionSource;
    private final Backend backend;
    private final List<TextTransformer> transformers = new ArrayList<>();
    /** Loaded on first use, so pre-tokenized callers ({@link #encodeIds}) need no vocabulary. */
    private final TokenizerLookup tokenizers;

    private final int batchSize;
    /** The backend settings, for the backends of runs with LoRAs ({@link LoraTowers}). */
    private final Options options;
    /** Each encoder's projection, own or borrowed. */
    private final ProjectionLoan loan;

    private TextEncoder(Checkpoint checkpoint, Checkpoint projectionSource, Backend backend, Options options)
            throws IOException {
        this.options = options;
        this.checkpoint = checkpoint;
        this.projectionSource = projectionSource;
        this.backend = backend;
        this.batchSize = Math.max(1, options.batchSize());
        if (checkpoint.encoders().isEmpty())
            throw new ModelFormatException(checkpoint.path(), "has no text encoder (a CLIP vision model)");
        this.loan = ProjectionLoan.of(checkpoint, projectionSource, options.projection());
        this.tokenizers = new TokenizerLookup(checkpoint.encoders(), options.tokenizer());
        for (int i = 0; i < checkpoint.encoders().size(); i++) {
            transformers.add(new TextTransformer(backend, checkpoint.encoders().get(i), loan.projection(i)));
        }
        loan.requireFitted(); // after the transformers, as always: a backend failure is reported first
    }

    /**
     * Opens {@code model} with {@link Options#defaults()}.
     *
     * @param model a checkpoint file, {@code *.safetensors.index.json} or model folder
     * @return the encoder; the caller closes it
     * @throws IOException when the model is missing or unreadable, or has no text encoder
     * @throws sdclip.model.safetensors.SafetensorsException when a file is malformed or not a recognised checkpoint
     */
    public static TextEncoder open(Path model) throws IOException {
        return open(model, Options.defaults());
    }

    /**
     * Opens {@code model}: recognises the checkpoint, maps its weights and prepares the backend.
     * The vocabulary is loaded on first use, not here.
     *
     * @param model   a checkpoint file, {@code *.safetensors.index.json} or model folder
     * @param options heads, projection, tokenizer, backend, threads and batch size
     * @return the encoder; the caller closes it
     * @throws IOException              when the model or the projection source is missing or unreadable, the
     *                                  model has no text encoder, or the borrowed projection's width does not fit
     * @throws sdclip.model.safetensors.SafetensorsException when a file is malformed or not a recognised checkpoint
     * @throws IllegalArgumentException for a negative thread count, or more head counts than encoders
     * @throws sdclip.model.checkpoint.HeadCountException when a head count given does not divide its encoder's width
     * @throws sdclip.engine.DeviceException when the backend cannot run here (see {@link Backends#create})
     */
    public static TextEncoder open(Path model, Options options) throws IOException {
        Checkpoint checkpoint = Checkpoint.open(model, options.heads());
        Checkpoint projection = null;
        Backend backend = null;
        try {
            if (options.projection() != null) projection = Checkpoint.open(options.projection(), null);
            backend = Backends.create(options.device(), options.threads());
            return new TextEncoder(checkpoint, projection, backend, options);
        } catch (IOException | RuntimeException e) {
            if (backend != null) backend.close();
            if (projection != null) projection.close();
            checkpoint.close();
            throw e;
        }
    }

    /** {@return the recognised checkpoint: family, layout, towers; valid until {@link #close()}} */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** {@return the configuration of each text encoder, encoder 1 first} */
    public List<ClipTextConfig> configs() {
        return transformers.stream().map(TextTransformer::config).toList();
    }

    /**
     * The tokenizer of encoder 1 (SDXL's two share one vocabulary), as {@link #tokenizer(int)}.
     *
     * @return the tokenizer
     * @throws IOException when no vocabulary is found or it cannot be loaded
     */
    public ClipTokenizer tokenizer() throws IOException {
        return tokenizer(1);
    }

    /**
     * Encoder {@code n}'s tokenizer (from 1): the one given in {@link Options#tokenizer} when
     * set, else the encoder's own folder (diffusers), else {@code $SDCLIP_TOKENIZER}; loaded once.
     *
     * @param n the encoder number, from 1
     * @return the tokenizer
     * @throws IOException              when no vocabulary is found or it cannot be loaded
     * @throws IllegalArgumentException when the checkpoint has no encoder {@code n}
     */
    public ClipTokenizer tokenizer(int n) throws IOException {
        return tokenizers.forEncoder(checkpoint.encoders().indexOf(checkpoint.encoder(n)));
    }

    /** {@return the backend's name, e.g. {@code cpu} or {@code opencl:0:0}} */
    public String backendName() {
        return backend.name();
    }

    /** {@return the backend's worker threads} */
    public int threads() {
        return backend.threads();
    }

    /**
     * What conditioning {@code tower} gives for clip skip {@code k} (0: the family's default),
     * e.g. {@code final_norm(hidden_states[L-1])} or {@code hidden_states[L-1] (no final norm)}.
     * Clip skip K is hidden state K from the end on every family.
     *
     * @param tower a text encoder of an open checkpoint
     * @param k     the clip skip, from 1, or 0 for the family's default
     * @return one line naming the layer and whether the final norm applies
     * @throws IllegalArgumentException when the tower has fewer than {@code k - 1} blocks
     */
    public static String describeConditioning(TextTower tower, int k) {
        return ConditioningLayer.of(tower, k).describe();
    }

    /**
     * The tensors a run of {@code prompts} produces, in order, with their whole-run shapes, known
     * before any work so writers can lay out a file first. With a prompt syntax the chunk count
     * k depends on the prompts, so each of them is tokenized once here.
     *
     * @param prompts the prompts
     * @param request the outputs, encoder, clip skip and prompt syntax
     * @return the specs, in the order an {@link Encoding} holds the tensors
     * @throws IOException where an embedding file or the vocabulary cannot be read
     * @throws IllegalArgumentException for an encoder or clip skip this checkpoint lacks, or hidden states with a syntax
     */
    public List<TensorSpec> outputs(List<String> prompts, EncodeRequest request) throws IOException {
        return plan(prompts, request).specs();
    }

    /**
     * Encodes {@code prompts} with {@link EncodeRequest#standard()}, every tensor on the heap.
     *
     * @param prompts the prompts, plain text; may be empty
     * @return the tensors, N = {@code prompts.size()}
     * @throws IOException when no vocabulary is found or it cannot be loaded
     */
    public Encoding encode(List<String> prompts) throws IOException {
        return encode(prompts, EncodeRequest.standard());
    }

    /**
     * Encodes {@code prompts}, every tensor on the heap (shapes as {@link #outputs} lists them),
     * telling the request's progress listener after each batch. Plain prompts go through the
     * towers as CLIP tokenizes them (77 tokens); with a prompt syntax
     * ({@link EncodeRequest#prompts(PromptOptions)}) each prompt is cut into 77-token chunks, each
     * encoded on its own: {@code conditioning [N, 77k, D]} where k is the most chunks any prompt
     * used, {@code chunks} I64 [N], {@code input_ids} I64 [N, 77k], and the pooled outputs of each
     * prompt's first chunk (no hidden states there). With A1111's syntax, extra-network tags
     * ({@code <lora:x:0.8>}) are removed first, and prompt editing, alternation and {@code AND}
     * are read for {@link PromptOptions#steps()}: when any prompt has them, N counts rows, one per
     * entry of each prompt's schedule ({@link ScheduledPrompts}; a text that repeats within a
     * prompt is encoded once, and within a batch of rows too), and {@code schedule_prompt},
     * {@code schedule_subprompt}, {@code schedule_end_step}
     * (I64 [N]) and {@code subprompt_weight} (F32 [N]) say which row serves which prompt, sub-prompt
     * and steps.
     *
     * @param prompts the prompts; may be empty
     * @param request the outputs, encoder, clip skip, prompt syntax and progress listener
     * @return the tensors, N = {@code prompts.size()}
     * @throws IOException              when no vocabulary is found or it cannot be loaded, or an embedding file cannot be read
     * @throws IllegalArgumentException for an encoder or clip skip this checkpoint lacks, hidden states with a
     *                                  syntax, or embeddings without one
     * @throws PromptException          where a prompt or an embedding named on its own cannot be used
     */
    public Encoding encode(List<String> prompts, EncodeRequest request) throws IOException {
        Run run = plan(prompts, request);
        OutputAssembly all = new OutputAssembly(run.specs(), run.rows());
        run.into(all);
        return new Encoding(all.result());
    }

    /**
     * Encodes {@code prompts} batch by batch, handing each finished batch to {@code sink} in
     * prompt order before the next starts, so memory stays bounded by one batch (at most
     * {@link Options#batchSize} prompts, or chunks with a syntax) whatever the prompt count.
     * Results are bit-identical to {@link #encode(List, EncodeRequest)}.
     *
     * @param prompts the prompts; may be empty
     * @param request the outputs, encoder, clip skip, prompt syntax and progress listener
     * @param sink    receives each batch's tensors, shaped for that batch's prompt count
     * @throws IOException              as {@link #encode(List, EncodeRequest)}, or as the sink throws
     * @throws IllegalArgumentException as {@link #encode(List, EncodeRequest)}
     */
    public void stream(List<String> prompts, EncodeRequest request, EncodingSink sink) throws IOException {
        plan(prompts, request).into((first, batch) -> sink.accept(first, new Encoding(batch)));
    }

    /** A run laid out: its tensors, its rows (a scheduled run has one per schedule entry), and its body. */
    private record Run(List<TensorSpec> specs, int rows, RunBody body) {
        void into(Batches.Consumer sink) throws IOException {
            body.run(sink);
        }
    }

    private interface RunBody {
        void run(Batches.Consumer sink) throws IOException;
    }

    /**
     * Lays out a run: plain prompts through the batches, or a prompt syntax through the chunked
     * encoder with k, the most chunks a prompt needs, counted here once. A run with LoRAs is
     * encoded in stretches of consecutive rows that share their LoRAs, each on towers with those
     * merged ({@link LoraTowers}), released before the next.
     */
    private Run plan(List<String> prompts, EncodeRequest request) throws IOException {
        ProgressListener progress = request.progress();
        PromptOptions options = request.prompts();
        List<List<Lora>> stacks = NetworkTags.read(prompts, options).stacks();
        if (isPlain(options)) {
            List<Lora> stack = stacks.isEmpty() ? List.of() : stacks.getFirst();
            return new Run(batches(request, transformers).specs(prompts.size()), prompts.size(), sink -> {
                Batches.Rows rows = promptRows(prompts, request); // the vocabulary before any merging
                withLoras(
                        stack,
                        request,
                        ts -> batches(request, ts).run(rows, sink, done -> progress.progress(done, prompts.size())));
            });
        }
        EmbeddingFiles embeddings =
                options.embeddings().isEmpty() ? options.embeddingFiles() : EmbeddingFiles.load(options.embeddings());
        ChunkedEncoder chunked = chunked(request, embeddings, transformers);
        // A1111: extra networks out, then AND and the schedule; a run with any of them has a row per entry.
        List<String> texts = prompts;
        ScheduledPrompts schedule = null;
        List<List<Lora>> rowStacks = stacks;
        if (options.syntax() == PromptSyntax.A1111) {
            ScheduledPrompts s = ScheduledPrompts.of(prompts, options.steps());
            texts = s.texts();
            rowStacks = s.rows().stream().map(r -> stacks.get(r.prompt())).toList();
            if (s.isScheduled()) schedule = s;
        }
        List<String> rows = texts;
        List<List<Lora>> rowLoras = rowStacks;
        int k = chunked.chunksPerPrompt(rows);
        boolean conditioning = request.wants(TextOutput.CONDITIONING),
                pooled = request.wants(TextOutput.POOLED_OUTPUT) || request.wants(TextOutput.TEXT_EMBEDS);
        List<TensorSpec> specs = new ArrayList<>(chunked.specs(rows.size(), k, conditioning, pooled));
        List<ScheduledPrompts.Row> entries = schedule == null ? null : schedule.rows();
        if (entries != null) specs.addAll(ScheduleTensors.specs(rows.size()));
        // A scheduled prompt's rows share encodings: each distinct text of a prompt runs through the towers once.
        int[] scopes = entries == null
                ? null
                : entries.stream().mapToInt(ScheduledPrompts.Row::prompt).toArray();
        return new Run(specs, rows.size(), sink -> {
            Batches.Consumer out = entries == null
                    ? sink
                    : (first, batch) -> sink.accept(first, ScheduleTensors.add(batch, entries, first));
            // Stretches of rows with the same LoRAs, each through towers with them merged.
            for (int from = 0; from < rows.size(); ) {
                int start = from, to = from + 1;
                while (to < rows.size() && rowLoras.get(to).equals(rowLoras.get(start))) to++;
                int[] partScopes = scopes == null ? null : Arrays.copyOfRange(scopes, start, to);
                List<String> part = rows.subList(start, to);
                withLoras(
                        rowLoras.get(start),
                        request,
                        ts -> chunked(request, embeddings, ts).stream(
                                part,
                                partScopes,
                                k,
                                request.clipSkip(),
                                conditioning,
                                pooled,
                                (first, batch) -> out.accept(start + first, batch),
                                (done, total) -> progress.progress(start + done, rows.size())));
                from = to;
            }
        });
    }

    /** Work on a set of transformers, by encoder index. */
    private interface OnTowers {
        void run(List<TextTransformer> towers) throws IOException;
    }

    /** Runs {@code body} on the encoder's own transformers, or, with LoRAs, on towers with them merged. */
    private void withLoras(List<Lora> stack, EncodeRequest request, OnTowers body) throws IOException {
        if (stack.isEmpty()) {
            body.run(transformers);
            return;
        }
        try (LoraTowers merged = LoraTowers.open(checkpoint, stack, chosen(request), options, loan)) {
            body.run(merged.transformers());
        }
    }

    /**
     * The notes and warnings a run of {@code prompts} gives, each once, for the caller to show
     * (the library prints nothing): with A1111's syntax, LoRA tags skipped (a network in no LoRA
     * folder, a weight that is not a number) and tags of other networks removed and ignored
     * (hypernetworks change the UNet); for every syntax, LoRAs without a text-encoder part (they
     * change nothing here). {@link #encode} and {@link #stream} skip and ignore the same, silently.
     *
     * @param prompts the prompts
     * @param request the request, whose {@link PromptOptions} give the syntax, LoRAs and LoRA folders
     * @return the notes, in the order met; empty when there is nothing to say
     * @throws IOException when a LoRA folder cannot be listed or a LoRA file cannot be read
     */
    public List<String> notes(List<String> prompts, EncodeRequest request) throws IOException {
        NetworkTags.Run run = NetworkTags.read(prompts, request.prompts());
        List<String> notes = new ArrayList<>(run.notes());
        java.util.Set<java.nio.file.Path> seen = new java.util.HashSet<>();
        for (List<Lora> stack : run.stacks()) {
            for (Lora l : stack) {
                if (!seen.add(l.file())) continue;
                try (LoraFile f = LoraFile.open(l.file())) {
                    if (!f.hasTextEncoder())
                        notes.add(l.file() + " has no text-encoder weights (a UNet-only network): it leaves the"
                                + " conditioning as it is");
                }
            }
        }
        return notes;
    }

    /** Plain prompts without embeddings take the plain path; embeddings need a syntax. */
    private static boolean isPlain(PromptOptions options) {
        boolean plain = options.syntax() == PromptSyntax.PLAIN;
        if (plain && options.hasEmbeddings())
            throw new IllegalArgumentException("textual inversion embeddings need the A1111 or ComfyUI prompt syntax");
        return plain;
    }

    private ChunkedEncoder chunked(EncodeRequest request, EmbeddingFiles embeddings, List<TextTransformer> ts)
            throws IOException {
        PromptOptions options = request.prompts();
        if (request.wants(TextOutput.HIDDEN_STATES) || request.wants(TextOutput.LAST_HIDDEN_STATE)) {
            throw new IllegalArgumentException("hidden states and the last hidden state are not available with the "
                    + options.syntax().name() + " prompt syntax");
        }
        List<ChunkedEncoder.Tower> towers = new ArrayList<>();
        for (int i : chosen(request))
            towers.add(
                    new ChunkedEncoder.Tower(i, ts.get(i), checkpoint.encoders().get(i), tokenizer(i + 1)));
        return new ChunkedEncoder(
                towers,
                transformers.size(),
                options.syntax(),
                options.emphasis(),
                embeddings,
                batchSize,
                checkpoint.family() == Checkpoint.Family.SD3);
    }

    /**
     * Encodes pre-tokenized rows (each exactly the context length, 77, padded as the family
     * expects; the same rows go to every chosen encoder): for callers with their own
     * tokenization, and benchmarks that need no vocabulary.
     *
     * @param rows    token ids, one row per prompt, each of the encoders' context length
     * @param request the outputs, encoder and clip skip (its prompt options, LoRAs included, do not apply here)
     * @return the tensors, N = {@code rows.size()}
     * @throws IllegalArgumentException when a row has the wrong length or an id outside the vocabulary, or for
     *                                  an encoder or clip skip this checkpoint lacks
     */
    public Encoding encodeIds(List<int[]> rows, EncodeRequest request) {
        Batches b = batches(request, transformers);
        for (int e : chosen(request)) {
            ClipTextConfig cfg = transformers.get(e).config();
            for (int n = 0; n < rows.size(); n++)
                Batches.checkRow(rows.get(n), n, cfg.contextLength(), cfg.vocabSize());
        }
        OutputAssembly all = new OutputAssembly(b.specs(rows.size()), rows.size());
        try {
            b.run(
                    new Batches.Rows() {
                        public int size() {
                            return rows.size();
                        }

                        public int[] row(int encoder, int n) {
                            return rows.get(n);
                        }
                    },
                    all,
                    done -> {});
        } catch (IOException e) {
            throw new UncheckedIOException(e); // pre-tokenized rows read nothing
        }
        return new Encoding(all.result());
    }

    /** The chosen encoders' indexes (0-based), in order: all, or the one the request names. */
    private List<Integer> chosen(EncodeRequest request) {
        if (request.encoder() == 0)
            return IntStream.range(0, transformers.size()).boxed().toList();
        return List.of(checkpoint.encoders().indexOf(checkpoint.encoder(request.encoder())));
    }

    private Batches batches(EncodeRequest request, List<TextTransformer> ts) {
        List<EncoderOutputs> parts = new ArrayList<>();
        for (int e : chosen(request))
            parts.add(new EncoderOutputs(checkpoint.encoders().get(e), ts.get(e), request));
        boolean sd3 = checkpoint.family() == Checkpoint.Family.SD3 && parts.size() == 2;
        return new Batches(parts, batchSize, sd3 ? Batches.Merge.SD3 : Batches.Merge.SDXL);
    }

    /** Prompts tokenized one row at a time, as the batches need them, for each chosen encoder. */
    private Batches.Rows promptRows(List<String> prompts, EncodeRequest request) throws IOException {
        List<Integer> chosen = chosen(request);
        ClipTokenizer[] toks = new ClipTokenizer[chosen.size()];
        TextTower[] towers = new TextTower[chosen.size()];
        for (int k = 0; k < toks.length; k++) {
            toks[k] = tokenizer(chosen.get(k) + 1);
            towers[k] = checkpoint.encoders().get(chosen.get(k));
        }
        return new Batches.Rows() {
            public int size() {
                return prompts.size();
            }

            public int[] row(int encoder, int n) {
                return toks[encoder].encode(
                        prompts.get(n), towers[encoder].config().contextLength(), towers[encoder].padId());
            }
        };
    }

    /** Releases the backend and unmaps every file. */
    @Override
    public void close() {
        backend.close();
        if (projectionSource != null) projectionSource.close();
        checkpoint.close();
    }
}
