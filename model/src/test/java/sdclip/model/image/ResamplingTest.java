package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** Pillow's BICUBIC and NEAREST resize and the premultiplied-alpha path, on small images. */
class ResamplingTest {

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void oneDimensionalDownscaleWorkedByHand() {
        // 4 -> 2: scale 2, support 4, all four inputs in both windows. Output 0 has center 1.0, so the
        // kernel is read at (j - 0.5) / 2 = -0.25, 0.25, 0.75, 1.25: 111/128, 111/128, 29/128, -9/128,
        // normalised by 242/128. On [0, 0, 255, 255] only the last two count:
        // 2^21 + 255 * (round(29/242 * 2^22) + round(-9/242 * 2^22)) = 2^21 + 255 * (502623 - 155987),
        // >> 22 = 21 (exactly 21.07). Output 1 mirrors it: 255 * 222/242 = 233.93 -> 234.
        BicubicWeights w = BicubicWeights.of(4, 2);
        assertArrayEquals(new int[] {0, 0}, w.start());
        assertArrayEquals(new int[] {4, 4}, w.count());
        int[] k = w.fixedPoint();
        assertArrayEquals(new int[] {1923834, 1923834, 502623, -155987}, Arrays.copyOfRange(k, 0, 4));
        assertArrayEquals(bytes(21, 234), BicubicResampler.resize(bytes(0, 0, 255, 255), 4, 1, 1, 2, 1));
    }

    @Test
    void cubicKernelIsTheAMinusHalfCubic() {
        assertEquals(1.0, BicubicWeights.cubic(0));
        assertEquals(111 / 128.0, BicubicWeights.cubic(0.25));
        assertEquals(-9 / 128.0, BicubicWeights.cubic(-1.25));
        assertEquals(0.0, BicubicWeights.cubic(2));
    }

    @Test
    void sameSizeIsACopyAndAnUnchangedAxisIsNotResampled() {
        byte[] px = bytes(10, 200, 30, 40, 250, 60);
        DecodedImage img = DecodedImage.of(3, 2, PixelMode.L, px);
        DecodedImage same = ImageResizer.resize(img, 3, 2);
        assertArrayEquals(px, same.samples());
        assertNotSame(px, same.samples());
        // Width unchanged: each column is resized on its own, vertically only.
        byte[] tall = BicubicResampler.resize(px, 3, 2, 1, 3, 4);
        for (int x = 0; x < 3; x++) {
            byte[] column = BicubicResampler.resize(bytes(px[x] & 0xff, px[3 + x] & 0xff), 1, 2, 1, 1, 4);
            for (int y = 0; y < 4; y++) assertEquals(column[y], tall[y * 3 + x]);
        }
    }

    @Test
    void constantImagesStayConstantInEveryPath() {
        byte[] gray = new byte[7 * 5];
        Arrays.fill(gray, (byte) 77);
        assertArrayEquals(filled(3 * 11, 77), BicubicResampler.resize(gray, 7, 5, 1, 3, 11));
        int[] wide = new int[7 * 5];
        Arrays.fill(wide, 40000);
        for (int v : BicubicResampler.resize(wide, 7, 5, 2, 9)) assertEquals(40000, v);
    }

    @Test
    void transparentPixelsComeOutBlackAndDoNotBleed() {
        // Left half opaque blue, right half transparent magenta: straight resampling would bleed
        // magenta into the edge; premultiplied resampling cannot, and transparent pixels end black.
        int w = 8, h = 2;
        byte[] rgba = new byte[w * h * 4];
        for (int p = 0; p < w * h; p++) {
            boolean opaque = p % w < w / 2;
            int[] c = opaque ? new int[] {0, 0, 255, 255} : new int[] {255, 0, 255, 0};
            for (int i = 0; i < 4; i++) rgba[p * 4 + i] = (byte) c[i];
        }
        DecodedImage out = ImageResizer.resize(DecodedImage.of(w, h, PixelMode.RGBA, rgba), 5, 3);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                int a = out.sample(x, y, 3);
                assertEquals(0, out.sample(x, y, 1), "no green anywhere");
                if (a == 0)
                    assertArrayEquals(
                            new int[] {0, 0, 0},
                            new int[] {out.sample(x, y, 0), out.sample(x, y, 1), out.sample(x, y, 2)});
                else assertEquals(0, out.sample(x, y, 0), "no red bleeds into visible pixels at x=" + x);
            }
        }
        assertEquals(0, out.sample(4, 0, 3));
    }

    @Test
    void premultiplyRoundTripKeepsOpaqueAndBlackensNothingElse() {
        byte[] s = bytes(200, 100, 50, 255, 200, 100, 50, 0, 200, 100, 50, 128);
        Premultiplied.premultiply(s, 4);
        // alpha 0: colour multiplied to 0; alpha 128: t = c * 128 + 128, (t + (t >> 8)) >> 8.
        assertArrayEquals(bytes(200, 100, 50, 255, 0, 0, 0, 0, 100, 50, 25, 128), s);
        Premultiplied.unpremultiply(s, 4);
        assertArrayEquals(bytes(200, 100, 50, 255, 0, 0, 0, 0, 199, 99, 49, 128), s);
    }

    @Test
    void nearestAccumulatesTheSourcePositionLikePillow() {
        assertArrayEquals(new int[] {0, 2}, NearestResampler.sourcePositions(3, 2));
        assertArrayEquals(new int[] {0, 0, 1, 1, 1}, NearestResampler.sourcePositions(2, 5));
        assertArrayEquals(new int[] {1, 5, 8}, NearestResampler.sourcePositions(10, 3));
    }

    @Test
    void paletteAndBilevelImagesResizeWithNearest() {
        int[] palette = new int[256];
        palette[1] = 0xff0000;
        DecodedImage p = DecodedImage.ofPalette(3, 1, bytes(0, 1, 2), palette);
        DecodedImage out = ImageResizer.resize(p, 2, 1);
        assertArrayEquals(bytes(0, 2), out.samples());
        assertEquals(palette, out.palette());
        DecodedImage bits = DecodedImage.of(2, 1, PixelMode.BILEVEL, bytes(0, 255));
        assertArrayEquals(
                bytes(0, 0, 255, 255, 255), ImageResizer.resize(bits, 5, 1).samples());
    }

    @Test
    void shortSideRuleTruncatesTheLongSide() {
        assertArrayEquals(new int[] {336, 224}, ImageResizer.shortSideTo(451, 300, 224));
        assertArrayEquals(new int[] {635, 224}, ImageResizer.shortSideTo(2162, 762, 224));
        assertArrayEquals(new int[] {224, 373}, ImageResizer.shortSideTo(300, 500, 224));
        assertArrayEquals(new int[] {373, 224}, ImageResizer.shortSideTo(100, 60, 224));
        assertArrayEquals(new int[] {224, 224}, ImageResizer.shortSideTo(512, 512, 224));
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }
}
