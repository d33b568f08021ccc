package sdclip.model;

/** What {@link ImageEncoder} can compute, named as the output files name the tensors. */
public enum ImageOutput {
    /** {@code image_embeds} F32 {@code [M, P]}: the pooled output through the visual projection (models with one). */
    IMAGE_EMBEDS("image_embeds"),
    /** {@code image_pooled_output} F32 {@code [M, D]}: {@code post_layernorm} of the last block's class token. */
    POOLED_OUTPUT("image_pooled_output"),
    /** {@code pixel_values} F32 {@code [M, 3, S, S]}: the preprocessed model input. */
    PIXEL_VALUES("pixel_values"),
    /**
     * {@code vision_hidden_states} F32 {@code [L+1, M, T, D]} with {@code T = (S / patch)^2 + 1}:
     * index 0 after {@code pre_layrnorm}, index k the raw output of block k.
     */
    HIDDEN_STATES("vision_hidden_states");

    private final String id;

    ImageOutput(String id) {
        this.id = id;
    }

    /** {@return the tensor name, e.g. {@code image_embeds}} */
    public String id() {
        return id;
    }
}
