package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorStore;
import sdclip.testdata.ReferenceData;

/** The reference images (README section 3.3) against {@code pixel_u8} and {@code pixel_values}. */
class ClipImageReferenceTest {
    static final int S = 224, PLANE = S * S, ROW = 3 * PLANE;
    /** Row order of expected/images.json. */
    static final List<String> IMAGES = List.of(
            "astronaut.png",
            "chelsea.png",
            "chelsea_q90.jpg",
            "coffee.png",
            "CLIP.png",
            "gray_100x60.png",
            "rgba_300x500.png");

    static Path root;
    static TensorStore expected;
    static byte[] pixelU8;
    static float[] pixelValues;

    @BeforeAll
    static void open() throws IOException {
        root = ReferenceData.require();
        expected = SafetensorsFile.open(root.resolve("expected/tiny-clip.expected.safetensors"));
        pixelU8 = expected.bytes("pixel_u8").toArray(ValueLayout.JAVA_BYTE);
        pixelValues = expected.floats("pixel_values");
    }

    @AfterAll
    static void close() {
        if (expected != null) expected.close();
    }

    /** Row m of pixel_u8 ([M, 224, 224, 3]) in our channel-first layout. */
    static byte[] expectedU8(int m) {
        byte[] out = new byte[ROW];
        for (int p = 0; p < PLANE; p++) for (int c = 0; c < 3; c++) out[c * PLANE + p] = pixelU8[m * ROW + p * 3 + c];
        return out;
    }

    static PreprocessedImage process(String name) {
        return ClipImageProcessor.of(S, Preprocess.OPENAI)
                .process(root.resolve("images").resolve(name));
    }

    @Test
    void pngRowsAreBitExactAndNormaliseWithinOneMillionth() {
        for (String name : IMAGES) {
            if (name.endsWith(".jpg")) continue;
            int m = IMAGES.indexOf(name);
            PreprocessedImage p = process(name);
            assertTrue(
                    Arrays.equals(expectedU8(m), p.pixelU8()),
                    name + ": pixel_u8 differs in " + differing(expectedU8(m), p.pixelU8()) + " samples");
            float[] want = Arrays.copyOfRange(pixelValues, m * ROW, (m + 1) * ROW);
            assertTrue(
                    maxAbs(want, p.pixelValues()) <= 1e-6,
                    name + ": pixel_values max diff " + maxAbs(want, p.pixelValues()));
        }
    }

    @Test
    void sourceModesAndSizesAreAsTheReadmeLists() {
        assertEquals(PixelMode.RGBA, process("CLIP.png").sourceMode());
        assertEquals(PixelMode.L, process("gray_100x60.png").sourceMode());
        PreprocessedImage rgba = process("rgba_300x500.png");
        assertEquals(PixelMode.RGBA, rgba.sourceMode());
        assertEquals(300, rgba.sourceWidth());
        assertEquals(500, rgba.sourceHeight());
        assertEquals(PixelMode.RGB, process("chelsea_q90.jpg").sourceMode());
    }

    @Test
    void jpegDecodeAndPixelsMatchLibjpegTurboExactlyAsMeasured() {
        DecodedImage ours = ImageDecoder.decode(root.resolve("images/chelsea_q90.jpg"));
        byte[] want = expected.bytes("jpeg_decoded_chelsea_q90_jpg").toArray(ValueLayout.JAVA_BYTE);
        assertEquals(451, ours.width());
        assertEquals(300, ours.height());
        // The JDK's libjpeg 6b (islow, fancy upsampling) gives the raw components and JpegSamples
        // libjpeg's YCbCr tables: identical to libjpeg-turbo on this 4:2:0 file, so any difference
        // is a regression.
        assertEquals(new Stats(0, 0, 300 * 451 * 3), Stats.of(want, ours.samples()));
        assertEquals(
                new Stats(0, 0, ROW),
                Stats.of(expectedU8(2), process("chelsea_q90.jpg").pixelU8()));
    }

    record Stats(int maxAbs, int differing, int total) {
        static Stats of(byte[] a, byte[] b) {
            assertEquals(a.length, b.length);
            int max = 0, n = 0;
            for (int i = 0; i < a.length; i++) {
                int d = Math.abs((a[i] & 0xff) - (b[i] & 0xff));
                max = Math.max(max, d);
                if (d != 0) n++;
            }
            return new Stats(max, n, a.length);
        }
    }

    static int differing(byte[] a, byte[] b) {
        return Stats.of(a, b).differing();
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
