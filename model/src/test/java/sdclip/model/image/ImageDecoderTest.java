package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.model.image.RawPng.bytes;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each format and bit depth decodes into Pillow's mode with the raw samples. */
class ImageDecoderTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] data) throws IOException {
        return Files.write(dir.resolve(name), data);
    }

    private Path write(String name, BufferedImage img, String format) throws IOException {
        Path p = dir.resolve(name);
        assertTrue(ImageIO.write(img, format, p.toFile()), "ImageIO wrote " + format);
        return p;
    }

    private static BufferedImage rgbGradient(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | 128);
        return img;
    }

    @Test
    void pngRgbAndRgbaKeepRawSamplesEvenUnderFullTransparency() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00ff00ff); // transparent magenta: the colour must survive decoding
        argb.setRGB(1, 0, 0x80102030);
        DecodedImage d = ImageDecoder.decode(write("a.png", argb, "png"));
        assertEquals(PixelMode.RGBA, d.mode());
        assertArrayEquals(bytes(255, 0, 255, 0, 0x10, 0x20, 0x30, 0x80), d.samples());
        DecodedImage rgb = ImageDecoder.decode(write("rgb.png", rgbGradient(5, 3), "png"));
        assertEquals(PixelMode.RGB, rgb.mode());
        assertEquals(51 * 2, rgb.sample(2, 0, 0));
    }

    @Test
    void pngGrayDepthsFollowPillow() throws IOException {
        // 1-bit gray is mode "1"; 2-bit gray is L scaled by 0x55.
        DecodedImage one =
                ImageDecoder.decode(write("g1.png", RawPng.header(3, 1, 1, 0).rows(new byte[][] {bytes(0b10100000)})));
        assertEquals(PixelMode.BILEVEL, one.mode());
        assertArrayEquals(bytes(255, 0, 255), one.samples());
        DecodedImage two =
                ImageDecoder.decode(write("g2.png", RawPng.header(4, 1, 2, 0).rows(new byte[][] {bytes(0b00011011)})));
        assertEquals(PixelMode.L, two.mode());
        assertArrayEquals(bytes(0, 0x55, 0xaa, 0xff), two.samples());
        DecodedImage four =
                ImageDecoder.decode(write("g4.png", RawPng.header(2, 1, 4, 0).rows(new byte[][] {bytes(0x1f)})));
        assertArrayEquals(bytes(0x11, 0xff), four.samples());
    }

    @Test
    void sixteenBitPngs() throws IOException {
        // Gray 16 opens as mode I (0..65535) and converts to RGB clamped; colour 16 keeps the high byte.
        DecodedImage gray = ImageDecoder.decode(write(
                "g16.png", RawPng.header(2, 1, 16, 0).rows(new byte[][] {bytes(0x00, 0x64, 0x12, 0x34)})));
        assertEquals(PixelMode.I, gray.mode());
        assertArrayEquals(new int[] {100, 0x1234}, gray.wideSamples());
        DecodedImage rgb = RgbConverter.toRgb(gray);
        assertArrayEquals(bytes(100, 100, 100, 255, 255, 255), rgb.samples());
        DecodedImage rgb16 = ImageDecoder.decode(write(
                "c16.png", RawPng.header(1, 1, 16, 2).rows(new byte[][] {bytes(0x12, 0xff, 0x34, 0x00, 0xab, 0x80)})));
        assertEquals(PixelMode.RGB, rgb16.mode());
        assertArrayEquals(bytes(0x12, 0x34, 0xab), rgb16.samples());
        DecodedImage la16 = ImageDecoder.decode(write(
                "la16.png", RawPng.header(1, 1, 16, 4).rows(new byte[][] {bytes(0x40, 0x01, 0x80, 0xff)})));
        assertEquals(PixelMode.LA, la16.mode());
        assertArrayEquals(bytes(0x40, 0x80), la16.samples());
        DecodedImage rgba16 = ImageDecoder.decode(write(
                "rgba16.png", RawPng.header(1, 1, 16, 6).rows(new byte[][] {bytes(1, 0, 2, 0, 3, 0, 4, 0)})));
        assertArrayEquals(bytes(1, 2, 3, 4), rgba16.samples());
    }

    @Test
    void pngGrayAlphaAndTransparencyChunks() throws IOException {
        DecodedImage la = ImageDecoder.decode(write(
                "la.png", RawPng.header(2, 1, 8, 4).rows(new byte[][] {bytes(10, 0, 200, 255)})));
        assertEquals(PixelMode.LA, la.mode());
        assertArrayEquals(bytes(10, 0, 200, 255), la.samples());
        // tRNS on an RGB image: the JDK adds an alpha band, Pillow keeps mode RGB and the colours.
        byte[] trns = RawPng.header(2, 1, 8, 2)
                .chunk("tRNS", bytes(0, 1, 0, 2, 0, 3))
                .rows(new byte[][] {bytes(1, 2, 3, 9, 9, 9)});
        DecodedImage rgb = ImageDecoder.decode(write("trns.png", trns));
        assertEquals(PixelMode.RGB, rgb.mode());
        assertArrayEquals(bytes(1, 2, 3, 9, 9, 9), rgb.samples());
    }

    @Test
    void pngPaletteIsModePWithEntriesPastThePlteOnTheGrayRamp() throws IOException {
        byte[] png = RawPng.header(3, 1, 8, 3)
                .chunk("PLTE", bytes(255, 0, 0, 0, 255, 0))
                .chunk("tRNS", bytes(0))
                .rows(new byte[][] {bytes(0, 1, 5)});
        DecodedImage p = ImageDecoder.decode(write("p.png", png));
        assertEquals(PixelMode.P, p.mode());
        assertArrayEquals(bytes(0, 1, 5), p.samples());
        assertArrayEquals(
                bytes(255, 0, 0, 0, 255, 0, 5, 5, 5), RgbConverter.toRgb(p).samples());
        byte[] p2 = RawPng.header(4, 1, 2, 3)
                .chunk("PLTE", bytes(0, 0, 0, 9, 9, 9, 1, 2, 3, 4, 5, 6))
                .rows(new byte[][] {bytes(0b00011011)});
        assertArrayEquals(
                bytes(0, 1, 2, 3), ImageDecoder.decode(write("p2.png", p2)).samples());
    }

    @Test
    void jpegBaselineProgressiveAndGray() throws IOException {
        BufferedImage img = rgbGradient(40, 24);
        DecodedImage baseline = ImageDecoder.decode(write("b.jpg", img, "jpeg"));
        assertEquals(PixelMode.RGB, baseline.mode());
        assertEquals(40, baseline.width());
        DecodedImage progressive = ImageDecoder.decode(writeJpeg("p.jpg", img, true));
        assertEquals(PixelMode.RGB, progressive.mode());
        assertTrue(maxDiff(baseline.samples(), progressive.samples()) <= 2, "progressive decodes like baseline");
        BufferedImage g = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(3, 3, 0, 200);
        DecodedImage gray = ImageDecoder.decode(write("g.jpg", g, "jpeg"));
        assertEquals(PixelMode.L, gray.mode());
        assertEquals(16 * 16, gray.samples().length);
    }

    private Path writeJpeg(String name, BufferedImage img, boolean progressive) throws IOException {
        Path p = dir.resolve(name);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(p.toFile())) {
            w.setOutput(out);
            ImageWriteParam param = w.getDefaultWriteParam();
            if (progressive) param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            w.write(null, new IIOImage(img, null, null), param);
        } finally {
            w.dispose();
        }
        return p;
    }

    @Test
    void bmpTrueColourPaletteAndGrayRamp() throws IOException {
        BufferedImage img = rgbGradient(5, 3);
        DecodedImage rgb = ImageDecoder.decode(write("c.bmp", img, "bmp"));
        assertEquals(PixelMode.RGB, rgb.mode());
        DecodedImage png = ImageDecoder.decode(write("c.png", img, "png"));
        assertArrayEquals(png.samples(), rgb.samples());
        byte[] r = new byte[256], gr = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) r[i] = gr[i] = b[i] = (byte) i;
        BufferedImage ramp =
                new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, gr, b));
        ramp.getRaster().setSample(1, 1, 0, 77);
        DecodedImage gray = ImageDecoder.decode(write("g.bmp", ramp, "bmp"));
        assertEquals(PixelMode.L, gray.mode());
        assertEquals(77, gray.sample(1, 1, 0));
        r[3] = 100;
        BufferedImage pal =
                new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, gr, b));
        pal.getRaster().setSample(0, 0, 0, 3);
        DecodedImage p = ImageDecoder.decode(write("p.bmp", pal, "bmp"));
        assertEquals(PixelMode.P, p.mode());
        assertEquals(0x640303, p.palette()[3]);
    }

    @Test
    void gifFirstFrameIsPaletteOrGrayOnARamp() throws IOException {
        // 16 x 16: the JDK's GIF reader loses the last pixel of some tiny (3 x 2) images it wrote.
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        for (int i = 0; i < 256; i++) r[i] = g[i] = b[i] = (byte) i;
        BufferedImage ramp =
                new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, g, b));
        ramp.getRaster().setSample(2, 1, 0, 200);
        DecodedImage gray = ImageDecoder.decode(write("g.gif", ramp, "gif"));
        assertEquals(PixelMode.L, gray.mode());
        assertEquals(200, gray.sample(2, 1, 0));
        g[200] = 0;
        BufferedImage pal =
                new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, g, b));
        pal.getRaster().setSample(2, 1, 0, 200);
        DecodedImage p = ImageDecoder.decode(write("p.gif", pal, "gif"));
        assertEquals(PixelMode.P, p.mode());
        assertEquals(16, p.width());
        assertEquals(200, p.sample(2, 1, 0));
        assertEquals(0xc800c8, p.palette()[200]);
    }

    @Test
    void processorRunsOnEveryDecodedMode() throws IOException {
        ClipImageProcessor clip = ClipImageProcessor.of(8, Preprocess.OPENAI);
        for (String name : new String[] {"g16.png", "g1.png", "p.png"}) {
            byte[] data = switch (name) {
                case "g16.png" -> RawPng.header(2, 1, 16, 0).rows(new byte[][] {bytes(0x00, 0x64, 0x12, 0x34)});
                case "g1.png" -> RawPng.header(3, 1, 1, 0).rows(new byte[][] {bytes(0b10100000)});
                default ->
                    RawPng.header(3, 1, 8, 3)
                            .chunk("PLTE", bytes(255, 0, 0, 0, 255, 0))
                            .rows(new byte[][] {bytes(0, 1, 1)});
            };
            PreprocessedImage out = clip.process(write(name, data));
            assertEquals(3 * 8 * 8, out.pixelU8().length);
        }
    }

    private static int maxDiff(byte[] a, byte[] b) {
        int m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        return m;
    }
}
