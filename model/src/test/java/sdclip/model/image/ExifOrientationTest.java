package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static sdclip.model.image.RawPng.bytes;

import org.junit.jupiter.api.Test;

/** The orientation tag as Pillow reads it, and the eight transposes on a 3 x 2 image. */
class ExifOrientationTest {
    /** "Exif\0\0", then a TIFF header and IFD0 with one entry: tag, type, count, value (4 bytes). */
    private static byte[] exif(boolean little, int tag, int type, int count, int value) {
        byte[] d = new byte[6 + 8 + 2 + 12 + 4];
        System.arraycopy(bytes('E', 'x', 'i', 'f', 0, 0), 0, d, 0, 6);
        d[6] = d[7] = (byte) (little ? 'I' : 'M');
        put16(d, 8, 42, little);
        put16(d, little ? 10 : 12, 8, little);
        put16(d, 14, 1, little);
        put16(d, 16, tag, little);
        put16(d, 18, type, little);
        put16(d, little ? 20 : 22, count, little);
        if (type == 4) put16(d, little ? 24 : 26, value, little);
        else put16(d, 24, value, little);
        return d;
    }

    private static void put16(byte[] d, int at, int v, boolean little) {
        d[at + (little ? 0 : 1)] = (byte) v;
        d[at + (little ? 1 : 0)] = (byte) (v >> 8);
    }

    @Test
    void orientationIsOneIntegerOfIfd0InEitherByteOrder() {
        assertEquals(6, ExifOrientation.parse(exif(true, 0x0112, 3, 1, 6), 6));
        assertEquals(8, ExifOrientation.parse(exif(false, 0x0112, 3, 1, 8), 6));
        assertEquals(3, ExifOrientation.parse(exif(true, 0x0112, 4, 1, 3), 6)); // LONG
        assertEquals(0, ExifOrientation.parse(exif(true, 0x0112, 3, 2, 6), 6)); // two values: Pillow does nothing
        assertEquals(0, ExifOrientation.parse(exif(true, 0x0112, 3, 1, 9), 6)); // not an orientation
        assertEquals(0, ExifOrientation.parse(exif(true, 0x0110, 3, 1, 6), 6)); // another tag
        assertEquals(0, ExifOrientation.parse(bytes('E', 'x', 'i', 'f', 0, 0, 'I', 'I'), 6)); // cut short
    }

    @Test
    void theEightOrientationsMoveEachPixelAsPillowsTranspose() {
        // 3 x 2:  a b c / d e f
        DecodedImage img = DecodedImage.of(3, 2, PixelMode.L, bytes(1, 2, 3, 4, 5, 6));
        assertSame(img, ExifOrientation.apply(img, 1));
        assertSame(img, ExifOrientation.apply(img, 0));
        String[] want = {
            "3x2 3 2 1 6 5 4", // 2: mirror
            "3x2 6 5 4 3 2 1", // 3: rotate 180
            "3x2 4 5 6 1 2 3", // 4: flip
            "2x3 1 4 2 5 3 6", // 5: transpose
            "2x3 4 1 5 2 6 3", // 6: rotate 90 clockwise (Pillow's ROTATE_270)
            "2x3 6 3 5 2 4 1", // 7: transverse
            "2x3 3 6 2 5 1 4", // 8: rotate 90 counter-clockwise
        };
        for (int o = 2; o <= 8; o++) {
            DecodedImage t = ExifOrientation.apply(img, o);
            StringBuilder s = new StringBuilder(t.width() + "x" + t.height());
            for (byte b : t.samples()) s.append(' ').append(b);
            assertEquals(want[o - 2], s.toString(), "orientation " + o);
        }
        DecodedImage wide = ExifOrientation.apply(DecodedImage.ofWide(2, 1, new int[] {7, 70000}), 6);
        assertArrayEquals(new int[] {7, 70000}, wide.wideSamples());
        assertEquals(1, wide.width());
    }
}
