package sdclip.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sdclip.model.tokenizer.ClipTokenizer;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.text.ChunkedEncoder;
import sdclip.model.text.TextTransformer;
import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.model.checkpoint.ClipTextConfig;

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
 */
public final class TextEncoder implements AutoCloseable {

    /**
     * How to open a model.
     *
     * @param heads      heads per encoder, overriding inference (null: width / 64 or config.json)
     * @param projection a CLIP file or folder whose text projection to borrow (SD 1.x has none), or null
     * @param tokenizer  the vocabulary ({@link ClipTokenizer#load}), or null to look for one
     * @param backend    {@code cpu} or {@code reference}
     * @param threads    CPU threads, 0 for every processor
     * @param batchSize  prompts per forward pass (bounds activation memory)
     */
    public record Options(int[] heads, Path projection, Path tokenizer, String backend, int threads, int batchSize) {
        public static Options defaults() { return new Options(null, null, null, "cpu", 0, 8); }

        public Options withHeads(int... h) { return new Options(h, projection, tokenizer, backend, threads, batchSize); }

        public Options withProjection(Path p) { return new Options(heads, p, tokenizer, backend, threads, batchSize); }

        public Options withTokenizer(Path t) { return new Options(heads, projection, t, backend, threads, batchSize); }

        public Options withBackend(String b) { return new Options(heads, projection, tokenizer, b, threads, batchSize); }

        public Options withThreads(int n) { return new Options(heads, projection, tokenizer, backend, n, batchSize); }

        public Options withBatchSize(int n) { return new Options(heads, projection, tokenizer, backend, threads, n); }
    }

    private final Checkpoint checkpoint;
    private final Checkpoint projectionSource;
    private final Backend backend;
    private final List<TextTransformer> transformers = new ArrayList<>();
    /** Loaded on first use, so pre-tokenized callers ({@link #encodeIds}) need no vocabulary. */
    private final ClipTokenizer[] tokenizers;
    private final Path tokenizerPath;
    private ClipTokenizer located;
    private final int batchSize;
    /** CLIP's end token, where pooling happens. */
    private static final int END_ID = 49407;

    private TextEncoder(Checkpoint checkpoint, Checkpoint projectionSource, Backend backend, Options options) throws IOException {
        this.checkpoint = checkpoint;
        this.projectionSource = projectionSource;
        this.backend = backend;
        this.batchSize = Math.max(1, options.batchSize());
        if (checkpoint.encoders().isEmpty()) throw new IOException(checkpoint.path() + ": has no text encoder (a CLIP vision model)");
        TextTower borrowed = projectionSource == null ? null : projectionSource.encoders().stream()
                .filter(t -> t.config().hasProjection()).findFirst()
                .orElseThrow(() -> new IOException(options.projection() + ": has no text projection to borrow"));
        this.tokenizers = new ClipTokenizer[checkpoint.encoders().size()];
        this.tokenizerPath = options.tokenizer();
        for (TextTower tower : checkpoint.encoders()) {
            TextTower.Tensor projection = tower.tensors().get("text_projection.weight");
            if (borrowed != null && (projection == null || checkpoint.encoders().size() == 1)) {
                if (borrowed.config().width() != tower.config().width()) {
                    throw new IOException(options.projection() + ": its text projection takes width " + borrowed.config().width()
                            + " but " + tower.label() + " of " + checkpoint.path() + " has width " + tower.config().width());
                }
                projection = borrowed.tensor("text_projection.weight");
            }
            transformers.add(new TextTransformer(backend, tower, projection));
        }
    }

    public static TextEncoder open(Path model) throws IOException { return open(model, Options.defaults()); }

    public static TextEncoder open(Path model, Options options) throws IOException {
        Checkpoint checkpoint = Checkpoint.open(model, options.heads());
        Checkpoint projection = null;
        Backend backend = null;
        try {
            if (options.projection() != null) projection = Checkpoint.open(options.projection(), null);
            backend = Backends.create(options.backend(), options.threads());
            return new TextEncoder(checkpoint, projection, backend, options);
        } catch (IOException | RuntimeException e) {
            if (backend != null) backend.close();
            if (projection != null) projection.close();
            checkpoint.close();
            throw e;
        }
    }

    public Checkpoint checkpoint() { return checkpoint; }

    /** The configuration of each text encoder, in order. */
    public List<ClipTextConfig> configs() { return transformers.stream().map(TextTransformer::config).toList(); }

    /** The tokenizer of the first encoder (SDXL's two share one vocabulary). */
    public ClipTokenizer tokenizer() throws IOException { return tokenizer(0); }

    /**
     * Encoder {@code index}'s tokenizer: {@code --tokenizer} when given, else the encoder's own
     * folder (diffusers), else {@code $SDCLIP_TOKENIZER}; loaded once.
     */
    private synchronized ClipTokenizer tokenizer(int index) throws IOException {
        if (tokenizers[index] == null) {
            Path own = checkpoint.encoders().get(index).tokenizerFolder();
            if (tokenizerPath == null && own != null) {
                tokenizers[index] = ClipTokenizer.load(own);
            } else {
                if (located == null) located = ClipTokenizer.locate(tokenizerPath, null);
                tokenizers[index] = located;
            }
        }
        return tokenizers[index];
    }

    public String backendName() { return backend.name(); }

    public int threads() { return backend.threads(); }

    /** {@link EncodeRequest#standard()} for these prompts. */
    public Encoding encode(List<String> prompts) throws IOException { return encode(prompts, EncodeRequest.standard()); }

    public Encoding encode(List<String> prompts, EncodeRequest request) throws IOException {
        return encode(prompts, request, ProgressListener.NONE);
    }

    /** As {@link #encode(List, EncodeRequest)}, telling {@code progress} after each batch (steps = prompts x encoders). */
    public Encoding encode(List<String> prompts, EncodeRequest request, ProgressListener progress) throws IOException {
        List<Integer> chosen = chosenEncoders(request);
        List<Map<String, HostTensor>> perEncoder = new ArrayList<>();
        int total = prompts.size() * chosen.size();
        for (int k = 0; k < chosen.size(); k++) {
            int i = chosen.get(k), offset = k * prompts.size();
            perEncoder.add(run(i, tokenize(i + 1, prompts), prompts.size(), request, done -> progress.progress(offset + done, total)));
        }
        return combine(perEncoder, prompts.size(), request);
    }

    /**
     * Encodes prompts written in a UI's syntax (see {@link PromptOptions}); with
     * {@link PromptOptions#plain()} exactly {@link #encode(List, EncodeRequest, ProgressListener)}.
     * Otherwise each prompt is cut into 77-token chunks and each chunk encoded on its own
     * (the chunked encoder): {@code conditioning [N, 77k, D]} where k is the most chunks any
     * prompt used, {@code chunks} I64 [N], {@code input_ids} I64 [N, 77k], and the pooled outputs
     * of each prompt's first chunk. The last hidden state and hidden states are not available
     * there.
     *
     * @throws IOException where an embedding file cannot be read
     * @throws IllegalArgumentException where the request asks for hidden states with a syntax,
     *     embeddings come without one, or an embedding does not fit an encoder
     */
    public Encoding encode(List<String> prompts, EncodeRequest request, PromptOptions options, ProgressListener progress) throws IOException {
        boolean plain = options.syntax() == PromptSyntax.PLAIN;
        if (plain && options.embeddings().isEmpty()) return encode(prompts, request, progress);
        if (plain) throw new IllegalArgumentException("textual inversion embeddings need the A1111 or ComfyUI prompt syntax");
        if (request.hiddenStates() || request.lastHiddenState()) {
            throw new IllegalArgumentException("hidden states and the last hidden state are not available with the " + options.syntax().name() + " prompt syntax");
        }
        EmbeddingFiles embeddings = EmbeddingFiles.load(options.embeddings());
        List<ChunkedEncoder.Tower> towers = new ArrayList<>();
        for (int i : chosenEncoders(request)) towers.add(new ChunkedEncoder.Tower(i, transformers.get(i), checkpoint.encoders().get(i), tokenizer(i)));
        ChunkedEncoder chunked = new ChunkedEncoder(towers, transformers.size(), options.syntax(), options.emphasis(), embeddings, batchSize);
        return new Encoding(chunked.encode(prompts, request.clipSkip(), request.conditioning(), request.pooled(), progress));
    }

    /**
     * Encodes pre-tokenized rows (each exactly the context length, 77, padded as the family
     * expects): for callers with their own tokenization, and benchmarks that need no vocabulary.
     */
    public Encoding encodeIds(List<int[]> rows, EncodeRequest request) {
        List<Integer> chosen = chosenEncoders(request);
        List<Map<String, HostTensor>> perEncoder = new ArrayList<>();
        for (int i : chosen) {
            ClipTextConfig cfg = transformers.get(i).config();
            int context = cfg.contextLength();
            int[] ids = new int[rows.size() * context];
            for (int n = 0; n < rows.size(); n++) {
                int[] row = rows.get(n);
                if (row.length != context) throw new IllegalArgumentException("row " + n + " has " + row.length + " ids, expected " + context);
                for (int id : row) if (id < 0 || id >= cfg.vocabSize()) throw new IllegalArgumentException("row " + n + ": token id " + id + " outside the vocabulary of " + cfg.vocabSize());
                System.arraycopy(row, 0, ids, n * context, context);
            }
            perEncoder.add(run(i, ids, rows.size(), request, done -> {}));
        }
        return combine(perEncoder, rows.size(), request);
    }

    private List<Integer> chosenEncoders(EncodeRequest request) {
        List<Integer> chosen = new ArrayList<>();
        int encoders = transformers.size();
        if (request.encoder() == 0) for (int i = 0; i < encoders; i++) chosen.add(i);
        else {
            checkpoint.encoder(request.encoder()); // refuses a number the checkpoint lacks
            chosen.add(request.encoder() - 1);
        }
        return chosen;
    }

    private Encoding combine(List<Map<String, HostTensor>> perEncoder, int n, EncodeRequest request) {
        if (perEncoder.size() == 1) return new Encoding(perEncoder.getFirst());
        Map<String, HostTensor> out = combineSdxl(perEncoder.get(0), perEncoder.get(1), n, request);
        if (checkpoint.family() == Checkpoint.Family.SD3) sd3Pooled(out, perEncoder.get(0), perEncoder.get(1), n);
        return new Encoding(out);
    }

    /**
     * SD3's pooled vector, as Stability's reference code builds it ({@code sd3_infer.py}
     * {@code get_cond}): CLIP-L's unprojected pooled output, then CLIP-G's projected one
     * ({@code text_embeds}), side by side: [N, W1 + P2]. No combined {@code text_embeds}.
     */
    private static void sd3Pooled(Map<String, HostTensor> out, Map<String, HostTensor> e1, Map<String, HostTensor> e2, int n) {
        out.remove("text_embeds");
        out.remove("pooled_output");
        HostTensor l = e1.get("pooled_output"), g = e2.containsKey("text_embeds") ? e2.get("text_embeds") : e2.get("pooled_output");
        if (l == null || g == null) return;
        int d1 = (int) l.shape()[1], d2 = (int) g.shape()[1];
        float[] p = new float[n * (d1 + d2)];
        for (int r = 0; r < n; r++) {
            System.arraycopy(l.floats(), r * d1, p, r * (d1 + d2), d1);
            System.arraycopy(g.floats(), r * d2, p, r * (d1 + d2) + d1, d2);
        }
        // Keep the combined tensors first, as for SDXL.
        Map<String, HostTensor> rest = new LinkedHashMap<>(out);
        out.clear();
        for (var e : rest.entrySet()) {
            if (e.getKey().startsWith("encoder1.") && !out.containsKey("pooled_output")) out.put("pooled_output", HostTensor.of(p, n, d1 + d2));
            out.put(e.getKey(), e.getValue());
        }
        out.putIfAbsent("pooled_output", HostTensor.of(p, n, d1 + d2));
    }

    /** Pre-tokenized input: rows of exactly 77 ids for the given encoder (1-based). */
    int[] tokenize(int encoder, List<String> prompts) throws IOException {
        TextTower tower = checkpoint.encoders().get(encoder - 1);
        ClipTokenizer tok = tokenizer(encoder - 1);
        int context = tower.config().contextLength();
        int[] ids = new int[prompts.size() * context];
        for (int n = 0; n < prompts.size(); n++) System.arraycopy(tok.encode(prompts.get(n), context, tower.padId()), 0, ids, n * context, context);
        return ids;
    }

    private Map<String, HostTensor> run(int index, int[] ids, int n, EncodeRequest request, java.util.function.IntConsumer done) {
        TextTower tower = checkpoint.encoders().get(index);
        TextTransformer tf = transformers.get(index);
        ClipTextConfig cfg = tf.config();
        int context = cfg.contextLength(), w = cfg.width(), layers = cfg.layers();
        int[] pooledIndex = new int[n];
        int end = END_ID;
        for (int b = 0; b < n; b++) {
            int p = 0;
            while (p < context - 1 && ids[b * context + p] != end) p++;
            pooledIndex[b] = p;
        }
        int skip = request.clipSkip() > 0 ? request.clipSkip() : tower.defaultClipSkip();
        boolean raw = tower.conditioning() == TextTower.Conditioning.RAW_PENULTIMATE;
        int condLayer = raw ? layers - 1 - (request.clipSkip() > 1 ? request.clipSkip() - 1 : 0) : layers - (skip - 1);
        if (request.conditioning() && (condLayer < 0 || condLayer > layers)) {
            throw new IllegalArgumentException("clip skip " + skip + " is out of range for " + layers + " layers");
        }
        TextTransformer.Request req = new TextTransformer.Request(request.hiddenStates(), request.lastHiddenState(),
                request.conditioning() ? condLayer : -1, !raw, request.pooled());
        int projection = tf.projectionDim();
        int rowFloats = context * w;
        float[] hidden = request.hiddenStates() ? new float[(layers + 1) * n * rowFloats] : null; // [L+1, N, 77, D]
        float[] last = null, cond = null, pooled = null, embeds = null;
        // Chunks hold at most batchSize x context token rows: batchSize prompts of full
        // conditioning, or many more short prompts on the pooled-only path (whose sequence ends
        // at the chunk's last end token), so their weights are streamed once, not per 8 prompts.
        long rowBudget = (long) batchSize * context;
        for (int b0 = 0, batch; b0 < n; b0 += batch) {
            batch = 0;
            int longest = 0;
            while (b0 + batch < n) {
                int seq = req.needsFullSequence() ? context : Math.max(longest, pooledIndex[b0 + batch] + 1);
                if (batch > 0 && (long) (batch + 1) * seq > rowBudget) break;
                longest = seq;
                batch++;
            }
            int[] chunk = java.util.Arrays.copyOfRange(ids, b0 * context, (b0 + batch) * context);
            int[] chunkPooled = java.util.Arrays.copyOfRange(pooledIndex, b0, b0 + batch);
            TextTransformer.Result r = tf.forward(chunk, batch, chunkPooled, req);
            if (hidden != null) {
                for (int l = 0; l <= layers; l++) System.arraycopy(r.hiddenStates()[l], 0, hidden, (l * n + b0) * rowFloats, batch * rowFloats);
            }
            boolean whole = b0 == 0 && batch == n;
            last = place(last, r.lastHiddenState(), whole, n, b0, batch, rowFloats);
            cond = place(cond, r.conditioning(), whole, n, b0, batch, rowFloats);
            pooled = place(pooled, r.pooled(), whole, n, b0, batch, w);
            embeds = place(embeds, r.textEmbeds(), whole, n, b0, batch, projection);
            done.accept(b0 + batch);
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        long[] idsLong = new long[ids.length];
        for (int i = 0; i < ids.length; i++) idsLong[i] = ids[i];
        long[] pooledLong = new long[n];
        for (int i = 0; i < n; i++) pooledLong[i] = pooledIndex[i];
        out.put("input_ids", HostTensor.ofLongs(idsLong, n, context));
        out.put("pooled_index", HostTensor.ofLongs(pooledLong, n));
        if (cond != null) out.put("conditioning", HostTensor.of(cond, n, context, w));
        if (last != null) out.put("last_hidden_state", HostTensor.of(last, n, context, w));
        if (pooled != null) out.put("pooled_output", HostTensor.of(pooled, n, w));
        if (embeds != null) out.put("text_embeds", HostTensor.of(embeds, n, projection));
        if (hidden != null) out.put("hidden_states", HostTensor.of(hidden, layers + 1, n, context, w));
        return out;
    }

    /**
     * Puts one chunk's output rows {@code [b0, b0 + batch)} of an {@code [n, rowFloats]} output:
     * a run done in one chunk hands over the chunk's own array, no copy; otherwise the rows are
     * copied into {@code dst}, allocated on first use.
     */
    private static float[] place(float[] dst, float[] src, boolean whole, int n, int b0, int batch, int rowFloats) {
        if (src == null) return dst;
        if (whole) return src;
        if (dst == null) dst = new float[n * rowFloats];
        System.arraycopy(src, 0, dst, b0 * rowFloats, batch * rowFloats);
        return dst;
    }

    /** SDXL: conditioning is both encoders' features side by side; the pooled vector is encoder 2's. */
    private static Map<String, HostTensor> combineSdxl(Map<String, HostTensor> e1, Map<String, HostTensor> e2, int n, EncodeRequest request) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("input_ids", e2.get("input_ids"));
        out.put("pooled_index", e2.get("pooled_index"));
        if (request.conditioning()) {
            HostTensor a = e1.get("conditioning"), b = e2.get("conditioning");
            int d1 = (int) a.shape()[2], d2 = (int) b.shape()[2], rows = (int) (a.shape()[0] * a.shape()[1]);
            float[] c = new float[rows * (d1 + d2)];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(a.floats(), r * d1, c, r * (d1 + d2), d1);
                System.arraycopy(b.floats(), r * d2, c, r * (d1 + d2) + d1, d2);
            }
            out.put("conditioning", HostTensor.of(c, n, a.shape()[1], d1 + d2));
        }
        for (String name : new String[] {"pooled_output", "text_embeds"}) if (e2.containsKey(name)) out.put(name, e2.get(name));
        for (var e : e1.entrySet()) if (!e.getKey().equals("conditioning")) out.put("encoder1." + e.getKey(), e.getValue());
        for (var e : e2.entrySet()) if (!e.getKey().equals("conditioning")) out.put("encoder2." + e.getKey(), e.getValue());
        return out;
    }

    @Override
    public void close() {
        backend.close();
        if (projectionSource != null) projectionSource.close();
        checkpoint.close();
    }
}
