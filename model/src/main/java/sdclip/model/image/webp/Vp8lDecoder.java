package sdclip.model.image.webp;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the lossless WebP bitstream (VP8L, RFC 9649) into ARGB pixels ({@code 0xAARRGGBB}):
 * transforms, colour cache, meta prefix codes, LZ77 backward references, then the inverse
 * transforms. Lossless decoding is exact by definition; the refusals follow libwebp's (a code
 * that is not complete, a repeated transform, a reference outside the image, a stream that ends
 * early). Also decodes the compressed alpha of a lossy image, a VP8L stream without its header.
 */
final class Vp8lDecoder {
    private static final int NUM_LITERALS = 256, NUM_LENGTHS = 24, NUM_DISTANCES = 40;
    private static final int PREDICTOR = 0, CROSS_COLOR = 1, SUBTRACT_GREEN = 2, COLOR_INDEXING = 3;
    private static final int[] CODE_LENGTH_ORDER = {17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    /** The 120 short distance codes: (dy, 8 - dx) packed as {@code dy << 4 | (8 - dx)}. */
    private static final int[] DISTANCE_MAP = {
        0x18, 0x07, 0x17, 0x19, 0x28, 0x06, 0x27, 0x29, 0x16, 0x1a, 0x26, 0x2a, 0x38, 0x05, 0x37, 0x39, 0x15, 0x1b,
                0x36,
        0x3a, 0x25, 0x2b, 0x48, 0x04, 0x47, 0x49, 0x14, 0x1c, 0x35, 0x3b, 0x46, 0x4a, 0x24, 0x2c, 0x58, 0x45, 0x4b,
                0x34,
        0x3c, 0x03, 0x57, 0x59, 0x13, 0x1d, 0x56, 0x5a, 0x23, 0x2d, 0x44, 0x4c, 0x55, 0x5b, 0x33, 0x3d, 0x68, 0x02,
                0x67,
        0x69, 0x12, 0x1e, 0x66, 0x6a, 0x22, 0x2e, 0x54, 0x5c, 0x43, 0x4d, 0x65, 0x6b, 0x32, 0x3e, 0x78, 0x01, 0x77,
                0x79,
        0x53, 0x5d, 0x11, 0x1f, 0x64, 0x6c, 0x42, 0x4e, 0x76, 0x7a, 0x21, 0x2f, 0x75, 0x7b, 0x31, 0x3f, 0x63, 0x6d,
                0x52,
        0x5e, 0x00, 0x74, 0x7c, 0x41, 0x4f, 0x10, 0x20, 0x62, 0x6e, 0x30, 0x73, 0x7d, 0x51, 0x5f, 0x40, 0x72, 0x7e,
                0x61,
        0x6f, 0x50, 0x71, 0x7f, 0x60, 0x70
    };

    private record Transform(int type, int xsize, int bits, int[] data) {}

    private final LosslessBitReader br;
    private final List<Transform> transforms = new ArrayList<>();
    private int seenTransforms;

    private Vp8lDecoder(LosslessBitReader br) {
        this.br = br;
    }

    /** A VP8L image's header: {@code {width, height, alphaIsUsed}}. */
    static int[] header(byte[] data, int offset, int length) throws WebpException {
        if (length < 5 || (data[offset] & 0xff) != 0x2f)
            throw new WebpException("its lossless (VP8L) header is missing or bad");
        LosslessBitReader br = new LosslessBitReader(data, offset + 1, length - 1);
        int w = br.read(14) + 1, h = br.read(14) + 1, alpha = br.read(1);
        if (br.read(3) != 0) throw new WebpException("its lossless (VP8L) bitstream has an unknown version");
        return new int[] {w, h, alpha};
    }

    /** Decodes a VP8L image whose size {@link #header} gave (and the caller has bounded). */
    static int[] decode(byte[] data, int offset, int length) throws WebpException {
        int[] h = header(data, offset, length);
        LosslessBitReader br = new LosslessBitReader(data, offset + 5, length - 5);
        return new Vp8lDecoder(br).image(h[0], h[1]);
    }

    /** Decodes the compressed alpha of a lossy image: a headerless VP8L stream; alpha is in green. */
    static int[] decodeAlpha(byte[] data, int offset, int length, int width, int height) throws WebpException {
        return new Vp8lDecoder(new LosslessBitReader(data, offset, length)).image(width, height);
    }

    private int[] image(int width, int height) throws WebpException {
        int xsize = width;
        while (br.read(1) == 1) xsize = readTransform(xsize, height);
        int[] pixels = entropyCodedImage(xsize, height, true);
        for (int i = transforms.size() - 1; i >= 0; i--) pixels = inverse(transforms.get(i), pixels, height);
        return pixels;
    }

    private static int subSampleSize(int size, int bits) {
        return (size + (1 << bits) - 1) >> bits;
    }

    /** Reads one transform; returns the width of the pixels the next step codes. */
    private int readTransform(int xsize, int ysize) throws WebpException {
        int type = br.read(2);
        if ((seenTransforms & (1 << type)) != 0) throw new WebpException("its lossless data repeats a transform");
        seenTransforms |= 1 << type;
        switch (type) {
            case PREDICTOR, CROSS_COLOR -> {
                int bits = br.read(3) + 2;
                int[] data = entropyCodedImage(subSampleSize(xsize, bits), subSampleSize(ysize, bits), false);
                transforms.add(new Transform(type, xsize, bits, data));
                return xsize;
            }
            case COLOR_INDEXING -> {
                int colors = br.read(8) + 1;
                int bits = colors > 16 ? 0 : colors > 4 ? 1 : colors > 2 ? 2 : 3;
                int[] palette = entropyCodedImage(colors, 1, false);
                int[] map = new int[1 << (8 >> bits)]; // entries past the palette stay transparent black
                map[0] = palette[0];
                for (int i = 1; i < colors; i++) map[i] = addPixels(palette[i], map[i - 1]); // delta-coded
                transforms.add(new Transform(type, xsize, bits, map));
                return subSampleSize(xsize, bits);
            }
            default -> {
                transforms.add(new Transform(SUBTRACT_GREEN, xsize, 0, null));
                return xsize;
            }
        }
    }

    /** One group of five prefix codes: green + lengths + cache, red, blue, alpha, distance. */
    private record Group(PrefixCode green, PrefixCode red, PrefixCode blue, PrefixCode alpha, PrefixCode distance) {}

    private int[] entropyCodedImage(int xsize, int ysize, boolean main) throws WebpException {
        int cacheBits = 0;
        if (br.read(1) == 1) {
            cacheBits = br.read(4);
            if (cacheBits < 1 || cacheBits > 11)
                throw new WebpException("its lossless data has a bad colour cache size");
        }
        int metaBits = 0, metaXsize = 0;
        int[] meta = null;
        int groupCount = 1;
        if (main && br.read(1) == 1) {
            metaBits = br.read(3) + 2;
            metaXsize = subSampleSize(xsize, metaBits);
            meta = entropyCodedImage(metaXsize, subSampleSize(ysize, metaBits), false);
            for (int i = 0; i < meta.length; i++) {
                meta[i] = (meta[i] >> 8) & 0xffff;
                groupCount = Math.max(groupCount, meta[i] + 1);
            }
        }
        if (br.pastEnd()) throw truncated();
        // Every group is read (and must be valid); only those the meta image uses are kept.
        boolean[] used = new boolean[groupCount];
        if (meta == null) used[0] = true;
        else for (int g : meta) used[g] = true;
        Group[] groups = new Group[groupCount];
        int[] lengths = new int[NUM_LITERALS + NUM_LENGTHS + (1 << 11)];
        for (int g = 0; g < groupCount; g++) {
            Group group = new Group(
                    readCode(NUM_LITERALS + NUM_LENGTHS + (cacheBits > 0 ? 1 << cacheBits : 0), lengths),
                    readCode(NUM_LITERALS, lengths),
                    readCode(NUM_LITERALS, lengths),
                    readCode(NUM_LITERALS, lengths),
                    readCode(NUM_DISTANCES, lengths));
            if (used[g]) groups[g] = group;
        }
        int[] pixels = new int[Math.multiplyExact(xsize, ysize)];
        decodePixels(pixels, xsize, cacheBits, groups, meta, metaBits, metaXsize);
        if (br.pastEnd()) throw truncated();
        return pixels;
    }

    private static WebpException truncated() {
        return new WebpException("its lossless data ends early (truncated)");
    }

    private PrefixCode readCode(int alphabet, int[] lengths) throws WebpException {
        java.util.Arrays.fill(lengths, 0);
        if (br.read(1) == 1) { // simple code: one or two symbols
            int symbols = br.read(1) + 1;
            int first = br.read(br.read(1) == 0 ? 1 : 8);
            lengths[first] = 1;
            if (symbols == 2) lengths[br.read(8)] = 1;
        } else {
            int[] codeLengthLengths = new int[19];
            int n = br.read(4) + 4;
            for (int i = 0; i < n; i++) codeLengthLengths[CODE_LENGTH_ORDER[i]] = br.read(3);
            readCodeLengths(PrefixCode.of(codeLengthLengths, 19), alphabet, lengths);
        }
        if (br.pastEnd()) throw truncated();
        return PrefixCode.of(lengths, alphabet);
    }

    private void readCodeLengths(PrefixCode lengthCode, int alphabet, int[] lengths) throws WebpException {
        int maxSymbol = alphabet;
        if (br.read(1) == 1) {
            maxSymbol = 2 + br.read(2 + 2 * br.read(3));
            if (maxSymbol > alphabet) throw new WebpException("its lossless data has too many code lengths");
        }
        int previous = 8;
        for (int symbol = 0; symbol < alphabet && maxSymbol-- > 0; ) {
            int len = lengthCode.read(br);
            if (len < 16) {
                lengths[symbol++] = len;
                if (len != 0) previous = len;
            } else {
                int repeat = len == 16 ? 3 + br.read(2) : len == 17 ? 3 + br.read(3) : 11 + br.read(7);
                if (symbol + repeat > alphabet)
                    throw new WebpException("its lossless data repeats code lengths too far");
                int value = len == 16 ? previous : 0;
                while (repeat-- > 0) lengths[symbol++] = value;
            }
            if (br.pastEnd()) throw truncated();
        }
    }

    private static int copyLength(int symbol, LosslessBitReader br) {
        if (symbol < 4) return symbol + 1;
        int extra = (symbol - 2) >> 1;
        int offset = (2 + (symbol & 1)) << extra;
        return offset + br.read(extra) + 1;
    }

    private static int distance(int xsize, int code) {
        if (code > 120) return code - 120;
        int d = DISTANCE_MAP[code - 1];
        int dist = (d >> 4) * xsize + 8 - (d & 0xf);
        return Math.max(dist, 1); // can be below 1 for very narrow images
    }

    private void decodePixels(
            int[] out, int xsize, int cacheBits, Group[] groups, int[] meta, int metaBits, int metaXsize)
            throws WebpException {
        int[] cache = cacheBits > 0 ? new int[1 << cacheBits] : null;
        int cacheShift = 32 - cacheBits, cached = 0;
        int total = out.length, pos = 0;
        while (pos < total) {
            if (br.pastEnd()) throw truncated();
            int x = pos % xsize, y = pos / xsize;
            Group g = groups[meta == null ? 0 : meta[(y >> metaBits) * metaXsize + (x >> metaBits)]];
            int code = g.green.read(br);
            if (code < NUM_LITERALS) {
                int red = g.red.read(br), blue = g.blue.read(br), alpha = g.alpha.read(br);
                out[pos++] = alpha << 24 | red << 16 | code << 8 | blue;
            } else if (code < NUM_LITERALS + NUM_LENGTHS) {
                int length = copyLength(code - NUM_LITERALS, br);
                int dist = distance(xsize, copyLength(g.distance.read(br), br));
                if (br.pastEnd()) throw truncated();
                if (pos < dist || total - pos < length)
                    throw new WebpException("its lossless data refers outside the image");
                for (int i = 0; i < length; i++, pos++) out[pos] = out[pos - dist];
            } else {
                while (cached < pos) { // the cache holds every pixel decoded before this one
                    int argb = out[cached++];
                    cache[(argb * 0x1e35a7bd) >>> cacheShift] = argb;
                }
                out[pos++] = cache[code - NUM_LITERALS - NUM_LENGTHS];
            }
            if (cache != null) {
                while (cached < pos) {
                    int argb = out[cached++];
                    cache[(argb * 0x1e35a7bd) >>> cacheShift] = argb;
                }
            }
        }
    }

    // ---- inverse transforms ----

    private static int addPixels(int a, int b) {
        int ag = (a & 0xff00ff00) + (b & 0xff00ff00);
        int rb = (a & 0x00ff00ff) + (b & 0x00ff00ff);
        return (ag & 0xff00ff00) | (rb & 0x00ff00ff);
    }

    private static int[] inverse(Transform t, int[] in, int height) {
        return switch (t.type) {
            case PREDICTOR -> predictor(t, in, height);
            case CROSS_COLOR -> crossColor(t, in, height);
            case SUBTRACT_GREEN -> {
                for (int i = 0; i < in.length; i++) {
                    int argb = in[i], green = (argb >> 8) & 0xff;
                    int rb = ((argb & 0x00ff00ff) + (green << 16 | green)) & 0x00ff00ff;
                    in[i] = (argb & 0xff00ff00) | rb;
                }
                yield in;
            }
            default -> colorIndexing(t, in, height);
        };
    }

    private static int[] predictor(Transform t, int[] px, int height) {
        int w = t.xsize, tiles = subSampleSize(w, t.bits);
        px[0] = addPixels(px[0], 0xff000000);
        for (int x = 1; x < w; x++) px[x] = addPixels(px[x], px[x - 1]);
        for (int y = 1; y < height; y++) {
            int row = y * w;
            px[row] = addPixels(px[row], px[row - w]);
            int modes = (y >> t.bits) * tiles;
            for (int x = 1; x < w; x++) {
                int mode = (t.data[modes + (x >> t.bits)] >> 8) & 0xf;
                int i = row + x;
                // Top-right of the last pixel is the row's first pixel: px[i - w + 1] does that.
                px[i] = addPixels(px[i], predict(mode, px[i - 1], px[i - w], px[i - w + 1], px[i - w - 1]));
            }
        }
        return px;
    }

    private static int predict(int mode, int left, int top, int topRight, int topLeft) {
        return switch (mode) {
            case 1 -> left;
            case 2 -> top;
            case 3 -> topRight;
            case 4 -> topLeft;
            case 5 -> average2(average2(left, topRight), top);
            case 6 -> average2(left, topLeft);
            case 7 -> average2(left, top);
            case 8 -> average2(topLeft, top);
            case 9 -> average2(top, topRight);
            case 10 -> average2(average2(left, topLeft), average2(top, topRight));
            case 11 -> select(top, left, topLeft);
            case 12 -> clampedAddSubtractFull(left, top, topLeft);
            case 13 -> clampedAddSubtractHalf(average2(left, top), topLeft);
            default -> 0xff000000; // 0, and 14 and 15 as libwebp treats them
        };
    }

    private static int average2(int a, int b) {
        return (((a ^ b) & 0xfefefefe) >>> 1) + (a & b);
    }

    private static int channel(int argb, int shift) {
        return (argb >>> shift) & 0xff;
    }

    private static int select(int a, int b, int c) {
        int paMinusPb = 0;
        for (int s = 0; s < 32; s += 8) {
            paMinusPb += Math.abs(channel(b, s) - channel(c, s)) - Math.abs(channel(a, s) - channel(c, s));
        }
        return paMinusPb <= 0 ? a : b;
    }

    private static int clip255(int v) {
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }

    private static int clampedAddSubtractFull(int a, int b, int c) {
        int out = 0;
        for (int s = 0; s < 32; s += 8) out |= clip255(channel(a, s) + channel(b, s) - channel(c, s)) << s;
        return out;
    }

    private static int clampedAddSubtractHalf(int avg, int c) {
        int out = 0;
        for (int s = 0; s < 32; s += 8) {
            int a = channel(avg, s);
            out |= clip255(a + (a - channel(c, s)) / 2) << s;
        }
        return out;
    }

    private static int[] crossColor(Transform t, int[] px, int height) {
        int w = t.xsize, tiles = subSampleSize(w, t.bits);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < w; x++) {
                int m = t.data[(y >> t.bits) * tiles + (x >> t.bits)];
                int greenToRed = (byte) m, greenToBlue = (byte) (m >> 8), redToBlue = (byte) (m >> 16);
                int i = y * w + x, argb = px[i];
                int green = (byte) (argb >> 8);
                int red = ((argb >> 16) + ((greenToRed * green) >> 5)) & 0xff;
                int blue = (argb + ((greenToBlue * green) >> 5) + ((redToBlue * (byte) red) >> 5)) & 0xff;
                px[i] = (argb & 0xff00ff00) | red << 16 | blue;
            }
        }
        return px;
    }

    private static int[] colorIndexing(Transform t, int[] in, int height) {
        int w = t.xsize, packedWidth = subSampleSize(w, t.bits);
        int[] out = new int[Math.multiplyExact(w, height)];
        int bitsPerPixel = 8 >> t.bits, mask = (1 << bitsPerPixel) - 1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < w; x++) {
                int packed = (in[y * packedWidth + (x >> t.bits)] >> 8) & 0xff;
                int index = (packed >> ((x & ((1 << t.bits) - 1)) * bitsPerPixel)) & mask;
                out[y * w + x] = t.data[index];
            }
        }
        return out;
    }
}
