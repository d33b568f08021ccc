package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageOutput;
import sdclip.model.ImageRequest;
import sdclip.testdata.ReferenceData;

/**
 * Images from bytes in memory ({@link ImageDecoder#decode(byte[], String)},
 * {@link ImageEncoder#preprocess(byte[], String)}) against the same bytes in a file: the same
 * pixels bit for bit, the same refusals in the same words (the name given in place of the path),
 * and the same embeddings through the encoder.
 */
class ImageBytesTest {
    @TempDir
    Path dir;

    private static void assertSameImage(DecodedImage file, DecodedImage bytes, String what) {
        assertEquals(file.width(), bytes.width(), what);
        assertEquals(file.height(), bytes.height(), what);
        assertEquals(file.mode(), bytes.mode(), what);
        assertArrayEquals(file.samples(), bytes.samples(), what);
        assertArrayEquals(file.wideSamples(), bytes.wideSamples(), what);
        assertArrayEquals(file.palette(), bytes.palette(), what);
    }

    /** Every reference image, and made ones the reference lacks: 16-bit gray and RGB PNG, GIF, BMP, CMYK JPEG. */
    private List<Path> images() throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(ReferenceData.require("images"))) {
            s.sorted().forEach(all::add);
        }
        all.add(Files.write(
                dir.resolve("gray16.png"), RawPng.header(2, 1, 16, 0).rows(new byte[][] {{0x00, 0x64, 0x12, 0x34}})));
        all.add(Files.write(dir.resolve("rgb16.png"), RawPng.header(1, 2, 16, 2).rows(new byte[][] {
            {1, 2, 3, 4, 5, 6}, {(byte) 0xff, 0, 0x7f, 1, 0, 2}
        })));
        BufferedImage noise = noise(40, 30);
        for (String format : List.of("gif", "bmp")) {
            Path p = dir.resolve("noise." + format);
            assertTrue(ImageIO.write(noise, format, p.toFile()));
            all.add(p);
        }
        all.add(Files.write(dir.resolve("cmyk.jpg"), cmykJpeg()));
        return all;
    }

    @Test
    void bytesDecodeAsTheirFile() throws IOException {
        for (Path p : images()) {
            assertSameImage(ImageDecoder.decode(p), ImageDecoder.decode(Files.readAllBytes(p), "row 7"), p.toString());
        }
    }

    @Test
    void badBytesAreRefusedInTheFilesWords() throws IOException {
        byte[] jpg = write(noise(64, 64), "jpeg"), png = write(noise(64, 64), "png");
        byte[] chelsea = Files.readAllBytes(ReferenceData.require("images/chelsea_q90.jpg"));
        byte[] corruptEnd =
                Arrays.copyOf(jpg, jpg.length / 2 + 2); // half the data, then the end marker: corrupt, not truncated
        corruptEnd[corruptEnd.length - 2] = (byte) 0xff;
        corruptEnd[corruptEnd.length - 1] = (byte) 0xd9;
        List<byte[]> bad = List.of(
                new byte[0],
                "a photo of a cat\n".getBytes(StandardCharsets.UTF_8),
                Arrays.copyOf(jpg, jpg.length / 2),
                Arrays.copyOf(chelsea, chelsea.length * 2 / 3),
                Arrays.copyOf(png, png.length / 2),
                Arrays.copyOf(jpg, 200),
                corruptEnd,
                arithmetic(write(noise(16, 16), "jpeg")),
                new byte[] {'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'E', 'B', 'P'},
                write(noise(4, 4), "tiff"),
                RawPng.header(20000, 20000, 8, 2)
                        .chunk("IDAT", new byte[] {1, 2, 3, 4})
                        .end());
        for (int i = 0; i < bad.size(); i++) {
            Path file = Files.write(dir.resolve("bad" + i), bad.get(i));
            String fromFile = assertThrows(ImageException.class, () -> ImageDecoder.decode(file), "case " + i)
                    .getMessage();
            byte[] data = bad.get(i);
            String fromBytes = assertThrows(
                            ImageException.class, () -> ImageDecoder.decode(data, "s3a://bucket/x.jpg"), "case " + i)
                    .getMessage();
            assertTrue(fromFile.startsWith(file + ": "), fromFile);
            assertEquals(
                    fromFile.substring(file.toString().length()),
                    fromBytes.substring("s3a://bucket/x.jpg".length()),
                    "case " + i);
        }
        ClipImageProcessor p = ClipImageProcessor.of(224, Preprocess.OPENAI);
        byte[] thin = write(new BufferedImage(20000, 1, BufferedImage.TYPE_INT_RGB), "png");
        assertTrue(assertThrows(ImageException.class, () -> p.process(thin, "thin"))
                .getMessage()
                .startsWith("thin: is 20000 x 1: resized"));
    }

    @Test
    void bytesEncodeAsTheirFiles() throws IOException {
        List<Path> files = images();
        for (Preprocess mode : Preprocess.values()) {
            ImageEncoder.Options options = ImageEncoder.Options.defaults()
                    .withVisionHeads(4)
                    .withThreads(2)
                    .withBatchSize(3)
                    .withPreprocess(mode);
            try (ImageEncoder enc = ImageEncoder.open(ReferenceData.require("models/tiny-clip.safetensors"), options)) {
                ImageRequest request = ImageRequest.of(ImageOutput.IMAGE_EMBEDS, ImageOutput.PIXEL_VALUES);
                float[] fromFiles = enc.encode(files, request).imageEmbeds().floats();
                int per = 3 * 224 * 224;
                float[] pixels = new float[files.size() * per];
                for (int i = 0; i < files.size(); i++) {
                    PreprocessedImage fromFile = enc.preprocess(files.get(i)),
                            fromBytes = enc.preprocess(Files.readAllBytes(files.get(i)), "x");
                    assertArrayEquals(fromFile.pixelU8(), fromBytes.pixelU8(), files.get(i) + " " + mode);
                    System.arraycopy(fromBytes.pixelValues(), 0, pixels, i * per, per);
                }
                assertArrayEquals(
                        fromFiles, enc.encode(pixels, request).imageEmbeds().floats(), mode.toString());
            }
        }
    }

    private static byte[] write(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    /** The JPEG relabelled as arithmetic-coded (SOF0 to SOF9): refused before the JDK's libjpeg sees it. */
    private static byte[] arithmetic(byte[] jpg) {
        byte[] out = jpg.clone();
        for (int i = 2; i + 1 < out.length; i++) {
            if ((out[i] & 0xff) == 0xff && (out[i + 1] & 0xff) == 0xc0) {
                out[i + 1] = (byte) 0xc9;
                return out;
            }
        }
        throw new AssertionError("no SOF0");
    }

    private static byte[] cmykJpeg() throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 16, 16, 4, null);
        for (int i = 0; i < 16 * 16 * 4; i++) cmyk.getDataBuffer().setElem(i, i * 7);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, new IIOImage(cmyk, null, null), null);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    private static BufferedImage noise(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new Random(1);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
        return img;
    }
}
