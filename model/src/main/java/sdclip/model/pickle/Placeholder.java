package sdclip.model.pickle;

/**
 * An inert stand-in for an object whose class is allowed but never built, such as a
 * {@code pytorch_lightning} callback or a numpy scalar: only the class name is kept.
 */
public record Placeholder(String type) {
    @Override
    public String toString() {
        return "<" + type + ">";
    }
}
