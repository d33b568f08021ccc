package sdclip.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link ImageEncoder#encode} computes: a set of {@link ImageOutput}s, and who hears of
 * progress. Immutable, like {@link EncodeRequest} on the text side.
 *
 * <pre>{@code
 * ImageRequest.standard().with(ImageOutput.PIXEL_VALUES)   // embeddings, pooled output and the model input
 * }</pre>
 */
public final class ImageRequest {
    private final Set<ImageOutput> outputs;
    private final ProgressListener progress;

    private ImageRequest(Set<ImageOutput> outputs, ProgressListener progress) {
        this.outputs = Collections.unmodifiableSet(outputs);
        this.progress = progress;
    }

    /**
     * A request for these outputs.
     *
     * @param outputs the outputs ({@link ImageOutput#IMAGE_EMBEDS} is left out for a model without a projection)
     * @return the request
     */
    public static ImageRequest of(ImageOutput... outputs) {
        EnumSet<ImageOutput> set = EnumSet.noneOf(ImageOutput.class);
        for (ImageOutput o : outputs) set.add(o);
        return new ImageRequest(set, ProgressListener.NONE);
    }

    /** {@return a request for {@code image_embeds} and {@code image_pooled_output}} */
    public static ImageRequest standard() {
        return of(ImageOutput.IMAGE_EMBEDS, ImageOutput.POOLED_OUTPUT);
    }

    /**
     * This request plus {@code more} outputs.
     *
     * @param more outputs to add
     * @return the new request
     */
    public ImageRequest with(ImageOutput... more) {
        EnumSet<ImageOutput> set = outputs.isEmpty() ? EnumSet.noneOf(ImageOutput.class) : EnumSet.copyOf(outputs);
        for (ImageOutput o : more) set.add(o);
        return new ImageRequest(set, progress);
    }

    /**
     * This request, telling {@code listener} after each batch how many images are done.
     *
     * @param listener told on the encoding thread; {@link ProgressListener#NONE} for silence
     * @return the new request
     */
    public ImageRequest progress(ProgressListener listener) {
        return new ImageRequest(outputs, listener);
    }

    /** {@return the outputs asked for; unmodifiable} */
    public Set<ImageOutput> outputs() {
        return outputs;
    }

    /**
     * Whether {@code o} is asked for.
     *
     * @param o an output
     * @return true when the request includes it
     */
    public boolean wants(ImageOutput o) {
        return outputs.contains(o);
    }

    /** {@return who hears of progress} */
    public ProgressListener progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "ImageRequest" + outputs;
    }
}
