package sdclip.spark;

/**
 * One output row of {@link ClipJob}: what it was computed from and what was computed, nulls where
 * the work does not give a value or the row has an error.
 *
 * @param key     the input's key
 * @param path    where the image came from, or null
 * @param caption the caption, or null
 * @param cosine  score: the cosine of the image's and caption's embeddings
 * @param score   score: CLIPScore, {@code max(100 cos, 0)}
 * @param image   the image embedding, or null
 * @param text    the caption's embedding, or null
 * @param error   why the row has no result, or null
 * @param row     the row's place in its part, from 0 (ties of the top fraction are broken by it)
 */
record JobRow(
        String key,
        String path,
        String caption,
        Double cosine,
        Double score,
        float[] image,
        float[] text,
        String error,
        long row) {}
