package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Broken WebP files: truncated ones are refused in one line naming the file (as Pillow refuses
 * them), sizes are bounded before anything is allocated, and seeded random mutations of every
 * corpus file end in pixels or one clean refusal, quickly, never in a decoder error.
 */
class WebpRefusalTest {
    private static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(WebpCorpusTest.folder().resolve(name));
    }

    private static String refused(byte[] data, String name) {
        ImageException e = assertThrows(ImageException.class, () -> ImageDecoder.decode(data, name));
        String m = e.getMessage();
        assertTrue(m.startsWith(name + ": ") && !m.contains("\n"), m);
        return m.substring(name.length() + 2);
    }

    @Test
    void truncatedFilesAreRefusedAsTruncated() throws IOException {
        for (String name :
                List.of("lossy-q75-odd.webp", "lossless-z6.webp", "lossy-alpha-default.webp", "anim-offset.webp")) {
            byte[] whole = fixture(name);
            for (int keep : new int[] {13, 30, whole.length / 2, whole.length - 1}) {
                String why = refused(Arrays.copyOf(whole, keep), name);
                assertTrue(why.startsWith("is a corrupt WebP file: ") && why.contains("truncated"), name + ": " + why);
            }
        }
    }

    @Test
    void aStreamCutShortInsideAConsistentContainerIsRefused() throws IOException {
        // The RIFF and chunk sizes rewritten to fit: the container is whole, the bitstream is not.
        for (String name : List.of("lossy-q75-odd.webp", "lossless-z6.webp")) {
            byte[] cut = Arrays.copyOf(fixture(name), 300);
            putLe32(cut, 4, cut.length - 8);
            putLe32(cut, 16, cut.length - 20);
            String why = refused(cut, name);
            assertTrue(why.contains("ends") || why.contains("truncated"), why);
        }
    }

    private static void putLe32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    @Test
    void hugeSizesAreRefusedBeforeDecoding() throws IOException {
        // An animation whose canvas claims 20000 x 20000 (400 megapixels) around a small first frame.
        byte[] anim = fixture("anim-offset.webp");
        for (int at : new int[] {24, 27}) {
            anim[at] = (byte) 0x1f; // 19999 = 0x4e1f, stored as size - 1
            anim[at + 1] = 0x4e;
            anim[at + 2] = 0;
        }
        assertEquals(
                "claims 20000 x 20000 pixels, more than the limit of 100 megapixels; refused before decoding",
                refused(anim, "big.webp"));
        // A lossless header of 16384 x 16384, and nothing after it.
        byte[] vp8l = simpleWebp("VP8L", 0x2f, 0xff, 0xff, 0xff, 0x0f);
        assertEquals(
                "claims 16384 x 16384 pixels, more than the limit of 100 megapixels; refused before decoding",
                refused(vp8l, "big.webp"));
    }

    /** A simple-format WebP file of one chunk. */
    private static byte[] simpleWebp(String tag, int... payload) {
        int padded = payload.length + (payload.length & 1);
        byte[] b = new byte[20 + padded];
        System.arraycopy("RIFF".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 4);
        putLe32(b, 4, 12 + padded);
        System.arraycopy(("WEBP" + tag).getBytes(StandardCharsets.US_ASCII), 0, b, 8, 8);
        putLe32(b, 16, payload.length);
        for (int i = 0; i < payload.length; i++) b[20 + i] = (byte) payload[i];
        return b;
    }

    @Test
    void containerErrorsSayWhatIsWrong() throws IOException {
        byte[] lossy = fixture("lossy-q75-odd.webp");
        byte[] badTag = lossy.clone();
        badTag[12] = 'X';
        assertEquals(
                "is a corrupt WebP file: its first chunk is 'XP8 ', not VP8, VP8L or VP8X", refused(badTag, "a.webp"));
        byte[] notKey = lossy.clone();
        notKey[20] |= 1;
        assertEquals("is a corrupt WebP file: its VP8 frame is not a key frame", refused(notKey, "a.webp"));
        byte[] lossless = fixture("lossless-z6.webp");
        lossless[20] = 0x2e;
        assertEquals(
                "is a corrupt WebP file: its lossless (VP8L) header is missing or bad", refused(lossless, "a.webp"));
    }

    @Test
    void randomMutationsEndInPixelsOrOneCleanLine() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(WebpCorpusTest.folder())) {
            files = s.filter(p -> p.toString().endsWith(".webp")).sorted().toList();
        }
        Random random = new Random(23);
        int refusedCount = 0, decoded = 0;
        for (Path f : files) {
            byte[] whole = Files.readAllBytes(f);
            for (int trial = 0; trial < 12; trial++) {
                byte[] m = whole.clone();
                int flips = 1 + random.nextInt(4);
                for (int i = 0; i < flips; i++)
                    m[12 + random.nextInt(m.length - 12)] ^= (byte) (1 << random.nextInt(8));
                if (trial % 4 == 3) m = Arrays.copyOf(m, 12 + random.nextInt(m.length - 12));
                byte[] mutated = m;
                String name = f.getFileName() + "#" + trial;
                boolean ok = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                    try {
                        ImageDecoder.decode(mutated, name);
                        return true;
                    } catch (ImageException e) {
                        String msg = e.getMessage();
                        assertTrue(msg.startsWith(name + ": ") && !msg.contains("\n"), msg);
                        assertFalse(msg.contains("decoder error"), msg);
                        return false;
                    }
                });
                if (ok) decoded++;
                else refusedCount++;
            }
        }
        assertTrue(refusedCount > 0 && decoded > 0, refusedCount + " refused, " + decoded + " decoded");
    }
}
