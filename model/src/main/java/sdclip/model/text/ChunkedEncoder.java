package sdclip.model.text;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import sdclip.model.HostTensor;
import sdclip.model.ProgressListener;
import sdclip.model.PromptException;
import sdclip.model.TensorSpec;
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
    /** The tensor saying how many chunks each prompt used before padding. */
    static final String CHUNKS = "chunks";

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
    public ChunkedEncoder(
            List<Tower> towers,
            int encoders,
            PromptSyntax syntax,
            Emphasis emphasis,
            EmbeddingFiles embeddings,
            int batchSize,
            boolean sd3) {
        if (syntax == PromptSyntax.PLAIN)
            throw new IllegalArgumentException("the chunked encoder takes the A1111 or ComfyUI syntax");
        this.sd3 = sd3;
        this.towers = List.copyOf(towers);
        this.encoders = encoders;
        this.syntax = syntax;
        this.emphasis = emphasis;
        this.batchSize = Math.max(1, batchSize);
        // Up front, before any encoding: a misfit from a folder drops out, a named one is refused.
        Map<Integer, Integer> widths = new LinkedHashMap<>();
        for (Tower t : towers)
            widths.put(t.index() + 1, t.transformer().config().width());
        this.embeddings = embeddings.fitting(encoders, widths);
    }

    /** How one encoder cuts prompts, and its empty chunk (padding, and ComfyUI's z_empty). */
    private record Cutter(Tower tower, Function<String, List<Chunk>> chunker, Chunk empty) {}

    /**
     * The most chunks any prompt is cut into: the k of {@code conditioning [N, 77k, D]}. Reads
     * every prompt once (tokenizing it) and keeps nothing.
     *
     * @param prompts the prompts
     * @return k, at least 1
     */
    public int chunksPerPrompt(List<String> prompts) {
        Cutter c = cutter(towers.getFirst());
        int k = 1;
        for (int i = 0; i < prompts.size(); i++)
            k = Math.max(k, cut(c, prompts, i).size());
        return k;
    }

    /**
     * The tensors an {@code n}-prompt run gives, in the order {@link #stream} hands them over;
     * per-encoder tensors that repeat a top-level one say so ({@link TensorSpec#copyOf}), as on
     * the plain path.
     *
     * @param n the number of prompts
     * @param k chunks per prompt ({@link #chunksPerPrompt})
     * @param conditioning whether {@code conditioning} is computed
     * @param pooled whether {@code pooled_output} and {@code text_embeds} are computed
     * @return the specs
     */
    public List<TensorSpec> specs(long n, int k, boolean conditioning, boolean pooled) {
        List<List<TensorSpec>> each = new ArrayList<>();
        for (Tower t : towers) {
            ClipTextConfig cfg = t.transformer().config();
            List<TensorSpec> s = new ArrayList<>();
            s.add(new TensorSpec("input_ids", "I64", new long[] {n, (long) k * Chunk.LENGTH}, 0, null));
            s.add(new TensorSpec("pooled_index", "I64", new long[] {n}, 0, null));
            if (conditioning)
                s.add(new TensorSpec(
                        "conditioning", "F32", new long[] {n, (long) k * Chunk.LENGTH, cfg.width()}, 0, null));
            if (pooled) {
                s.add(new TensorSpec("pooled_output", "F32", new long[] {n, cfg.width()}, 0, null));
                if (t.transformer().projectionDim() > 0)
                    s.add(new TensorSpec(
                            "text_embeds", "F32", new long[] {n, t.transformer().projectionDim()}, 0, null));
            }
            each.add(s);
        }
        List<TensorSpec> merged = each.size() == 1 ? each.getFirst() : SdxlMerge.specs(each.get(0), each.get(1), sd3);
        List<TensorSpec> out = new ArrayList<>();
        for (TensorSpec s : merged) {
            out.add(s);
            if (s.name().equals("pooled_index")) out.add(new TensorSpec(CHUNKS, "I64", new long[] {n}, 0, null));
        }
        return out;
    }

    /**
     * Encodes prompts a few at a time, handing each group's tensors to {@code sink} in prompt
     * order before the next group starts: memory holds one group (about a forward pass of
     * chunks), whatever the number of prompts. Every prompt is padded to {@code k} chunks, so
     * the groups join into the tensors {@link #specs} describes.
     *
     * @param prompts the prompts
     * @param k chunks per prompt, at least the most any prompt needs ({@link #chunksPerPrompt})
     * @param clipSkip 0 for the family's default, else as {@link sdclip.model.EncodeRequest#clipSkip()}
     * @param conditioning whether to compute {@code conditioning}
     * @param pooled whether to compute {@code pooled_output} and {@code text_embeds}
     * @param sink receives each group's tensors, shaped for its prompt count
     * @param progress told the prompts done after each group
     * @throws IOException as the sink throws
     * @throws IllegalArgumentException when a prompt needs more than {@code k} chunks
     */
    public void stream(
            List<String> prompts,
            int k,
            int clipSkip,
            boolean conditioning,
            boolean pooled,
            Batches.Consumer sink,
            ProgressListener progress)
            throws IOException {
        stream(prompts, null, k, clipSkip, conditioning, pooled, sink, progress);
    }

    /**
     * As {@link #stream(List, int, int, boolean, boolean, Batches.Consumer, ProgressListener)},
     * with prompts in scopes (a scheduled A1111 run's rows, scoped by the prompt they belong to):
     * a text that comes back within its scope after its group was encoded is copied from that
     * encoding, not encoded again, so each distinct text of a scope runs through the towers once
     * whatever the groups. Memory holds, besides a group, one row for each text of the current
     * scope that is still to come back.
     *
     * @param prompts the prompts
     * @param scopes each prompt's scope, equal scopes adjacent; null for none (only a group's
     *     repeats are shared)
     * @param k chunks per prompt, at least the most any prompt needs ({@link #chunksPerPrompt})
     * @param clipSkip 0 for the family's default, else as {@link sdclip.model.EncodeRequest#clipSkip()}
     * @param conditioning whether to compute {@code conditioning}
     * @param pooled whether to compute {@code pooled_output} and {@code text_embeds}
     * @param sink receives each group's tensors, shaped for its prompt count
     * @param progress told the prompts done after each group
     * @throws IOException as the sink throws
     * @throws IllegalArgumentException when a prompt needs more than {@code k} chunks
     */
    public void stream(
            List<String> prompts,
            int[] scopes,
            int k,
            int clipSkip,
            boolean conditioning,
            boolean pooled,
            Batches.Consumer sink,
            ProgressListener progress)
            throws IOException {
        List<Cutter> cutters = towers.stream().map(this::cutter).toList();
        List<Encoded> empties = new ArrayList<>();
        for (Cutter c : cutters) empties.add(forward(c.tower(), List.of(c.empty()), clipSkip, conditioning, pooled));
        int n = prompts.size();
        int[] lastUse = scopes == null ? null : lastUse(prompts, scopes);
        // The current scope's texts encoded in earlier groups that come back later: one row of each tensor.
        Map<String, Map<String, HostTensor>> kept = new HashMap<>();
        for (int first = 0; first < n; ) {
            // A group: prompts until their chunks fill a forward pass, cut by every encoder.
            List<List<List<Chunk>>> group = new ArrayList<>();
            for (int e = 0; e < cutters.size(); e++) group.add(new ArrayList<>());
            // Per prompt of the group: its row among those encoded, or -1 and its kept row.
            List<Integer> at = new ArrayList<>();
            List<Map<String, HostTensor>> from = new ArrayList<>();
            int end = first, chunks = 0;
            // A text met before in the group shares its chunks (the same list), so it is encoded once.
            Map<String, Integer> seen = new HashMap<>();
            while (end < n && chunks < batchSize) {
                if (scopes != null && end > 0 && scopes[end] != scopes[end - 1]) kept.clear();
                Map<String, HostTensor> old = kept.get(prompts.get(end));
                if (old != null) {
                    at.add(-1);
                    from.add(old);
                    end++;
                    continue;
                }
                int row = group.getFirst().size();
                Integer same = seen.putIfAbsent(prompts.get(end), row);
                at.add(row);
                from.add(null);
                for (int e = 0; e < cutters.size(); e++) {
                    List<List<Chunk>> g = group.get(e);
                    g.add(same != null ? g.get(same) : cut(cutters.get(e), prompts, end));
                }
                if (same != null) {
                    end++;
                    continue;
                }
                int count = group.getFirst().getLast().size();
                for (List<List<Chunk>> g : group) {
                    if (g.getLast().size() != count)
                        throw new IllegalStateException(
                                "the text encoders cut prompt " + end + " into different numbers of chunks");
                }
                if (count > k)
                    throw new IllegalArgumentException(
                            "prompt " + end + " needs " + count + " chunks, more than the " + k + " given");
                chunks += conditioning ? Math.max(count, 1) : 1;
                end++;
            }
            Map<String, HostTensor> encoded = null;
            if (!group.getFirst().isEmpty()) {
                List<Map<String, HostTensor>> out = new ArrayList<>();
                for (int e = 0; e < cutters.size(); e++)
                    out.add(encode(cutters.get(e), empties.get(e), group.get(e), k, clipSkip, conditioning, pooled));
                encoded = out.size() == 1 ? out.getFirst() : combine(out.get(0), out.get(1));
            }
            Map<String, HostTensor> batch =
                    encoded != null && group.getFirst().size() == at.size() ? encoded : assemble(at, from, encoded);
            // Rows whose text comes back after this group (in the same scope) are kept for it.
            if (lastUse != null)
                for (int r = 0; r < at.size(); r++)
                    if (lastUse[first + r] >= end && !kept.containsKey(prompts.get(first + r)))
                        kept.put(prompts.get(first + r), row(batch, at.size(), r));
            sink.accept(first, batch);
            first = end;
            progress.progress(first, n);
        }
    }

    /** For each prompt, the last index in its scope with the same text. */
    private static int[] lastUse(List<String> prompts, int[] scopes) {
        int n = prompts.size();
        int[] last = new int[n];
        Map<String, Integer> later = new HashMap<>();
        for (int i = n - 1; i >= 0; i--) {
            if (i < n - 1 && scopes[i] != scopes[i + 1]) later.clear();
            Integer l = later.putIfAbsent(prompts.get(i), i);
            last[i] = l == null ? i : l;
        }
        return last;
    }

    /** Row {@code r} of a group's tensors (every one has its prompts on the outer axis), as one-row tensors. */
    private static Map<String, HostTensor> row(Map<String, HostTensor> batch, int n, int r) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        batch.forEach((name, t) -> {
            long[] shape = t.shape().clone();
            shape[0] = 1;
            int size = t.size() / n;
            out.put(
                    name,
                    t.isFloat()
                            ? HostTensor.of(Arrays.copyOfRange(t.floats(), r * size, (r + 1) * size), shape)
                            : HostTensor.ofLongs(Arrays.copyOfRange(t.longs(), r * size, (r + 1) * size), shape));
        });
        return out;
    }

    /** A group's tensors from its encoded rows ({@code at[r] >= 0}) and its kept ones. */
    private static Map<String, HostTensor> assemble(
            List<Integer> at, List<Map<String, HostTensor>> from, Map<String, HostTensor> encoded) {
        int n = at.size();
        Map<String, HostTensor> shapes = encoded;
        for (int r = 0; shapes == null; r++) shapes = from.get(r);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> entry : shapes.entrySet()) {
            String name = entry.getKey();
            long[] shape = entry.getValue().shape().clone();
            int size = (int) (entry.getValue().size() / shape[0]);
            shape[0] = n;
            boolean floats = entry.getValue().isFloat();
            float[] f = floats ? new float[n * size] : null;
            long[] l = floats ? null : new long[n * size];
            for (int r = 0; r < n; r++) {
                HostTensor src =
                        at.get(r) >= 0 ? encoded.get(name) : from.get(r).get(name);
                int offset = at.get(r) >= 0 ? at.get(r) * size : 0;
                if (floats) System.arraycopy(src.floats(), offset, f, r * size, size);
                else System.arraycopy(src.longs(), offset, l, r * size, size);
            }
            out.put(name, floats ? HostTensor.of(f, shape) : HostTensor.ofLongs(l, shape));
        }
        return out;
    }

    /** Prompt {@code i} in chunks; a prompt that cannot be read says which it is. */
    private static List<Chunk> cut(Cutter c, List<String> prompts, int i) {
        try {
            return c.chunker().apply(prompts.get(i));
        } catch (PromptException e) {
            throw e.inPrompt(i, prompts.get(i));
        }
    }

    private Cutter cutter(Tower t) {
        int padId = t.tower().padId();
        if (syntax == PromptSyntax.A1111) {
            A1111Chunker a = new A1111Chunker(t.tokenizer(), padId, embeddings.inversions());
            return new Cutter(t, a::chunk, a.emptyChunk());
        }
        ComfyChunker c =
                new ComfyChunker(t.tokenizer(), padId, embeddings.inversions(), ComfyChunker.Grouping.SEGMENTS);
        return new Cutter(t, c::chunk, c.emptyChunk());
    }

    /**
     * One encoder, one group of prompts: their real chunks encoded (only the first of each when
     * no conditioning is asked), then laid out with the empty chunk's encoding as padding to k.
     */
    private Map<String, HostTensor> encode(
            Cutter c,
            Encoded empty,
            List<List<Chunk>> prompts,
            int k,
            int clipSkip,
            boolean conditioning,
            boolean pooled) {
        Tower t = c.tower();
        ClipTextConfig cfg = t.transformer().config();
        int n = prompts.size(), context = Chunk.LENGTH, w = cfg.width();
        if (cfg.contextLength() != context)
            throw new IllegalArgumentException(
                    t.tower().label() + " has a context of " + cfg.contextLength() + ", not " + context);
        int used = conditioning ? k : 1;
        // The chunks to run; where[p][i] is chunk i of prompt p in the run, or -1 for padding.
        List<Chunk> run = new ArrayList<>();
        int[][] where = new int[n][];
        Map<List<Chunk>, int[]> done = new IdentityHashMap<>(); // a repeated text's chunks run once
        for (int p = 0; p < n; p++) {
            int[] known = done.get(prompts.get(p));
            if (known != null) {
                where[p] = known;
                continue;
            }
            where[p] = new int[used];
            for (int i = 0; i < used; i++) {
                boolean real = i < prompts.get(p).size();
                where[p][i] = real ? run.size() : -1;
                if (real) run.add(prompts.get(p).get(i));
            }
            done.put(prompts.get(p), where[p]);
        }
        Encoded e = forward(t, run, clipSkip, conditioning, pooled);

        Map<String, HostTensor> out = new LinkedHashMap<>();
        long[] ids = new long[n * k * context], pooledIndex = new long[n], counts = new long[n];
        for (int p = 0; p < n; p++) {
            List<Chunk> chunks = prompts.get(p);
            counts[p] = chunks.size();
            pooledIndex[p] = firstEnd(chunks.isEmpty() ? c.empty() : chunks.getFirst());
            for (int i = 0; i < k; i++) {
                Chunk chunk = i < chunks.size() ? chunks.get(i) : c.empty();
                for (int j = 0; j < context; j++) ids[(p * k + i) * context + j] = chunk.id(j);
            }
        }
        out.put("input_ids", HostTensor.ofLongs(ids, n, (long) k * context));
        out.put("pooled_index", HostTensor.ofLongs(pooledIndex, n));
        out.put(CHUNKS, HostTensor.ofLongs(counts, n));
        if (conditioning) {
            int rowFloats = context * w;
            float[] cond = new float[n * k * rowFloats];
            float[] zEmpty = empty.conditioning()[0];
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
                Encoded from = at < 0 ? empty : e;
                System.arraycopy(from.pooled()[Math.max(at, 0)], 0, po, p * w, w);
                if (embeds != null)
                    System.arraycopy(from.textEmbeds()[Math.max(at, 0)], 0, embeds, p * projection, projection);
            }
            out.put("pooled_output", HostTensor.of(po, n, w));
            if (embeds != null) out.put("text_embeds", HostTensor.of(embeds, n, projection));
        }
        return out;
    }

    /** One chunk's weighted rows; an unweighted chunk is left as it is (both weightings would return it unchanged). */
    private float[] weigh(float[] z, float[] zEmpty, Chunk chunk) {
        if (!chunk.isWeighted()) return z;
        return syntax == PromptSyntax.A1111
                ? emphasis.apply(z, chunk.weights())
                : ComfyWeighting.apply(z, zEmpty, chunk.weights());
    }

    /** Per chunk of a run: its conditioning {@code [77 * D]}, pooled output and text embeds, null where not asked. */
    private record Encoded(float[][] conditioning, float[][] pooled, float[][] textEmbeds) {}

    private Encoded forward(Tower t, List<Chunk> chunks, int clipSkip, boolean conditioning, boolean pooled) {
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
                        overrides[b * context + j] =
                                Arrays.copyOfRange(table, slot.index() * w, (slot.index() + 1) * w);
                    }
                }
            }
            TextTransformer.Result r = tf.forward(ids, batch, pooledIndex, req, overrides);
            for (int b = 0; b < batch; b++) {
                if (r.conditioning() != null)
                    cond[b0 + b] = Arrays.copyOfRange(r.conditioning(), b * context * w, (b + 1) * context * w);
                if (r.pooled() != null) po[b0 + b] = Arrays.copyOfRange(r.pooled(), b * w, (b + 1) * w);
                if (r.textEmbeds() != null)
                    embeds[b0 + b] = Arrays.copyOfRange(r.textEmbeds(), b * projection, (b + 1) * projection);
            }
        }
        return new Encoded(cond, po, embeds);
    }

    /** The same conditioning layer as the plain path, by the one clip-skip rule ({@link ConditioningLayer}). */
    private static TextTransformer.Request request(
            TextTower tower, int clipSkip, boolean conditioning, boolean pooled) {
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
        a.remove(CHUNKS);
        HostTensor chunks = b.remove(CHUNKS);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        SdxlMerge.merge(a, b, sd3).forEach((name, t) -> {
            out.put(name, t);
            if (name.equals("pooled_index")) out.put(CHUNKS, chunks);
        });
        return out;
    }
}
