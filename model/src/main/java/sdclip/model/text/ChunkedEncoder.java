package sdclip.model.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import sdclip.model.HostTensor;
import sdclip.model.ProgressListener;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;
import sdclip.model.prompt.A1111Chunker;
import sdclip.model.prompt.Chunk;
import sdclip.model.prompt.ComfyChunker;
import sdclip.model.prompt.ComfyWeighting;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.EmbeddingSlot;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.tokenizer.ClipTokenizer;

/**
 * Prompts in a UI's syntax through the text encoder(s), chunk by chunk:
 * <ul>
 * <li>each prompt is cut into 77-token chunks ({@link A1111Chunker}, or {@link ComfyChunker} with
 *     {@link ComfyChunker.Grouping#SEGMENTS}, current ComfyUI's grouping), and the prompts of a
 *     call are padded to the same number k of chunks with the empty chunk;
 * <li>every chunk is encoded on its own (clip skip applies per chunk), textual inversion vectors
 *     replacing the token embeddings at their slots;
 * <li>A1111: each chunk's rows are weighted by {@link Emphasis}, per prompt and per chunk;
 *     ComfyUI: by {@link ComfyWeighting} against the empty chunk's encoding;
 * <li>outputs: {@code conditioning [N, 77k, D]} (chunks side by side along the token axis),
 *     {@code chunks} I64 [N] (how many chunks each prompt used before padding),
 *     {@code input_ids} I64 [N, 77k] (0 at embedding slots), and {@code pooled_index},
 *     {@code pooled_output}, {@code text_embeds} of each prompt's first chunk, unweighted.
 *     With two encoders (SDXL) both chunk the same prompt the same way (only their padding
 *     differs); conditioning is the two side by side per row, the pooled outputs encoder 2's,
 *     and each encoder's own tensors are kept as {@code encoder1.*} and {@code encoder2.*}.
 * </ul>
 * Thread-safe as its transformers are; holds no state between calls.
 */
public final class ChunkedEncoder {
    /** CLIP's end token, where pooling happens. */
    private static final int END_ID = 49407;

    /**
     * One text encoder of the model.
     *
     * @param index its position in the model, from 0
     * @param transformer its transformer
     * @param tower its weights and conventions (pad id, clip skip, conditioning)
     * @param tokenizer its vocabulary
     */
    public record Tower(int index, TextTransformer transformer, TextTower tower, ClipTokenizer tokenizer) {}

    private final List<Tower> towers;
    private final int encoders;
    private final PromptSyntax syntax;
    private final Emphasis emphasis;
    private final EmbeddingFiles embeddings;
    private final int batchSize;
    private final boolean sd3;

    /**
     * An encoder for one call.
     *
     * @param towers the encoders to run (one, or both of an SDXL model in order)
     * @param encoders how many text encoders the model has (which embedding table each takes)
     * @param syntax {@link PromptSyntax#A1111} or {@link PromptSyntax#COMFY}
     * @param emphasis A1111's emphasis mode
     * @param embeddings the textual inversions to recognise; those found in a folder that do not
     *     fit the towers are left out
     * @param batchSize chunks per forward pass
     * @param sd3 whether two encoders join as SD3's (its pooled vector) rather than SDXL's
     */
    public ChunkedEncoder(List<Tower> towers, int encoders, PromptSyntax syntax, Emphasis emphasis, EmbeddingFiles embeddings, int batchSize, boolean sd3) {
        if (syntax == PromptSyntax.PLAIN) throw new IllegalArgumentException("the chunked encoder takes the A1111 or ComfyUI syntax");
        this.sd3 = sd3;
        this.towers = List.copyOf(towers);
        this.encoders = encoders;
        this.syntax = syntax;
        this.emphasis = emphasis;
        this.batchSize = Math.max(1, batchSize);
        // Up front, before any encoding: a misfit from a folder drops out, a named one is refused.
        Map<Integer, Integer> widths = new LinkedHashMap<>();
        for (Tower t : towers) widths.put(t.index() + 1, t.transformer().config().width());
        this.embeddings = embeddings.fitting(encoders, widths);
    }

    /** One encoder's prompts as chunks: {@code k} per prompt after padding, and the counts before. */
    private record Chunked(Tower tower, List<List<Chunk>> padded, long[] counts, Chunk empty, boolean weighted) {
        int k() { return padded.getFirst().size(); }
    }

    /**
     * Encodes prompts.
     *
     * @param prompts the prompts, at least one
     * @param clipSkip 0 for the family's default, else as {@link sdclip.model.EncodeRequest#clipSkip()}
     * @param conditioning whether to compute {@code conditioning}
     * @param pooled whether to compute {@code pooled_output} and {@code text_embeds}
     * @param progress told after each forward pass (steps = chunks encoded)
     * @return the tensors by name (see the class comment)
     */
    public Map<String, HostTensor> encode(List<String> prompts, int clipSkip, boolean conditioning, boolean pooled, ProgressListener progress) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        List<Chunked> all = new ArrayList<>();
        for (Tower t : towers) all.add(chunk(t, prompts));
        for (Chunked c : all) {
            if (!Arrays.equals(c.counts(), all.getFirst().counts())) throw new IllegalStateException("the text encoders cut a prompt into different numbers of chunks");
        }
        int[] done = {0};
        int total = 0;
        for (Chunked c : all) {
            for (long count : c.counts()) total += conditioning ? (int) count : 1;
            total++; // the empty chunk
        }
        int steps = total;
        List<Map<String, HostTensor>> out = new ArrayList<>();
        for (Chunked c : all) out.add(encode(c, clipSkip, conditioning, pooled, n -> progress.progress(done[0] += n, steps)));
        return out.size() == 1 ? out.getFirst() : combine(out.get(0), out.get(1));
    }

    private Chunked chunk(Tower t, List<String> prompts) {
        int padId = t.tower().padId();
        Function<String, List<Chunk>> chunker;
        Chunk empty;
        if (syntax == PromptSyntax.A1111) {
            A1111Chunker a = new A1111Chunker(t.tokenizer(), padId, embeddings.inversions());
            chunker = a::chunk;
            empty = a.emptyChunk();
        } else {
            ComfyChunker c = new ComfyChunker(t.tokenizer(), padId, embeddings.inversions(), ComfyChunker.Grouping.SEGMENTS);
            chunker = c::chunk;
            empty = c.emptyChunk();
        }
        List<List<Chunk>> chunks = new ArrayList<>();
        long[] counts = new long[prompts.size()];
        boolean weighted = false;
        for (int n = 0; n < prompts.size(); n++) {
            List<Chunk> list = chunker.apply(prompts.get(n));
            chunks.add(list);
            counts[n] = list.size();
            for (Chunk c : list) weighted |= c.isWeighted();
        }
        return new Chunked(t, Chunk.padBatch(chunks, empty), counts, empty, weighted);
    }

    /** One encoder: every real chunk encoded once, the empty chunk once (padding and ComfyUI's z_empty). */
    private Map<String, HostTensor> encode(Chunked c, int clipSkip, boolean conditioning, boolean pooled, java.util.function.IntConsumer step) {
        Tower t = c.tower();
        ClipTextConfig cfg = t.transformer().config();
        int n = c.padded().size(), k = c.k(), context = Chunk.LENGTH, w = cfg.width();
        if (cfg.contextLength() != context) throw new IllegalArgumentException(t.tower().label() + " has a context of " + cfg.contextLength() + ", not " + context);
        int used = conditioning ? k : 1;
        // The chunks to run: each prompt's first `used` real chunks, then the empty one.
        List<Chunk> run = new ArrayList<>();
        int[][] where = new int[n][used];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < used; i++) {
                where[p][i] = i < c.counts()[p] ? run.size() : -1;
                if (i < c.counts()[p]) run.add(c.padded().get(p).get(i));
            }
        }
        int emptyAt = run.size();
        run.add(c.empty());
        Encoded e = forward(t, run, clipSkip, conditioning, pooled, step);

        Map<String, HostTensor> out = new LinkedHashMap<>();
        long[] ids = new long[n * k * context];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < k; i++) {
                Chunk chunk = c.padded().get(p).get(i);
                for (int j = 0; j < context; j++) ids[(p * k + i) * context + j] = chunk.id(j);
            }
        }
        long[] pooledIndex = new long[n];
        for (int p = 0; p < n; p++) pooledIndex[p] = firstEnd(c.padded().get(p).getFirst());
        out.put("input_ids", HostTensor.ofLongs(ids, n, (long) k * context));
        out.put("pooled_index", HostTensor.ofLongs(pooledIndex, n));
        out.put("chunks", HostTensor.ofLongs(c.counts().clone(), n));
        if (conditioning) {
            int rowFloats = context * w;
            float[] cond = new float[n * k * rowFloats];
            float[] zEmpty = e.conditioning()[emptyAt];
            for (int p = 0; p < n; p++) {
                for (int i = 0; i < k; i++) {
                    int at = where[p][i];
                    float[] z = at < 0 ? zEmpty : weigh(e.conditioning()[at], zEmpty, run.get(at));
                    System.arraycopy(z, 0, cond, (p * k + i) * rowFloats, rowFloats);
                }
            }
            out.put("conditioning", HostTensor.of(cond, n, (long) k * context, w));
        }
        if (pooled) {
            float[] po = new float[n * w];
            int projection = t.transformer().projectionDim();
            float[] embeds = projection > 0 ? new float[n * projection] : null;
            for (int p = 0; p < n; p++) {
                int at = where[p][0];
                System.arraycopy(e.pooled()[at], 0, po, p * w, w);
                if (embeds != null) System.arraycopy(e.textEmbeds()[at], 0, embeds, p * projection, projection);
            }
            out.put("pooled_output", HostTensor.of(po, n, w));
            if (embeds != null) out.put("text_embeds", HostTensor.of(embeds, n, projection));
        }
        return out;
    }

    /** One chunk's weighted rows; an unweighted chunk is left as it is (both weightings would return it unchanged). */
    private float[] weigh(float[] z, float[] zEmpty, Chunk chunk) {
        if (!chunk.isWeighted()) return z;
        return syntax == PromptSyntax.A1111 ? emphasis.apply(z, chunk.weights()) : ComfyWeighting.apply(z, zEmpty, chunk.weights());
    }

    /** Per chunk of a run: its conditioning {@code [77 * D]}, pooled output and text embeds, null where not asked. */
    private record Encoded(float[][] conditioning, float[][] pooled, float[][] textEmbeds) {}

    private Encoded forward(Tower t, List<Chunk> chunks, int clipSkip, boolean conditioning, boolean pooled, java.util.function.IntConsumer step) {
        TextTransformer tf = t.transformer();
        ClipTextConfig cfg = tf.config();
        int context = Chunk.LENGTH, w = cfg.width(), projection = tf.projectionDim(), count = chunks.size();
        TextTransformer.Request req = request(t.tower(), clipSkip, conditioning, pooled);
        float[][] cond = new float[count][], po = new float[count][], embeds = new float[count][];
        for (int b0 = 0; b0 < count; b0 += batchSize) {
            int batch = Math.min(batchSize, count - b0);
            int[] ids = new int[batch * context], pooledIndex = new int[batch];
            float[][] overrides = null;
            for (int b = 0; b < batch; b++) {
                Chunk chunk = chunks.get(b0 + b);
                for (int j = 0; j < context; j++) ids[b * context + j] = chunk.id(j);
                pooledIndex[b] = firstEnd(chunk);
                if (chunk.hasSlots()) {
                    if (overrides == null) overrides = new float[batch * context][];
                    for (int j = 0; j < context; j++) {
                        EmbeddingSlot slot = chunk.slot(j);
                        if (slot == null) continue;
                        float[] table = embeddings.vectors(slot.name(), t.index() + 1, encoders, w);
                        overrides[b * context + j] = Arrays.copyOfRange(table, slot.index() * w, (slot.index() + 1) * w);
                    }
                }
            }
            TextTransformer.Result r = tf.forward(ids, batch, pooledIndex, req, overrides);
            for (int b = 0; b < batch; b++) {
                if (r.conditioning() != null) cond[b0 + b] = Arrays.copyOfRange(r.conditioning(), b * context * w, (b + 1) * context * w);
                if (r.pooled() != null) po[b0 + b] = Arrays.copyOfRange(r.pooled(), b * w, (b + 1) * w);
                if (r.textEmbeds() != null) embeds[b0 + b] = Arrays.copyOfRange(r.textEmbeds(), b * projection, (b + 1) * projection);
            }
            step.accept(batch);
        }
        return new Encoded(cond, po, embeds);
    }

    /** The same conditioning layer as the plain path, by the one clip-skip rule ({@link ConditioningLayer}). */
    private static TextTransformer.Request request(TextTower tower, int clipSkip, boolean conditioning, boolean pooled) {
        ConditioningLayer c = ConditioningLayer.of(tower, clipSkip);
        return new TextTransformer.Request(false, false, conditioning ? c.layer() : -1, c.normed(), pooled);
    }

    private static int firstEnd(Chunk chunk) {
        int p = 0;
        while (p < Chunk.LENGTH - 1 && chunk.id(p) != END_ID) p++;
        return p;
    }

    /**
     * Two encoders joined as the plain path joins them ({@link SdxlMerge}: SDXL's pooled vector
     * encoder 2's, SD3's the concatenation), with the chunk counts after the ids.
     */
    private Map<String, HostTensor> combine(Map<String, HostTensor> e1, Map<String, HostTensor> e2) {
        Map<String, HostTensor> a = new LinkedHashMap<>(e1), b = new LinkedHashMap<>(e2);
        a.remove("chunks");
        HostTensor chunks = b.remove("chunks");
        Map<String, HostTensor> out = new LinkedHashMap<>();
        SdxlMerge.merge(a, b, sd3).forEach((name, t) -> {
            out.put(name, t);
            if (name.equals("pooled_index")) out.put("chunks", chunks);
        });
        return out;
    }
}
