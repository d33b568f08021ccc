package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.apache.spark.sql.Row;
import sdclip.model.ImageEncoder;
import sdclip.model.image.Preprocess;
import sdclip.testdata.ReferenceData;

/** The reference models and a folder of images, good and bad, shared by the tests. */
final class Fixtures {
    private Fixtures() {}

    static Path ref(String relative) {
        return ReferenceData.require(relative);
    }

    static String clip() {
        return ref("models/tiny-clip.safetensors").toString();
    }

    static String sd15() {
        return ref("models/tiny-sd15.safetensors").toString();
    }

    static String vocabulary() {
        return ref("tokenizer/bpe_simple_vocab_16e6.txt.gz").toString();
    }

    /** The images that decode (the reference's seven, an RGBA PNG among them, a 16-bit RGB PNG, a CMYK JPEG), sorted by name. */
    static List<Path> good(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("bad-"))
                    .sorted()
                    .toList();
        }
    }

    /** The library's image embeddings of the good files of {@code dir}, by file name. */
    static Map<String, float[]> imageEmbeds(Path dir, Preprocess preprocess) throws IOException {
        List<Path> good = good(dir);
        ImageEncoder.Options o = ImageEncoder.Options.defaults()
                .withVisionHeads(4)
                .withThreads(2)
                .withPreprocess(preprocess);
        try (ImageEncoder enc = ImageEncoder.open(Path.of(clip()), o)) {
            float[] all = enc.encode(good).imageEmbeds().floats();
            int p = enc.config().projectionDim();
            Map<String, float[]> out = new TreeMap<>();
            for (int i = 0; i < good.size(); i++)
                out.put(good.get(i).getFileName().toString(), slice(all, i, p));
            return out;
        }
    }

    /** The bad files of {@link #images}, sorted by name. */
    static List<Path> bad(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("bad-"))
                    .sorted()
                    .toList();
        }
    }

    /**
     * Writes the test images into {@code dir}: the reference's seven (an RGBA PNG among them), a
     * 16-bit RGB PNG, a CMYK JPEG (no Adobe marker: Pillow reads it as inverted CMYK, and so does
     * sdclip), and three bad files named bad-*: text, a truncated JPEG (chelsea_q90.jpg cut at
     * 60%), an empty file.
     */
    static Path images(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(ref("images"))) {
            for (Path p : s.toList()) Files.copy(p, dir.resolve(p.getFileName()));
        }
        assertTrue(ImageIO.write(rgb16(96, 64), "png", dir.resolve("rgb16.png").toFile()), "16-bit PNG written");
        Files.writeString(dir.resolve("bad-text.png"), "not an image at all\n", StandardCharsets.UTF_8);
        byte[] jpg = Files.readAllBytes(ref("images/chelsea_q90.jpg"));
        Files.write(dir.resolve("bad-truncated.jpg"), Arrays.copyOf(jpg, jpg.length * 6 / 10));
        cmyk(dir.resolve("cmyk.jpg"));
        Files.write(dir.resolve("bad-empty.png"), new byte[0]);
        return dir;
    }

    /** A 16-bit-per-sample RGB image with a gradient: ImageIO writes it as a 16-bit PNG. */
    private static BufferedImage rgb16(int w, int h) {
        ComponentColorModel cm = new ComponentColorModel(
                ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++)
                r.setPixel(x, y, new int[] {x * 65535 / w, y * 65535 / h, (x * y * 37) & 0xffff});
        }
        return new BufferedImage(cm, r, false, null);
    }

    private static void cmyk(Path p) throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int i = 0; i < 16 * 16 * 4; i++) cmyk.getDataBuffer().setElem(i, i * 7);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(p.toFile())) {
            w.setOutput(out);
            w.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            w.dispose();
        }
    }

    /** An {@code array<float>} cell as a float[], null for null. */
    static float[] floats(Row row, String column) {
        int i = row.fieldIndex(column);
        if (row.isNullAt(i)) return null;
        List<Float> l = row.getList(i);
        float[] out = new float[l.size()];
        for (int k = 0; k < out.length; k++) out[k] = l.get(k);
        return out;
    }

    /** Row {@code row} of a row-major {@code [N, per]} tensor. */
    static float[] slice(float[] all, int row, int per) {
        return Arrays.copyOfRange(all, row * per, (row + 1) * per);
    }

    /** The file name of a binaryFile path (a file: URI). */
    static String name(Row row) {
        String path = row.getString(row.fieldIndex("path"));
        return path.substring(path.lastIndexOf('/') + 1);
    }

    static List<Row> sorted(List<Row> rows, String column) {
        List<Row> out = new ArrayList<>(rows);
        out.sort((a, b) ->
                String.valueOf(a.get(a.fieldIndex(column))).compareTo(String.valueOf(b.get(b.fieldIndex(column)))));
        return out;
    }
}
