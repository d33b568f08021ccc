package sdclip.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Row;
import sdclip.engine.SdclipException;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageOutput;
import sdclip.model.ImageRequest;

/**
 * A batch's images: each row decoded and preprocessed by sdclip's decoders from its bytes
 * (a bad one is that row's error), then the good ones encoded together; should the encoding of
 * the batch fail, each image is encoded alone to find the one to blame. The results are the
 * library's for the same files, bit for bit: the same decoding, and the encoder gives each image
 * the same embedding whatever batch it is in.
 */
final class ImageRows {
    private ImageRows() {}

    /** Per row: the image embedding, or null and the reason. */
    record Embedded(float[][] embeds, String[] errors) {}

    /**
     * @param imageAt the binary column
     * @param pathAt  a string column naming each image in messages ({@code path} of binaryFile), or -1
     * @param column  the binary column's name, for messages when there is no path
     */
    static Embedded embed(ImageEncoder enc, List<Row> rows, int imageAt, int pathAt, String column) {
        int n = rows.size();
        float[][] embeds = new float[n][];
        String[] errors = new String[n];
        List<Integer> good = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Row r = rows.get(i);
            String name = pathAt >= 0 && !r.isNullAt(pathAt) ? r.getString(pathAt) : column;
            if (r.isNullAt(imageAt)) {
                errors[i] = name + ": no image (null)";
                continue;
            }
            try {
                pixels.add(enc.preprocess((byte[]) r.get(imageAt), name).pixelValues());
                good.add(i);
            } catch (SdclipException e) {
                errors[i] = RowErrors.message(e);
            }
        }
        encode(enc, good, pixels, embeds, errors);
        return new Embedded(embeds, errors);
    }

    private static void encode(
            ImageEncoder enc, List<Integer> rows, List<float[]> pixels, float[][] embeds, String[] errors) {
        if (rows.isEmpty()) return;
        int per = pixels.getFirst().length;
        float[] all = new float[rows.size() * per];
        for (int i = 0; i < rows.size(); i++) System.arraycopy(pixels.get(i), 0, all, i * per, per);
        float[] out;
        try {
            out = enc.encode(all, ImageRequest.of(ImageOutput.IMAGE_EMBEDS))
                    .imageEmbeds()
                    .floats();
        } catch (SdclipException e) {
            if (rows.size() == 1) {
                errors[rows.getFirst()] = RowErrors.message(e);
            } else {
                for (int i = 0; i < rows.size(); i++)
                    encode(enc, List.of(rows.get(i)), List.of(pixels.get(i)), embeds, errors);
            }
            return;
        }
        int p = out.length / rows.size();
        for (int i = 0; i < rows.size(); i++) embeds[rows.get(i)] = Arrays.copyOfRange(out, i * p, (i + 1) * p);
    }
}
