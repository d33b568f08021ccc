package sdclip.model.checkpoint;

/** How a text tower's tensors are named inside a checkpoint. */
public enum Naming {
    /** {@code embeddings.token_embedding.weight}, {@code encoder.layers.N.self_attn.q_proj...} */
    HUGGING_FACE("huggingface"),
    /** {@code token_embedding.weight}, {@code transformer.resblocks.N.attn.in_proj_weight}... */
    OPENAI("openai");

    private final String id;

    Naming(String id) {
        this.id = id;
    }

    /** {@return the short name sdclip shows for this naming: {@code huggingface} or {@code openai}} */
    public String id() {
        return id;
    }
}
