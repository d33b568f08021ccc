package sdclip.model;

/**
 * The outputs a text encoder can compute, each named as it is written to files. Every
 * {@link Encoding} also holds {@code input_ids} I64 {@code [N, 77]} and {@code pooled_index} I64
 * {@code [N]} (the position of each row's first end token), which cost nothing.
 */
public enum TextOutput {
    /** The UNet conditioning, F32 {@code [N, 77, C]}: the clip-skip layer, with or without the final norm per family. */
    CONDITIONING("conditioning"),
    /** {@code final_layer_norm} of the last block, F32 {@code [N, 77, D]}. */
    LAST_HIDDEN_STATE("last_hidden_state"),
    /** The embedding output and every block's raw output, F32 {@code [L+1, N, 77, D]}. */
    HIDDEN_STATES("hidden_states"),
    /** {@code final_layer_norm} of each row at its first end token, F32 {@code [N, D]}. */
    POOLED_OUTPUT("pooled_output"),
    /** The pooled output times the text projection, F32 {@code [N, P]}; only where a projection exists. */
    TEXT_EMBEDS("text_embeds");

    private final String id;

    TextOutput(String id) {
        this.id = id;
    }

    /** {@return the tensor name, e.g. {@code "last_hidden_state"}} */
    public String id() {
        return id;
    }

    /** {@return whether computing it needs every position of every row (all but the pooled outputs)} */
    public boolean needsFullSequence() {
        return this != POOLED_OUTPUT && this != TEXT_EMBEDS;
    }

    /**
     * The output with this tensor name.
     *
     * @param id a tensor name, e.g. {@code "pooled_output"}
     * @return the output, or null when no output has that name
     */
    public static TextOutput byId(String id) {
        for (TextOutput o : values()) if (o.id.equals(id)) return o;
        return null;
    }
}
