package sdclip.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link ImageEncoder#encode} produced for M images: the tensors its {@link ImageRequest}
 * asked for, by {@link ImageOutput} name, as {@link Encoding} holds a text run's. Shapes are in
 * {@link ImageOutput}.
 */
public final class ImageEncoding {
    private final Map<String, HostTensor> tensors;
    private final int images;

    /**
     * Wraps tensors by name.
     *
     * @param tensors the tensors, in output order; kept, not copied
     * @param images  the number of images M
     */
    public ImageEncoding(Map<String, HostTensor> tensors, int images) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.images = images;
    }

    /** {@return every tensor by name, in output order; unmodifiable} */
    public Map<String, HostTensor> tensors() {
        return tensors;
    }

    /**
     * One tensor.
     *
     * @param name an {@link ImageOutput#id()}
     * @return the tensor
     * @throws IllegalArgumentException when the run did not produce it
     */
    public HostTensor get(String name) {
        HostTensor t = tensors.get(name);
        if (t == null)
            throw new IllegalArgumentException(
                    "no tensor \"" + name + "\" in this result; it has " + String.join(", ", tensors.keySet()));
        return t;
    }

    /**
     * Whether the run produced {@code name}.
     *
     * @param name an {@link ImageOutput#id()}
     * @return true when present
     */
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** {@return the number of images M} */
    public int images() {
        return images;
    }

    /** {@return {@code image_embeds} [M, P]} @throws IllegalArgumentException when absent (no projection, or not asked) */
    public HostTensor imageEmbeds() {
        return get(ImageOutput.IMAGE_EMBEDS.id());
    }

    /** {@return {@code image_pooled_output} [M, D]} @throws IllegalArgumentException when not asked */
    public HostTensor pooledOutput() {
        return get(ImageOutput.POOLED_OUTPUT.id());
    }

    /** {@return {@code pixel_values} [M, 3, S, S]} @throws IllegalArgumentException when not asked */
    public HostTensor pixelValues() {
        return get(ImageOutput.PIXEL_VALUES.id());
    }

    /** {@return {@code vision_hidden_states} [L+1, M, T, D]} @throws IllegalArgumentException when not asked */
    public HostTensor hiddenStates() {
        return get(ImageOutput.HIDDEN_STATES.id());
    }

    /** {@return the same tensors as an {@link Encoding}, for the generic writers} */
    public Encoding asEncoding() {
        return new Encoding(tensors);
    }
}
