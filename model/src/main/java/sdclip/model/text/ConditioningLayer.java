package sdclip.model.text;

import sdclip.model.checkpoint.TextTower;

/**
 * The clip-skip rule, the one place it lives: clip skip K picks hidden state K counted from the
 * end ({@code hidden_states[L + 1 - K]}; K = 1 the last block), the way A1111 and ComfyUI count
 * it, on every family. Defaults: 2 where the family's UNet was trained on the penultimate block
 * (SD 2.x single files, SDXL and its refiner), else 1. Whether the final layer norm applies is the
 * family's: SD 1.x, SD 2.x and CLIP apply it, SDXL's encoders do not.
 *
 * @param layer    the index into {@code hidden_states} (0 the embeddings, L the last block)
 * @param layers   L, the tower's block count
 * @param normed   whether {@code final_layer_norm} is applied
 * @param clipSkip K, the default already filled in
 */
public record ConditioningLayer(int layer, int layers, boolean normed, int clipSkip) {

    /** The conditioning of {@code tower} for clip skip {@code k} (0: the family's default). */
    public static ConditioningLayer of(TextTower tower, int k) {
        int layers = tower.config().layers();
        boolean raw = tower.conditioning() == TextTower.Conditioning.RAW_PENULTIMATE;
        int skip = k > 0 ? k : raw ? 2 : tower.defaultClipSkip();
        if (skip > layers + 1) {
            throw new IllegalArgumentException("clip skip " + skip + " is out of range for " + tower.label()
                    + ", which has " + layers + " layers (1 to " + (layers + 1) + ")");
        }
        return new ConditioningLayer(layers + 1 - skip, layers, !raw, skip);
    }

    /** Whether this conditioning is exactly {@code last_hidden_state} (the last block, normed). */
    public boolean isLastHiddenState() {
        return normed && layer == layers;
    }

    /** E.g. {@code final_norm(hidden_states[L])} or {@code hidden_states[L-1] (no final norm)}. */
    public String describe() {
        String h = layer == layers ? "hidden_states[L]" : "hidden_states[L-" + (layers - layer) + "]";
        return normed ? "final_norm(" + h + ")" : h + " (no final norm)";
    }
}
