package sdclip.model.image.webp;

import java.util.Arrays;

/**
 * Decodes a VP8 key frame (the lossy WebP bitstream, RFC 6386) into Y, U and V planes: frame
 * header, boolean-coded modes and tokens, dequantisation, intra prediction, inverse transforms
 * and the loop filter, in libwebp's order and arithmetic. Prediction reads unfiltered pixels
 * (libwebp keeps them apart), so the whole frame is reconstructed first and filtered after.
 * Failures are those libwebp reports: a bad header, a partition read past its end.
 */
final class Vp8Decoder {
    /** The decoded frame: planes padded to whole macroblocks, {@code width x height} visible. */
    record Frame(int width, int height, byte[] y, byte[] u, byte[] v, int yStride, int uvStride) {}

    private static final int NUM_TYPES = 4, NUM_BANDS = 8, NUM_CTX = 3, NUM_PROBAS = 11;
    private final int mbWidth, mbHeight;
    private final BoolDecoder header;
    private BoolDecoder[] partitions;

    // Segment and filter headers.
    private boolean useSegment, updateSegmentMap, absoluteDelta = true;
    private final int[] segmentQuant = new int[4], segmentFilter = new int[4];
    private final int[] segmentProbs = {255, 255, 255};
    private boolean simpleFilter, useLfDelta;
    private int filterLevel, sharpness, filterType;
    private final int[] refLfDelta = new int[4], modeLfDelta = new int[4];

    // Dequantisation: per segment, {y1 dc, y1 ac, y2 dc, y2 ac, uv dc, uv ac}.
    private final int[][] dequant = new int[4][6];
    private final int[] tokenProbs = new int[NUM_TYPES * NUM_BANDS * NUM_CTX * NUM_PROBAS];
    private boolean useSkipProba;
    private int skipProba;

    // Per-row mode state and per-column token contexts.
    private final int[] intraTop, intraLeft = new int[4];
    private final int[] topNzY, topNzU, topNzV, topNzDc;
    private final int[] leftNzY = new int[4], leftNzU = new int[2], leftNzV = new int[2];
    private int leftNzDc;

    // Per macroblock of the current row.
    private final int[] segment, ymode, uvmode;
    private final boolean[] skip, isI4x4;
    private final int[] subModes;

    // Loop filter parameters per macroblock of the frame (limit 0: no filtering).
    private final int[] fLimit, fInterior, fHevThresh;
    private final boolean[] fInner;

    private final int width, height, yStride, uvStride;
    private final byte[] yPlane, uPlane, vPlane;

    private Vp8Decoder(int width, int height, BoolDecoder header) {
        this.width = width;
        this.height = height;
        this.header = header;
        mbWidth = (width + 15) >> 4;
        mbHeight = (height + 15) >> 4;
        intraTop = new int[4 * mbWidth];
        topNzY = new int[4 * mbWidth];
        topNzU = new int[2 * mbWidth];
        topNzV = new int[2 * mbWidth];
        topNzDc = new int[mbWidth];
        segment = new int[mbWidth];
        ymode = new int[mbWidth];
        uvmode = new int[mbWidth];
        skip = new boolean[mbWidth];
        isI4x4 = new boolean[mbWidth];
        subModes = new int[16 * mbWidth];
        int mbs = mbWidth * mbHeight;
        fLimit = new int[mbs];
        fInterior = new int[mbs];
        fHevThresh = new int[mbs];
        fInner = new boolean[mbs];
        yStride = 16 * mbWidth;
        uvStride = 8 * mbWidth;
        yPlane = new byte[yStride * 16 * mbHeight];
        uPlane = new byte[uvStride * 8 * mbHeight];
        vPlane = new byte[uvStride * 8 * mbHeight];
    }

    /** The frame's size from its 10-byte header, or an exception when it is not a VP8 key frame. */
    static int[] size(byte[] data, int offset, int length) throws WebpException {
        if (length < 10) throw new WebpException("its VP8 frame header is truncated");
        int bits = (data[offset] & 0xff) | (data[offset + 1] & 0xff) << 8 | (data[offset + 2] & 0xff) << 16;
        if ((bits & 1) != 0) throw new WebpException("its VP8 frame is not a key frame");
        if (((bits >> 1) & 7) > 3) throw new WebpException("its VP8 frame has an unknown profile");
        if (((bits >> 4) & 1) == 0) throw new WebpException("its VP8 frame is not displayable");
        if ((bits >>> 5) >= length) throw new WebpException("its VP8 first partition is larger than the frame");
        if ((data[offset + 3] & 0xff) != 0x9d || (data[offset + 4] & 0xff) != 0x01 || (data[offset + 5] & 0xff) != 0x2a)
            throw new WebpException("its VP8 frame has a bad start code");
        int w = ((data[offset + 7] & 0xff) << 8 | (data[offset + 6] & 0xff)) & 0x3fff;
        int h = ((data[offset + 9] & 0xff) << 8 | (data[offset + 8] & 0xff)) & 0x3fff;
        if (w == 0 || h == 0) throw new WebpException("its VP8 frame has no pixels (" + w + " x " + h + ")");
        return new int[] {w, h};
    }

    /** Decodes a key frame whose size {@link #size} has checked (and the caller has bounded). */
    static Frame decode(byte[] data, int offset, int length) throws WebpException {
        int[] wh = size(data, offset, length);
        int bits = (data[offset] & 0xff) | (data[offset + 1] & 0xff) << 8 | (data[offset + 2] & 0xff) << 16;
        int firstPartition = bits >>> 5;
        int start = offset + 10, left = length - 10;
        if (firstPartition > left) throw new WebpException("its VP8 first partition is truncated");
        Vp8Decoder d = new Vp8Decoder(wh[0], wh[1], new BoolDecoder(data, start, firstPartition));
        d.readHeaders(data, start + firstPartition, left - firstPartition);
        d.decodeMacroblocks();
        d.loopFilter();
        return new Frame(d.width, d.height, d.yPlane, d.uPlane, d.vPlane, d.yStride, d.uvStride);
    }

    private void readHeaders(byte[] data, int tokensAt, int tokensLength) throws WebpException {
        BoolDecoder br = header;
        br.bit(128); // colour space: ignored
        br.bit(128); // clamping type: libwebp always clamps
        useSegment = br.bit(128) == 1;
        if (useSegment) {
            updateSegmentMap = br.bit(128) == 1;
            if (br.bit(128) == 1) { // update segment data
                absoluteDelta = br.bit(128) == 1;
                for (int s = 0; s < 4; s++) segmentQuant[s] = br.optionalSigned(7);
                for (int s = 0; s < 4; s++) segmentFilter[s] = br.optionalSigned(6);
            }
            if (updateSegmentMap) for (int s = 0; s < 3; s++) segmentProbs[s] = br.bit(128) == 1 ? br.literal(8) : 255;
        }
        if (br.eof) throw new WebpException("its VP8 segment header is truncated");
        simpleFilter = br.bit(128) == 1;
        filterLevel = br.literal(6);
        sharpness = br.literal(3);
        useLfDelta = br.bit(128) == 1;
        if (useLfDelta && br.bit(128) == 1) {
            for (int i = 0; i < 4; i++) if (br.bit(128) == 1) refLfDelta[i] = br.signedLiteral(6);
            for (int i = 0; i < 4; i++) if (br.bit(128) == 1) modeLfDelta[i] = br.signedLiteral(6);
        }
        filterType = filterLevel == 0 ? 0 : simpleFilter ? 1 : 2;
        if (br.eof) throw new WebpException("its VP8 filter header is truncated");
        readPartitions(data, tokensAt, tokensLength);
        readQuantizers();
        br.bit(128); // refresh entropy probabilities: irrelevant for a single key frame
        for (int i = 0; i < tokenProbs.length; i++)
            tokenProbs[i] =
                    br.bit(Vp8Tables.TOKEN_UPDATE_PROBS[i]) == 1 ? br.literal(8) : Vp8Tables.DEFAULT_TOKEN_PROBS[i];
        useSkipProba = br.bit(128) == 1;
        if (useSkipProba) skipProba = br.literal(8);
    }

    private void readPartitions(byte[] data, int at, int size) throws WebpException {
        int count = 1 << header.literal(2);
        int last = count - 1;
        if (size < 3 * last) throw new WebpException("its VP8 partition sizes are truncated");
        partitions = new BoolDecoder[count];
        int partStart = at + 3 * last, sizeLeft = size - 3 * last;
        for (int p = 0; p < last; p++) {
            int s = at + 3 * p;
            int psize = (data[s] & 0xff) | (data[s + 1] & 0xff) << 8 | (data[s + 2] & 0xff) << 16;
            if (psize > sizeLeft) psize = sizeLeft;
            partitions[p] = new BoolDecoder(data, partStart, psize);
            partStart += psize;
            sizeLeft -= psize;
        }
        partitions[last] = new BoolDecoder(data, partStart, sizeLeft);
        if (sizeLeft <= 0) throw new WebpException("its VP8 token partitions are truncated");
    }

    private static int clip(int v, int max) {
        return v < 0 ? 0 : v > max ? max : v;
    }

    private void readQuantizers() {
        BoolDecoder br = header;
        int base = br.literal(7);
        int y1dc = br.optionalSigned(4), y2dc = br.optionalSigned(4), y2ac = br.optionalSigned(4);
        int uvdc = br.optionalSigned(4), uvac = br.optionalSigned(4);
        for (int s = 0; s < 4; s++) {
            int q = useSegment ? segmentQuant[s] + (absoluteDelta ? 0 : base) : base;
            int[] m = dequant[s];
            m[0] = Vp8Tables.DC_STEP[clip(q + y1dc, 127)];
            m[1] = Vp8Tables.AC_STEP[clip(q, 127)];
            m[2] = Vp8Tables.DC_STEP[clip(q + y2dc, 127)] * 2;
            // x * 155 / 100, exactly as libwebp computes it for x in [0, 284].
            m[3] = Math.max(8, (Vp8Tables.AC_STEP[clip(q + y2ac, 127)] * 101581) >> 16);
            m[4] = Vp8Tables.DC_STEP[clip(q + uvdc, 117)];
            m[5] = Vp8Tables.AC_STEP[clip(q + uvac, 127)];
        }
    }

    private void decodeMacroblocks() throws WebpException {
        Arrays.fill(intraTop, Vp8Predictor.B_DC);
        short[] coeffs = new short[384];
        byte[] ybuf = new byte[Vp8Predictor.BPS * 17],
                ubuf = new byte[Vp8Predictor.BPS * 9],
                vbuf = new byte[Vp8Predictor.BPS * 9];
        for (int mbY = 0; mbY < mbHeight; mbY++) {
            Arrays.fill(intraLeft, Vp8Predictor.B_DC);
            for (int mbX = 0; mbX < mbWidth; mbX++) readModes(mbX);
            if (header.eof) throw new WebpException("its VP8 first partition ends before the last macroblock");
            Arrays.fill(leftNzY, 0);
            Arrays.fill(leftNzU, 0);
            Arrays.fill(leftNzV, 0);
            leftNzDc = 0;
            BoolDecoder tokens = partitions[mbY & (partitions.length - 1)];
            for (int mbX = 0; mbX < mbWidth; mbX++) {
                boolean noCoefficients;
                if (useSkipProba && skip[mbX]) {
                    Arrays.fill(coeffs, (short) 0);
                    clearContexts(mbX);
                    noCoefficients = true;
                } else {
                    readResiduals(tokens, mbX, coeffs);
                    noCoefficients = allZero(coeffs);
                }
                if (tokens.eof) throw new WebpException("its VP8 data ends before the last macroblock");
                setFilter(mbX, mbY, noCoefficients);
                reconstruct(mbX, mbY, coeffs, ybuf, ubuf, vbuf);
            }
        }
    }

    private void readModes(int mbX) {
        BoolDecoder br = header;
        segment[mbX] = !updateSegmentMap
                ? 0
                : br.bit(segmentProbs[0]) == 0 ? br.bit(segmentProbs[1]) : 2 + br.bit(segmentProbs[2]);
        skip[mbX] = useSkipProba && br.bit(skipProba) == 1;
        isI4x4[mbX] = br.bit(145) == 0;
        if (!isI4x4[mbX]) {
            int mode = br.bit(156) == 1
                    ? (br.bit(128) == 1 ? Vp8Predictor.TM : Vp8Predictor.H)
                    : (br.bit(163) == 1 ? Vp8Predictor.V : Vp8Predictor.DC);
            ymode[mbX] = mode;
            // The 16x16 modes stand for the same-named sub-block modes as context (DC, TM, VE, HE).
            Arrays.fill(intraTop, 4 * mbX, 4 * mbX + 4, mode);
            Arrays.fill(intraLeft, mode);
        } else {
            for (int y = 0; y < 4; y++) {
                int leftMode = intraLeft[y];
                for (int x = 0; x < 4; x++) {
                    int p = (intraTop[4 * mbX + x] * 10 + leftMode) * 9;
                    leftMode = readSubblockMode(br, p);
                    intraTop[4 * mbX + x] = leftMode;
                    subModes[16 * mbX + 4 * y + x] = leftMode;
                }
                intraLeft[y] = leftMode;
            }
        }
        uvmode[mbX] = br.bit(142) == 0
                ? Vp8Predictor.DC
                : br.bit(114) == 0 ? Vp8Predictor.V : br.bit(183) == 1 ? Vp8Predictor.TM : Vp8Predictor.H;
    }

    /** The sub-block mode tree of RFC 6386 section 11.2, with probabilities from offset {@code p}. */
    private static int readSubblockMode(BoolDecoder br, int p) {
        int[] prob = Vp8Tables.SUBBLOCK_MODE_PROBS;
        if (br.bit(prob[p]) == 0) return Vp8Predictor.B_DC;
        if (br.bit(prob[p + 1]) == 0) return Vp8Predictor.B_TM;
        if (br.bit(prob[p + 2]) == 0) return Vp8Predictor.B_VE;
        if (br.bit(prob[p + 3]) == 0)
            return br.bit(prob[p + 4]) == 0
                    ? Vp8Predictor.B_HE
                    : br.bit(prob[p + 5]) == 0 ? Vp8Predictor.B_RD : Vp8Predictor.B_VR;
        if (br.bit(prob[p + 6]) == 0) return Vp8Predictor.B_LD;
        if (br.bit(prob[p + 7]) == 0) return Vp8Predictor.B_VL;
        return br.bit(prob[p + 8]) == 0 ? Vp8Predictor.B_HD : Vp8Predictor.B_HU;
    }

    /** A skipped macroblock: no coefficients, so its neighbours see no non-zero ones. */
    private void clearContexts(int mbX) {
        Arrays.fill(topNzY, 4 * mbX, 4 * mbX + 4, 0);
        Arrays.fill(topNzU, 2 * mbX, 2 * mbX + 2, 0);
        Arrays.fill(topNzV, 2 * mbX, 2 * mbX + 2, 0);
        Arrays.fill(leftNzY, 0);
        Arrays.fill(leftNzU, 0);
        Arrays.fill(leftNzV, 0);
        if (!isI4x4[mbX]) {
            topNzDc[mbX] = 0;
            leftNzDc = 0;
        }
    }

    private static boolean allZero(short[] c) {
        for (short v : c) if (v != 0) return false;
        return true;
    }

    /** Reads a macroblock's coefficients, dequantised, into {@code c} (Y2 already inverted into the Y DCs). */
    private void readResiduals(BoolDecoder br, int mbX, short[] c) {
        Arrays.fill(c, (short) 0);
        int[] q = dequant[segment[mbX]];
        int first, type;
        if (!isI4x4[mbX]) {
            short[] dc = new short[16];
            int nz = readCoefficients(br, 1, topNzDc[mbX] + leftNzDc, q[2], q[3], 0, dc, 0);
            topNzDc[mbX] = leftNzDc = nz > 0 ? 1 : 0;
            if (nz > 1) {
                Vp8Predictor.inverseWht(dc, c);
            } else { // only the DC: every block gets the same
                int dc0 = (dc[0] + 3) >> 3;
                for (int i = 0; i < 256; i += 16) c[i] = (short) dc0;
            }
            first = 1;
            type = 0;
        } else {
            first = 0;
            type = 3;
        }
        for (int y = 0; y < 4; y++) {
            int l = leftNzY[y];
            for (int x = 0; x < 4; x++) {
                int nz = readCoefficients(br, type, l + topNzY[4 * mbX + x], q[0], q[1], first, c, (4 * y + x) * 16);
                l = nz > first ? 1 : 0;
                topNzY[4 * mbX + x] = l;
            }
            leftNzY[y] = l;
        }
        for (int ch = 0; ch < 2; ch++) {
            int[] top = ch == 0 ? topNzU : topNzV, left = ch == 0 ? leftNzU : leftNzV;
            for (int y = 0; y < 2; y++) {
                int l = left[y];
                for (int x = 0; x < 2; x++) {
                    int at = 256 + 64 * ch + (2 * y + x) * 16;
                    int nz = readCoefficients(br, 2, l + top[2 * mbX + x], q[4], q[5], 0, c, at);
                    l = nz > 0 ? 1 : 0;
                    top[2 * mbX + x] = l;
                }
                left[y] = l;
            }
        }
    }

    private int probAt(int type, int band, int ctx) {
        return ((type * NUM_BANDS + band) * NUM_CTX + ctx) * NUM_PROBAS;
    }

    /**
     * One block's tokens (RFC 6386 section 13), from position {@code n}; returns one past the last
     * non-zero coefficient's position, or {@code n} when the block ends at once.
     */
    private int readCoefficients(BoolDecoder br, int type, int ctx, int dcq, int acq, int n, short[] out, int at) {
        int[] pr = tokenProbs;
        int p = probAt(type, Vp8Tables.BANDS[n], ctx);
        for (; n < 16; n++) {
            if (br.bit(pr[p]) == 0) return n; // end of block
            while (br.bit(pr[p + 1]) == 0) { // a zero
                if (++n == 16) return 16;
                p = probAt(type, Vp8Tables.BANDS[n], 0);
            }
            int v;
            if (br.bit(pr[p + 2]) == 0) {
                v = 1;
                p = probAt(type, Vp8Tables.BANDS[n + 1], 1);
            } else {
                v = largeValue(br, pr, p);
                p = probAt(type, Vp8Tables.BANDS[n + 1], 2);
            }
            if (br.bit(128) == 1) v = -v;
            out[at + Vp8Tables.ZIGZAG[n]] = (short) (v * (n > 0 ? acq : dcq));
        }
        return 16;
    }

    private static int largeValue(BoolDecoder br, int[] pr, int p) {
        if (br.bit(pr[p + 3]) == 0) return br.bit(pr[p + 4]) == 0 ? 2 : 3 + br.bit(pr[p + 5]);
        if (br.bit(pr[p + 6]) == 0) {
            if (br.bit(pr[p + 7]) == 0) return 5 + br.bit(159);
            int v = 7 + 2 * br.bit(165);
            return v + br.bit(145);
        }
        int bit1 = br.bit(pr[p + 8]);
        int bit0 = br.bit(pr[p + 9 + bit1]);
        int cat = 2 * bit1 + bit0;
        int v = 0;
        for (int prob : Vp8Tables.CATEGORY_PROBS[cat]) v += v + br.bit(prob);
        return v + 3 + (8 << cat);
    }

    /** The macroblock's loop filter strength (RFC 6386 section 9.6, 15.2), as libwebp precomputes it. */
    private void setFilter(int mbX, int mbY, boolean noCoefficients) {
        if (filterType == 0) return;
        int s = segment[mbX];
        int level = useSegment ? segmentFilter[s] + (absoluteDelta ? 0 : filterLevel) : filterLevel;
        if (useLfDelta) {
            level += refLfDelta[0];
            if (isI4x4[mbX]) level += modeLfDelta[0];
        }
        level = clip(level, 63);
        int i = mbY * mbWidth + mbX;
        if (level == 0) {
            fLimit[i] = 0;
            return;
        }
        int interior = level;
        if (sharpness > 0) {
            interior >>= sharpness > 4 ? 2 : 1;
            interior = Math.min(interior, 9 - sharpness);
        }
        interior = Math.max(interior, 1);
        fInterior[i] = interior;
        fLimit[i] = 2 * level + interior;
        fHevThresh[i] = level >= 40 ? 2 : level >= 15 ? 1 : 0;
        fInner[i] = isI4x4[mbX] || !noCoefficients;
    }

    private static final int Y0 = Vp8Predictor.BPS + 8, UV0 = Vp8Predictor.BPS + 8;

    private void reconstruct(int mbX, int mbY, short[] c, byte[] yb, byte[] ub, byte[] vb) {
        final int bps = Vp8Predictor.BPS;
        loadEdges(yb, Y0, yPlane, yStride, mbX, mbY, 16);
        loadEdges(ub, UV0, uPlane, uvStride, mbX, mbY, 8);
        loadEdges(vb, UV0, vPlane, uvStride, mbX, mbY, 8);
        if (isI4x4[mbX]) {
            // The top-right 4 pixels: from the macroblock above-right (its bottom row), else replicated.
            int tr = Y0 - bps + 16;
            if (mbY > 0) {
                int above = (16 * mbY - 1) * yStride + 16 * mbX;
                if (mbX < mbWidth - 1) System.arraycopy(yPlane, above + 16, yb, tr, 4);
                else Arrays.fill(yb, tr, tr + 4, yPlane[above + 15]);
            } else {
                Arrays.fill(yb, tr, tr + 4, (byte) 127);
            }
            // Sub-blocks on the right column below the first row reuse the macroblock's top-right.
            for (int r = 1; r < 4; r++) System.arraycopy(yb, tr, yb, tr + 4 * r * bps, 4);
            for (int n = 0; n < 16; n++) {
                int off = Y0 + (n >> 2) * 4 * bps + (n & 3) * 4;
                Vp8Predictor.predictSubblock(yb, off, subModes[16 * mbX + n]);
                addIfNonZero(c, 16 * n, yb, off);
            }
        } else {
            Vp8Predictor.predictBlock(yb, Y0, 16, edgeMode(ymode[mbX], mbX, mbY));
            for (int n = 0; n < 16; n++) addIfNonZero(c, 16 * n, yb, Y0 + (n >> 2) * 4 * bps + (n & 3) * 4);
        }
        int uvMode = edgeMode(uvmode[mbX], mbX, mbY);
        Vp8Predictor.predictBlock(ub, UV0, 8, uvMode);
        Vp8Predictor.predictBlock(vb, UV0, 8, uvMode);
        for (int n = 0; n < 4; n++) {
            int off = UV0 + (n >> 1) * 4 * bps + (n & 1) * 4;
            addIfNonZero(c, 256 + 16 * n, ub, off);
            addIfNonZero(c, 320 + 16 * n, vb, off);
        }
        store(yb, Y0, yPlane, yStride, mbX, mbY, 16);
        store(ub, UV0, uPlane, uvStride, mbX, mbY, 8);
        store(vb, UV0, vPlane, uvStride, mbX, mbY, 8);
    }

    private static void addIfNonZero(short[] c, int at, byte[] b, int off) {
        for (int i = 0; i < 16; i++) {
            if (c[at + i] != 0) {
                Vp8Predictor.addInverseDct(c, at, b, off);
                return;
            }
        }
    }

    /** DC prediction without the frame's missing top or left edge. */
    private static int edgeMode(int mode, int mbX, int mbY) {
        if (mode != Vp8Predictor.DC) return mode;
        if (mbX == 0) return mbY == 0 ? Vp8Predictor.DC_NO_TOP_LEFT : Vp8Predictor.DC_NO_LEFT;
        return mbY == 0 ? Vp8Predictor.DC_NO_TOP : Vp8Predictor.DC;
    }

    /** The row above (127 on the frame's top), the column left (129 on its left) and their corner. */
    private static void loadEdges(byte[] b, int origin, byte[] plane, int stride, int mbX, int mbY, int size) {
        final int bps = Vp8Predictor.BPS;
        int px = size * mbX, py = size * mbY;
        for (int j = 0; j < size; j++)
            b[origin + j * bps - 1] = mbX > 0 ? plane[(py + j) * stride + px - 1] : (byte) 129;
        if (mbY > 0) {
            System.arraycopy(plane, (py - 1) * stride + px, b, origin - bps, size);
            b[origin - bps - 1] = mbX > 0 ? plane[(py - 1) * stride + px - 1] : (byte) 129;
        } else {
            Arrays.fill(b, origin - bps - 1, origin - bps + size, (byte) 127);
        }
    }

    private static void store(byte[] b, int origin, byte[] plane, int stride, int mbX, int mbY, int size) {
        for (int j = 0; j < size; j++)
            System.arraycopy(b, origin + j * Vp8Predictor.BPS, plane, (size * mbY + j) * stride + size * mbX, size);
    }

    /** The loop filter over the whole frame, macroblock by macroblock in raster order, as libwebp runs it. */
    private void loopFilter() {
        if (filterType == 0) return;
        for (int mbY = 0; mbY < mbHeight; mbY++) {
            for (int mbX = 0; mbX < mbWidth; mbX++) {
                int i = mbY * mbWidth + mbX;
                int limit = fLimit[i];
                if (limit == 0) continue;
                int interior = fInterior[i], hev = fHevThresh[i];
                boolean inner = fInner[i];
                int y0 = 16 * mbY * yStride + 16 * mbX;
                if (filterType == 1) {
                    if (mbX > 0) Vp8LoopFilter.simple(yPlane, y0, 1, yStride, 16, limit + 4);
                    if (inner)
                        for (int k = 4; k < 16; k += 4) Vp8LoopFilter.simple(yPlane, y0 + k, 1, yStride, 16, limit);
                    if (mbY > 0) Vp8LoopFilter.simple(yPlane, y0, yStride, 1, 16, limit + 4);
                    if (inner)
                        for (int k = 4; k < 16; k += 4)
                            Vp8LoopFilter.simple(yPlane, y0 + k * yStride, yStride, 1, 16, limit);
                    continue;
                }
                int uv0 = 8 * mbY * uvStride + 8 * mbX;
                if (mbX > 0) {
                    Vp8LoopFilter.normal(yPlane, y0, 1, yStride, 16, limit + 4, interior, hev, true);
                    Vp8LoopFilter.normal(uPlane, uv0, 1, uvStride, 8, limit + 4, interior, hev, true);
                    Vp8LoopFilter.normal(vPlane, uv0, 1, uvStride, 8, limit + 4, interior, hev, true);
                }
                if (inner) {
                    for (int k = 4; k < 16; k += 4)
                        Vp8LoopFilter.normal(yPlane, y0 + k, 1, yStride, 16, limit, interior, hev, false);
                    Vp8LoopFilter.normal(uPlane, uv0 + 4, 1, uvStride, 8, limit, interior, hev, false);
                    Vp8LoopFilter.normal(vPlane, uv0 + 4, 1, uvStride, 8, limit, interior, hev, false);
                }
                if (mbY > 0) {
                    Vp8LoopFilter.normal(yPlane, y0, yStride, 1, 16, limit + 4, interior, hev, true);
                    Vp8LoopFilter.normal(uPlane, uv0, uvStride, 1, 8, limit + 4, interior, hev, true);
                    Vp8LoopFilter.normal(vPlane, uv0, uvStride, 1, 8, limit + 4, interior, hev, true);
                }
                if (inner) {
                    for (int k = 4; k < 16; k += 4)
                        Vp8LoopFilter.normal(yPlane, y0 + k * yStride, yStride, 1, 16, limit, interior, hev, false);
                    Vp8LoopFilter.normal(uPlane, uv0 + 4 * uvStride, uvStride, 1, 8, limit, interior, hev, false);
                    Vp8LoopFilter.normal(vPlane, uv0 + 4 * uvStride, uvStride, 1, 8, limit, interior, hev, false);
                }
            }
        }
    }
}
