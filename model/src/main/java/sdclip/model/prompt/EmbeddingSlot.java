package sdclip.model.prompt;

import java.util.Objects;

/**
 * A chunk position that takes a textual inversion vector instead of a token's embedding: vector
 * {@code index} of the embedding {@code name}. The encoder substitutes it for the token embedding
 * before position embeddings are added.
 *
 * @param name the embedding's name (its file stem), as given in {@link TextualInversion#name()}
 * @param index which of its vectors, from 0
 */
public record EmbeddingSlot(String name, int index) {
    /** Checks the name and index. */
    public EmbeddingSlot {
        Objects.requireNonNull(name, "name");
        if (index < 0) throw new IllegalArgumentException("vector index " + index + " < 0");
    }
}
