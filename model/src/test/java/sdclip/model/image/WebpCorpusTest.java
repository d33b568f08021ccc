package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed WebP corpus ({@code src/test/resources/webp}, made by {@code make-fixtures.py}
 * with cwebp, img2webp, webpmux and Pillow 9.4 / libwebp 1.2.4): each file decodes to Pillow's
 * mode, size and bytes, and preprocesses (OpenAI and HF) to the same {@code pixel_u8} and
 * float32 {@code pixel_values} as Pillow's resize, crop and convert with float32 normalisation,
 * compared by SHA-256.
 */
class WebpCorpusTest {
    record Expected(
            String file,
            String mode,
            int width,
            int height,
            String decoded,
            String openaiU8,
            String openaiF32,
            String hfU8,
            String hfF32) {
        @Override
        public String toString() {
            return file;
        }
    }

    static Path folder() {
        try {
            return Path.of(WebpCorpusTest.class
                            .getResource("/webp/expected.tsv")
                            .toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Expected> corpus() throws IOException {
        List<Expected> rows = new ArrayList<>();
        for (String line : Files.readAllLines(folder().resolve("expected.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] f = line.split("\t");
            rows.add(new Expected(
                    f[0], f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[4], f[5], f[6], f[7], f[8]));
        }
        assertTrue(rows.size() >= 30, "the corpus has " + rows.size() + " files");
        return rows.stream();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void decodesAsPillowDoes(Expected e) {
        DecodedImage image = ImageDecoder.decode(folder().resolve(e.file()));
        assertEquals(e.mode(), image.mode().pillowName(), "mode");
        assertEquals(e.width(), image.width(), "width");
        assertEquals(e.height(), image.height(), "height");
        assertEquals(e.decoded(), sha256(image.samples()), "decoded bytes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void preprocessesAsPillowAndTorchDo(Expected e) throws IOException {
        Path file = folder().resolve(e.file());
        PreprocessedImage openai = ClipImageProcessor.of(224, Preprocess.OPENAI).process(file);
        assertEquals(e.openaiU8(), sha256(openai.pixelU8()), "OpenAI pixel_u8");
        assertEquals(e.openaiF32(), sha256(littleEndian(openai.pixelValues())), "OpenAI pixel_values");
        // From memory as from a file: the same pixels.
        PreprocessedImage hf = ClipImageProcessor.of(224, Preprocess.HF).process(Files.readAllBytes(file), e.file());
        assertEquals(e.hfU8(), sha256(hf.pixelU8()), "HF pixel_u8");
        assertEquals(e.hfF32(), sha256(littleEndian(hf.pixelValues())), "HF pixel_values");
    }
}
