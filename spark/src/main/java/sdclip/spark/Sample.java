package sdclip.spark;

/**
 * One input row as a task reads it: an image's bytes and its caption, either of which may be
 * missing, or the reason the input could not give them.
 *
 * @param key     the row's key (a folder image's path less its extension, a webdataset key, a
 *                parquet key column)
 * @param path    where the image came from, for messages and the output's {@code path}
 * @param image   the encoded image, or null
 * @param caption the caption, or null
 * @param error   why the input could not give this row's image or caption, or null
 */
record Sample(String key, String path, byte[] image, String caption, String error) {}
