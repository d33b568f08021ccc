package sdclip.model;

/**
 * How well a caption fits an image, from CLIP's {@code text_embeds} and {@code image_embeds}
 * (both {@code [*, P]}): the cosine of the two embeddings (computed in double), and the two
 * published scores built on it, each a {@link Metric}:
 * <ul>
 * <li>{@link #CLIPSCORE}, torchmetrics' {@code CLIPScore}: per pair {@code max(100 * cos, 0)};
 *     over a set {@code max(100 * mean(cos), 0)} (torchmetrics averages, then clamps);
 * <li>{@link #clipS(double) CLIP-S} of Hessel et al. 2021 (the {@code clipscore} reference code):
 *     per pair {@code w * max(cos, 0)} with {@code w = 2.5}; over a set the mean of the per-pair
 *     values.
 * </ul>
 * The raw cosine is what LAION and DataComp filter on.
 */
public final class ClipScore {
    private ClipScore() {}

    /** The paper's weight w of CLIP-S. */
    public static final double CLIP_S_WEIGHT = 2.5;

    /** A score of cosines, per pair and over a set of pairs. */
    public interface Metric {
        /** {@return the metric's name: {@code clipscore} or {@code clip-s}} */
        String id();

        /**
         * One pair's score.
         *
         * @param cosine the pair's cosine
         * @return the score
         */
        double pair(double cosine);

        /**
         * The score of a set of pairs.
         *
         * @param cosines each pair's cosine
         * @return the score; NaN for no pairs
         */
        double set(double[] cosines);
    }

    /** torchmetrics' {@code CLIPScore}: {@code max(100 cos, 0)}, over a set {@code max(100 mean(cos), 0)}. */
    public static final Metric CLIPSCORE = new Metric() {
        @Override
        public String id() {
            return "clipscore";
        }

        @Override
        public double pair(double cosine) {
            return Math.max(100 * cosine, 0);
        }

        @Override
        public double set(double[] cosines) {
            return Math.max(100 * mean(cosines), 0);
        }

        @Override
        public String toString() {
            return id();
        }
    };

    /**
     * CLIP-S (Hessel et al. 2021): {@code w max(cos, 0)} per pair, the mean of those over a set.
     *
     * @param weight w, {@link #CLIP_S_WEIGHT} in the paper; positive and finite
     * @return the metric
     * @throws IllegalArgumentException for a weight that is not a positive finite number
     */
    public static Metric clipS(double weight) {
        if (!(weight > 0) || Double.isInfinite(weight))
            throw new IllegalArgumentException("the CLIP-S weight must be a positive finite number, not " + weight);
        return new Metric() {
            @Override
            public String id() {
                return "clip-s";
            }

            @Override
            public double pair(double cosine) {
                return weight * Math.max(cosine, 0);
            }

            @Override
            public double set(double[] cosines) {
                if (cosines.length == 0) return Double.NaN;
                double sum = 0;
                for (double c : cosines) sum += pair(c);
                return sum / cosines.length;
            }

            @Override
            public String toString() {
                return id() + " (w = " + weight + ")";
            }
        };
    }

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
        if (dim != other)
            throw new IllegalArgumentException("text embeddings have " + dim + " values and image embeddings " + other
                    + "; they must come from one CLIP model");
        return cosine(textEmbeds.floats(), text, imageEmbeds.floats(), image, dim);
    }

    /** The plain mean; NaN for none. */
    private static double mean(double[] values) {
        if (values.length == 0) return Double.NaN;
        double sum = 0;
        for (double v : values) sum += v;
        return sum / values.length;
    }
}
