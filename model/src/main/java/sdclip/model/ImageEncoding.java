package sdclip.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link ImageEncoder#encode} produced for M images, all F32 row-major.
 *
 * @param imageEmbeds  {@code [M, P]}: the pooled output through the visual projection (null when the model has none)
 * @param pooledOutput {@code [M, D]}: {@code post_layernorm} of the last block's class token
 * @param pixelValues  {@code [M, 3, S, S]}: the preprocessed model input, when asked for, else null
 * @param hiddenStates {@code [L+1, M, T, D]} with {@code T = (S / patch)^2 + 1}: index 0 after
 *                     {@code pre_layrnorm}, index k the raw output of block k; when asked for, else null
 */
public record ImageEncoding(HostTensor imageEmbeds, HostTensor pooledOutput, HostTensor pixelValues, HostTensor hiddenStates) {

    /** {@return the number of images M} */
    public int count() { return (int) pooledOutput.shape()[0]; }

    /**
     * The tensors by their output names ({@code image_embeds}, {@code image_pooled_output},
     * {@code pixel_values}, {@code vision_hidden_states}), absent ones left out.
     *
     * @return the tensors as an {@link Encoding}, for the generic writers
     */
    public Encoding asEncoding() {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        if (imageEmbeds != null) m.put("image_embeds", imageEmbeds);
        m.put("image_pooled_output", pooledOutput);
        if (pixelValues != null) m.put("pixel_values", pixelValues);
        if (hiddenStates != null) m.put("vision_hidden_states", hiddenStates);
        return new Encoding(m);
    }
}
