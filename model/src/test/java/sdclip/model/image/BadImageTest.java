package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad file is one {@link ImageException}: the path first, one line, the problem said. */
class BadImageTest {
    @TempDir
    Path dir;

    private String refused(Path file, String... words) {
        ImageException e = assertThrows(ImageException.class, () -> ImageDecoder.decode(file));
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": "), "starts with the path: " + m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        for (String w : words) assertTrue(m.toLowerCase().contains(w), "says '" + w + "': " + m);
        return m;
    }

    private byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    private static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(1);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
        return img;
    }

    @Test
    void missingAndEmptyFiles() throws IOException {
        refused(dir.resolve("absent.png"), "no such file");
        refused(Files.write(dir.resolve("empty.png"), new byte[0]), "empty");
    }

    @Test
    void textIsNotAnImage() throws IOException {
        refused(
                Files.writeString(dir.resolve("notes.png"), "a photo of a cat\n", StandardCharsets.UTF_8),
                "not an image");
    }

    @Test
    void truncatedPng() throws IOException {
        byte[] png = encode(noise(64, 64), "png");
        refused(Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2)), "truncated");
    }

    @Test
    void truncatedJpeg() throws IOException {
        byte[] jpg = encode(noise(64, 64), "jpeg");
        refused(Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpg, jpg.length / 2)), "truncated");
    }

    @Test
    void headerOnlyJpegIsRefused() throws IOException {
        byte[] jpg = encode(noise(64, 64), "jpeg");
        refused(Files.write(dir.resolve("stub.jpg"), Arrays.copyOf(jpg, 200)), "truncated");
        refused(Files.write(dir.resolve("soi.jpg"), Arrays.copyOf(jpg, 3)), "truncated");
    }

    @Test
    void hugeHeaderIsRefusedBeforeDecoding() throws IOException {
        // 20000 x 20000 = 400 megapixels; the IDAT is garbage, so decoding it would fail otherwise.
        byte[] png = RawPng.header(20000, 20000, 8, 2)
                .chunk("IDAT", new byte[] {1, 2, 3, 4})
                .end();
        String m = refused(
                Files.write(dir.resolve("bomb.png"), png), "20000 x 20000", "100 megapixels", "before decoding");
        assertFalse(m.contains("corrupt"), m);
    }

    @Test
    void zeroSizePng() throws IOException {
        byte[] png = RawPng.header(0, 5, 8, 2).rows(new byte[0][]);
        refused(Files.write(dir.resolve("zero.png"), png), "corrupt");
    }

    @Test
    void cmykJpegDecodesAsPillowOpensIt() throws IOException {
        // The JDK writes a 4-channel raster as CMYK without an Adobe marker; Pillow inverts every
        // 4-component JPEG (Adobe's polarity), so a sample written as v comes back near 255 - v.
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int i = 0; i < 16 * 16 * 4; i++) cmyk.getDataBuffer().setElem(i, i % 4 == 3 ? 40 : 200);
        Path p = dir.resolve("cmyk.jpg");
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(p.toFile())) {
            w.setOutput(out);
            w.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            w.dispose();
        }
        DecodedImage d = ImageDecoder.decode(p);
        assertEquals(PixelMode.CMYK, d.mode());
        assertTrue(Math.abs(d.sample(5, 5, 0) - 55) <= 2 && Math.abs(d.sample(5, 5, 3) - 215) <= 2, "inverted");
    }

    @Test
    void twelveBitAndOddComponentJpegsAreRefusedByTheirFrame() throws IOException {
        byte[] jpg = encode(noise(16, 16), "jpeg");
        int sof = 2;
        while (!((jpg[sof] & 0xff) == 0xff && (jpg[sof + 1] & 0xff) == 0xc0)) sof++;
        byte[] twelve = jpg.clone();
        twelve[sof + 4] = 12; // the frame's sample precision
        refused(Files.write(dir.resolve("twelve.jpg"), twelve), "12-bit jpeg");
    }

    @Test
    void otherFormatsAreNamed() throws IOException {
        Path tif = dir.resolve("a.tif");
        assertTrue(ImageIO.write(noise(4, 4), "tiff", tif.toFile()));
        assertEquals(
                tif + ": is a TIFF image, an unsupported format (PNG, JPEG, BMP, GIF and WebP are supported)",
                refused(tif));
        assertEquals("TIFF", ImageDecoder.unsupportedFormat(tif));
        // A RIFF/WEBP header is read as WebP (any extension), so a bare one is a corrupt WebP file.
        Path webp =
                Files.write(dir.resolve("photo.png"), new byte[] {'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'E', 'B', 'P'});
        assertEquals(webp + ": is a corrupt WebP file: its RIFF size is too small", refused(webp));
        assertNull(ImageDecoder.unsupportedFormat(webp));
        Path wave =
                Files.write(dir.resolve("sound.wav"), new byte[] {'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'A', 'V', 'E'});
        assertNull(ImageDecoder.unsupportedFormat(wave));
        refused(wave, "not an image");
    }

    @Test
    void aThinImageTooLargeOnceResizedIsRefusedBeforeResizing() throws IOException {
        // 20000 x 1 passes the decoder's pixel limit; resized to a short side of 224 it would be
        // 4,480,000 x 224, a billion pixels: one line naming the file, not an overflow.
        Path thin = dir.resolve("thin.png");
        ImageIO.write(new BufferedImage(20000, 1, BufferedImage.TYPE_INT_RGB), "png", thin.toFile());
        ClipImageProcessor p = ClipImageProcessor.of(224, Preprocess.OPENAI);
        ImageException e = assertThrows(ImageException.class, () -> p.process(thin));
        assertTrue(
                e.getMessage().startsWith(thin + ": is 20000 x 1: resized to a short side of 224")
                        && e.getMessage().contains("megapixels"),
                e.getMessage());
        Path fine = dir.resolve("fine.png");
        ImageIO.write(new BufferedImage(600, 2, BufferedImage.TYPE_INT_RGB), "png", fine.toFile());
        assertTrue(p.process(fine).pixelU8().length == 3 * 224 * 224);
    }

    @Test
    void processorPassesTheExceptionThrough() throws IOException {
        Path bad = Files.writeString(dir.resolve("x.jpg"), "nope");
        assertThrows(
                ImageException.class,
                () -> ClipImageProcessor.of(224, Preprocess.OPENAI).process(bad));
    }
}
