package sdclip.model.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import sdclip.model.EncodeRequest;
import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;
import sdclip.model.TextOutput;
import sdclip.model.checkpoint.ClipTextConfig;
import sdclip.model.checkpoint.TextTower;

/**
 * One encoder's share of a request: what its forward passes compute, and how the results of a
 * batch are named and shaped ({@link #specs} and {@link #run} agree by construction: both
 * follow {@link #names}).
 */
public final class EncoderOutputs {
    private final TextTransformer transformer;
    private final EncodeRequest request;
    private final ConditioningLayer conditioning;
    private final TextTransformer.Request pass;

    public EncoderOutputs(TextTower tower, TextTransformer transformer, EncodeRequest request) {
        this.transformer = transformer;
        this.request = request;
        this.conditioning = ConditioningLayer.of(tower, request.clipSkip());
        boolean pooled = request.wants(TextOutput.POOLED_OUTPUT) || request.wants(TextOutput.TEXT_EMBEDS);
        this.pass = new TextTransformer.Request(
                request.wants(TextOutput.HIDDEN_STATES),
                request.wants(TextOutput.LAST_HIDDEN_STATE),
                request.wants(TextOutput.CONDITIONING) ? conditioning.layer() : -1,
                conditioning.normed(),
                pooled);
    }

    public ClipTextConfig config() {
        return transformer.config();
    }

    /** Whether every position of every row is needed (false: the pooled-only path). */
    public boolean fullSequence() {
        return pass.needsFullSequence();
    }

    /** The tensor names of a batch, in order. */
    List<String> names() {
        List<String> names = new ArrayList<>(List.of("input_ids", "pooled_index"));
        for (TextOutput o : List.of(
                TextOutput.CONDITIONING,
                TextOutput.LAST_HIDDEN_STATE,
                TextOutput.POOLED_OUTPUT,
                TextOutput.TEXT_EMBEDS,
                TextOutput.HIDDEN_STATES)) {
            if (!request.wants(o) || (o == TextOutput.TEXT_EMBEDS && transformer.projectionDim() == 0)) continue;
            names.add(o.id());
        }
        return names;
    }

    /** The shapes of an {@code n}-prompt run's tensors, in {@link #names} order. */
    public List<TensorSpec> specs(long n) {
        ClipTextConfig cfg = config();
        long context = cfg.contextLength(), w = cfg.width();
        List<TensorSpec> specs = new ArrayList<>();
        for (String name : names()) {
            specs.add(
                    switch (name) {
                        case "input_ids" -> new TensorSpec(name, "I64", new long[] {n, context}, 0, null);
                        case "pooled_index" -> new TensorSpec(name, "I64", new long[] {n}, 0, null);
                        case "conditioning" -> new TensorSpec(name, "F32", new long[] {n, context, w}, 0, null);
                        case "last_hidden_state" ->
                            new TensorSpec(
                                    name,
                                    "F32",
                                    new long[] {n, context, w},
                                    0,
                                    request.wants(TextOutput.CONDITIONING) && conditioning.isLastHiddenState()
                                            ? "conditioning"
                                            : null);
                        case "pooled_output" -> new TensorSpec(name, "F32", new long[] {n, w}, 0, null);
                        case "text_embeds" ->
                            new TensorSpec(name, "F32", new long[] {n, transformer.projectionDim()}, 0, null);
                        case "hidden_states" ->
                            new TensorSpec(name, "F32", new long[] {cfg.layers() + 1, n, context, w}, 1, null);
                        default -> throw new IllegalStateException(name);
                    });
        }
        return specs;
    }

    /** Runs one batch of {@code batch} rows of 77 ids; {@code pooledIndex[b]} is row b's first end token. */
    public Map<String, HostTensor> run(int[] ids, int[] pooledIndex, int batch) {
        ClipTextConfig cfg = config();
        int context = cfg.contextLength(), w = cfg.width(), layers = cfg.layers();
        TextTransformer.Result r = transformer.forward(ids, batch, pooledIndex, pass);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String name : names()) {
            out.put(
                    name,
                    switch (name) {
                        case "input_ids" -> HostTensor.ofLongs(widen(ids), batch, context);
                        case "pooled_index" -> HostTensor.ofLongs(widen(pooledIndex), batch);
                        case "conditioning" -> HostTensor.of(r.conditioning(), batch, context, w);
                        case "last_hidden_state" -> HostTensor.of(r.lastHiddenState(), batch, context, w);
                        case "pooled_output" -> HostTensor.of(r.pooled(), batch, w);
                        case "text_embeds" -> HostTensor.of(r.textEmbeds(), batch, transformer.projectionDim());
                        case "hidden_states" -> HostTensor.of(stack(r.hiddenStates()), layers + 1, batch, context, w);
                        default -> throw new IllegalStateException(name);
                    });
        }
        return out;
    }

    private static long[] widen(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) out[i] = values[i];
        return out;
    }

    /** {@code [L+1][b x 77 x D]} as one {@code [L+1, b, 77, D]} array. */
    private static float[] stack(float[][] layers) {
        int each = layers[0].length;
        float[] out = new float[Math.multiplyExact(layers.length, each)];
        for (int l = 0; l < layers.length; l++) System.arraycopy(layers[l], 0, out, l * each, each);
        return out;
    }
}
