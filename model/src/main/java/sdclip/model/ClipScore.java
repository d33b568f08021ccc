package sdclip.model;

/**
 * CLIPScore: how well a caption fits an image, from CLIP's {@code text_embeds} and
 * {@code image_embeds} (both {@code [*, P]}). Per pair, {@code score = w * 100 * max(cos, 0)}
 * where {@code cos} is the cosine of the two embeddings (computed in double); {@code w = 1}
 * is torchmetrics' {@code CLIPScore}, {@code w = 2.5} the original paper's (Hessel et al. 2021,
 * whose figures are reported times 100). Over many pairs,
 * {@code mean = w * max(100 * mean(cos), 0)}, as torchmetrics computes it (clamping the mean, not
 * each pair).
 */
public final class ClipScore {
    private ClipScore() {}

    /** The original paper's scale w. */
    public static final double PAPER_SCALE = 2.5;

    /**
     * Cosine of row {@code a} of {@code x [*, dim]} and row {@code b} of {@code y [*, dim]}, in double.
     *
     * @param x   the first rows, row-major
     * @param a   the row of {@code x}, from 0
     * @param y   the second rows, row-major
     * @param b   the row of {@code y}, from 0
     * @param dim values per row
     * @return the cosine, in [-1, 1]; NaN when a row is all zeros
     */
    public static double cosine(float[] x, int a, float[] y, int b, int dim) {
        double dot = 0, nx = 0, ny = 0;
        for (int i = 0; i < dim; i++) {
            double u = x[a * dim + i], v = y[b * dim + i];
            dot += u * v;
            nx += u * u;
            ny += v * v;
        }
        return dot / Math.sqrt(nx * ny);
    }

    /**
     * Cosine of a text row and an image row.
     *
     * @param textEmbeds  {@code text_embeds}, F32 {@code [N, P]}
     * @param text        the text row, from 0
     * @param imageEmbeds {@code image_embeds}, F32 {@code [M, P]}
     * @param image       the image row, from 0
     * @return the cosine, in [-1, 1]
     * @throws IllegalArgumentException when the two P differ (embeddings of different models)
     */
    public static double cosine(HostTensor textEmbeds, int text, HostTensor imageEmbeds, int image) {
        int dim = (int) textEmbeds.shape()[textEmbeds.shape().length - 1];
        int other = (int) imageEmbeds.shape()[imageEmbeds.shape().length - 1];
        if (dim != other) throw new IllegalArgumentException("text embeddings have " + dim + " values and image embeddings " + other + "; they must come from one CLIP model");
        return cosine(textEmbeds.floats(), text, imageEmbeds.floats(), image, dim);
    }

    /**
     * One pair's score, {@code w * 100 * max(cos, 0)}.
     *
     * @param cosine the pair's cosine
     * @param scale  w: 1 for torchmetrics, {@link #PAPER_SCALE} for the paper
     * @return the score, from 0 to {@code 100 * w}
     */
    public static double score(double cosine, double scale) { return scale * 100 * Math.max(cosine, 0); }

    /**
     * The score over many pairs, {@code w * max(100 * mean(cos), 0)}.
     *
     * @param cosines each pair's cosine; may be empty
     * @param scale   w: 1 for torchmetrics, {@link #PAPER_SCALE} for the paper
     * @return the score, from 0 to {@code 100 * w}; NaN for no pairs
     */
    public static double mean(double[] cosines, double scale) {
        if (cosines.length == 0) return Double.NaN;
        double sum = 0;
        for (double c : cosines) sum += c;
        return scale * Math.max(100 * sum / cosines.length, 0);
    }
}
