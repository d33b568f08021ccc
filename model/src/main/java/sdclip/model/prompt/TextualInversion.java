package sdclip.model.prompt;

import java.util.Objects;

/**
 * A textual inversion embedding as the chunkers need it: the name that triggers it and how many
 * vectors it inserts. The vectors themselves stay with the encoder.
 *
 * @param name the trigger: the embedding file's stem (for example {@code redfox-a1111} for
 *     {@code redfox-a1111.pt}); A1111 matches its tokens anywhere in the prompt, ComfyUI matches
 *     {@code embedding:NAME}
 * @param vectors the number of vectors, 1 to {@link Chunk#CAPACITY}
 */
public record TextualInversion(String name, int vectors) {
    /** Checks the name and the vector count. */
    public TextualInversion {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) throw new IllegalArgumentException("embedding name is blank");
        if (vectors < 1 || vectors > Chunk.CAPACITY)
            throw new IllegalArgumentException(
                    "embedding " + name + " has " + vectors + " vectors; a chunk holds 1 to " + Chunk.CAPACITY);
    }
}
