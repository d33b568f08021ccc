package sdclip.model.prompt;

import java.util.Objects;

/**
 * A run of prompt text and its weight (attention multiplier), as the parsers produce it. The
 * weight is a double, as the UIs compute it in Python floats; chunkers round it to float32.
 *
 * @param text the literal text, escapes already resolved; may be empty
 * @param weight the multiplier; 1.0 means unweighted
 */
public record Fragment(String text, double weight) implements PromptPart {
    /** Checks that the text is present. */
    public Fragment {
        Objects.requireNonNull(text, "text");
    }
}
