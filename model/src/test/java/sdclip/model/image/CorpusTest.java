package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;

/**
 * The committed corpus (src/test/resources/.../image/corpus, made by its make-corpus.py with
 * Pillow 9.4.0 on libjpeg-turbo 2.1.5): every fixture decodes and preprocesses (OpenAI and HF,
 * with and without {@code exif_transpose}) to exactly Pillow's bytes, or is refused where Pillow
 * refuses it. Expected values are SHA-256 digests; Pillow's decoded samples sit beside them so
 * that a difference can be measured.
 */
class CorpusTest {
    static Path dir;
    static List<Map<String, Object>> fixtures;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException, URISyntaxException {
        dir = Path.of(Objects.requireNonNull(CorpusTest.class.getResource("corpus/expected.json"))
                        .toURI())
                .getParent();
        Map<String, Object> expected = Json.parseObject(Files.readString(dir.resolve("expected.json")));
        assertEquals("9.4.0", expected.get("pillow"));
        fixtures = (List<Map<String, Object>>) (List<?>) expected.get("fixtures");
    }

    static Map<String, Object> fixture(String file) {
        return fixtures.stream()
                .filter(f -> f.get("file").equals(file))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void everyFixtureDecodesToPillowsSamplesOrIsRefusedAsPillowRefusesIt() throws IOException {
        List<String> wrong = new ArrayList<>();
        int exact = 0, refused = 0;
        for (Map<String, Object> f : fixtures) {
            Path file = dir.resolve((String) f.get("file"));
            if (f.containsKey("pillow_error")) {
                ImageException e = assertThrows(ImageException.class, () -> ImageDecoder.decode(file), file.toString());
                assertTrue(e.getMessage().startsWith(file + ": is truncated"), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                refused++;
                continue;
            }
            DecodedImage d = ImageDecoder.decode(file);
            String got = d.mode().pillowName() + " " + d.width() + "x" + d.height();
            String want = f.get("mode") + " " + f.get("width") + "x" + f.get("height");
            if (!got.equals(want)) {
                wrong.add(file.getFileName() + ": " + got + ", Pillow " + want);
                continue;
            }
            if (!sha256(d.samples()).equals(f.get("decoded"))) {
                wrong.add(file.getFileName() + ": samples differ from Pillow's: " + difference(file, d.samples()));
                continue;
            }
            if (d.mode() == PixelMode.P
                    && !sha256(paletteBytes(d.palette(), ((Long) f.get("palette_entries")).intValue()))
                            .equals(f.get("palette"))) wrong.add(file.getFileName() + ": palette differs");
            exact++;
        }
        assertEquals(List.of(), wrong);
        assertEquals(31, exact);
        assertEquals(3, refused);
    }

    @Test
    @SuppressWarnings("unchecked")
    void bothPreprocessingsAreBitExactWithAndWithoutExifTranspose() {
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Map<String, Object> f : fixtures) {
            if (f.containsKey("pillow_error")) continue;
            Path file = dir.resolve((String) f.get("file"));
            Map<String, Object> upright = (Map<String, Object>) f.getOrDefault("exif_transpose", f);
            for (boolean transpose : new boolean[] {false, true}) {
                Map<String, Object> want = transpose ? upright : f;
                DecodedImage d = ImageDecoder.decode(file, transpose);
                if (!sha256(d.samples()).equals(want.get("decoded")))
                    wrong.add(file.getFileName() + (transpose ? " (transposed)" : "") + ": decoded pixels differ");
                for (Preprocess mode : Preprocess.values()) {
                    Map<String, Object> digests =
                            (Map<String, Object>) want.get(mode.name().toLowerCase());
                    PreprocessedImage p = ClipImageProcessor.of(224, mode)
                            .withExifTranspose(transpose)
                            .process(file);
                    if (!sha256(p.pixelU8()).equals(digests.get("pixel_u8")))
                        wrong.add(file.getFileName() + " " + mode + (transpose ? " transposed" : "") + ": pixel_u8");
                    else if (!sha256(floatBytes(p.pixelValues())).equals(digests.get("pixel_values")))
                        wrong.add(
                                file.getFileName() + " " + mode + (transpose ? " transposed" : "") + ": pixel_values");
                    checked++;
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(31 * 2 * 2, checked);
    }

    @Test
    void colourProfilesAreIgnoredAndTheOldColourManagedReadDiffered() throws IOException {
        // The JDK's read() converts an Adobe RGB or Display P3 image to sRGB; the raw samples are
        // what Pillow gives, and they equal the same picture saved without a profile.
        for (String name : List.of("jpeg-icc-adobe-rgb.jpg", "jpeg-icc-display-p3.jpg")) {
            Path file = dir.resolve(name);
            DecodedImage raw = ImageDecoder.decode(file);
            assertArrayEqualsSamples(ImageDecoder.decode(dir.resolve("jpeg-420.jpg")), raw, name);
            java.awt.image.BufferedImage managed = javax.imageio.ImageIO.read(file.toFile());
            int differing = 0;
            for (int y = 0; y < raw.height(); y++)
                for (int x = 0; x < raw.width(); x++)
                    if ((managed.getRGB(x, y) & 0xffffff)
                            != (raw.sample(x, y, 0) << 16 | raw.sample(x, y, 1) << 8 | raw.sample(x, y, 2)))
                        differing++;
            assertTrue(
                    differing > raw.width() * raw.height() / 2,
                    name + ": the colour-managed read differs on " + differing);
        }
    }

    @Test
    void cmykIsResizedInCmykAndConvertedAfterTheCropForOpenAiFirstForHf() {
        // Converting first (HF's order) and last (OpenAI's) give different crops for the same file.
        Path file = dir.resolve("jpeg-ycck.jpg");
        assertEquals(PixelMode.CMYK, ImageDecoder.decode(file).mode());
        PreprocessedImage openai = ClipImageProcessor.of(224, Preprocess.OPENAI).process(file);
        PreprocessedImage hf = ClipImageProcessor.of(224, Preprocess.HF).process(file);
        assertEquals(PixelMode.CMYK, openai.sourceMode());
        assertNotEquals(sha256(openai.pixelU8()), sha256(hf.pixelU8()));
        // Pillow's cmyk2rgb: nk - c * nk / 255, nk = 255 - k (rounded): not 255 - c - k.
        DecodedImage one = DecodedImage.of(1, 1, PixelMode.CMYK, RawPng.bytes(10, 200, 128, 77));
        assertEquals(List.of(171, 38, 89), rgb(RgbConverter.toRgb(one)));
    }

    @Test
    void bmpRleFollowsTheFixedDecoderNotPillow94() {
        // Pillow 9.4 read a delta's bytes from the wrong place and dropped an odd RLE4 run's last pixel.
        for (String name : List.of("bmp-rle8-delta.bmp", "bmp-rle4-delta.bmp")) {
            Map<String, Object> f = fixture(name);
            assertNotEquals(f.get("decoded"), f.get("pillow_9_4"), name);
            assertEquals(
                    f.get("decoded"),
                    sha256(ImageDecoder.decode(dir.resolve(name)).samples()),
                    name);
        }
        DecodedImage rle4 = ImageDecoder.decode(dir.resolve("bmp-rle4-delta.bmp"));
        // Bottom row (file order first): run 1 2 1 2 1, then the odd absolute run 3 4 5, then padding.
        int[] bottom = new int[10];
        for (int x = 0; x < 10; x++) bottom[x] = rle4.sample(x, 4, 0);
        assertEquals(
                List.of(1, 2, 1, 2, 1, 3, 4, 5, 0, 0),
                java.util.Arrays.stream(bottom).boxed().toList());
        // The delta (4 right, 1 up) skips the second row from the bottom: index 0 throughout.
        for (int x = 0; x < 10; x++) assertEquals(0, rle4.sample(x, 3, 0));
        assertEquals(7, rle4.sample(4, 2, 0));
    }

    @Test
    void truncatedJpegsAreRefusedInOneLineNamingTheFile() throws IOException {
        for (String name : List.of("jpeg-truncated.jpg", "jpeg-no-eoi.jpg", "jpeg-progressive-cut.jpg")) {
            Path file = dir.resolve(name);
            ImageException e = assertThrows(ImageException.class, () -> ImageDecoder.decode(file));
            assertEquals(
                    file + ": is truncated: the JPEG data ends before its EOI marker (premature end)", e.getMessage());
            byte[] data = Files.readAllBytes(file);
            ImageException fromBytes = assertThrows(ImageException.class, () -> ImageDecoder.decode(data, "row 7"));
            assertTrue(fromBytes.getMessage().startsWith("row 7: is truncated"), fromBytes.getMessage());
        }
    }

    private static List<Integer> rgb(DecodedImage d) {
        return List.of(d.sample(0, 0, 0), d.sample(0, 0, 1), d.sample(0, 0, 2));
    }

    private static void assertArrayEqualsSamples(DecodedImage want, DecodedImage got, String what) {
        assertEquals(sha256(want.samples()), sha256(got.samples()), what);
    }

    /** How Pillow's samples (decoded.safetensors) and ours differ: the largest difference and how many. */
    private static String difference(Path file, byte[] ours) throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve("decoded.safetensors"))) {
            byte[] want = st.bytes(file.getFileName().toString()).toArray(ValueLayout.JAVA_BYTE);
            if (want.length != ours.length) return want.length + " samples, ours " + ours.length;
            int max = 0, n = 0;
            for (int i = 0; i < want.length; i++) {
                int d = Math.abs((want[i] & 0xff) - (ours[i] & 0xff));
                max = Math.max(max, d);
                if (d != 0) n++;
            }
            return "max difference " + max + " on " + n + " of " + want.length + " samples";
        }
    }

    private static byte[] paletteBytes(int[] palette, int entries) {
        byte[] out = new byte[3 * entries];
        for (int i = 0; i < entries; i++) {
            out[3 * i] = (byte) (palette[i] >> 16);
            out[3 * i + 1] = (byte) (palette[i] >> 8);
            out[3 * i + 2] = (byte) palette[i];
        }
        return out;
    }

    private static byte[] floatBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
