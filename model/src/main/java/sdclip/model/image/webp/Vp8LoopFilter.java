package sdclip.model.image.webp;

/**
 * VP8's in-loop deblocking filters (RFC 6386 section 15), simple and normal, on a plane of
 * unsigned bytes. {@code step} crosses the edge (1 for a vertical edge, the stride for a
 * horizontal one) and {@code along} walks it. Integer arithmetic as in libwebp's C filters.
 */
final class Vp8LoopFilter {
    private Vp8LoopFilter() {}

    private static int u(byte[] p, int i) {
        return p[i] & 0xff;
    }

    private static int clip255(int v) {
        return v < 0 ? 0 : v > 255 ? 255 : v;
    }

    private static int clipSigned(int v, int lo, int hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    /** The filter that changes one pixel each side: the simple filter, and high edge variance. */
    private static void filter2(byte[] p, int i, int step) {
        int p1 = u(p, i - 2 * step), p0 = u(p, i - step), q0 = u(p, i), q1 = u(p, i + step);
        int a = 3 * (q0 - p0) + clipSigned(p1 - q1, -128, 127);
        int a1 = clipSigned((a + 4) >> 3, -16, 15), a2 = clipSigned((a + 3) >> 3, -16, 15);
        p[i - step] = (byte) clip255(p0 + a2);
        p[i] = (byte) clip255(q0 - a1);
    }

    /** The sub-block edge filter: two pixels each side. */
    private static void filter4(byte[] p, int i, int step) {
        int p1 = u(p, i - 2 * step), p0 = u(p, i - step), q0 = u(p, i), q1 = u(p, i + step);
        int a = 3 * (q0 - p0);
        int a1 = clipSigned((a + 4) >> 3, -16, 15), a2 = clipSigned((a + 3) >> 3, -16, 15);
        int a3 = (a1 + 1) >> 1;
        p[i - 2 * step] = (byte) clip255(p1 + a3);
        p[i - step] = (byte) clip255(p0 + a2);
        p[i] = (byte) clip255(q0 - a1);
        p[i + step] = (byte) clip255(q1 - a3);
    }

    /** The macroblock edge filter: three pixels each side. */
    private static void filter6(byte[] p, int i, int step) {
        int p2 = u(p, i - 3 * step), p1 = u(p, i - 2 * step), p0 = u(p, i - step);
        int q0 = u(p, i), q1 = u(p, i + step), q2 = u(p, i + 2 * step);
        int a = clipSigned(3 * (q0 - p0) + clipSigned(p1 - q1, -128, 127), -128, 127);
        int a1 = (27 * a + 63) >> 7, a2 = (18 * a + 63) >> 7, a3 = (9 * a + 63) >> 7;
        p[i - 3 * step] = (byte) clip255(p2 + a3);
        p[i - 2 * step] = (byte) clip255(p1 + a2);
        p[i - step] = (byte) clip255(p0 + a1);
        p[i] = (byte) clip255(q0 - a1);
        p[i + step] = (byte) clip255(q1 - a2);
        p[i + 2 * step] = (byte) clip255(q2 - a3);
    }

    private static boolean highEdgeVariance(byte[] p, int i, int step, int thresh) {
        return Math.abs(u(p, i - 2 * step) - u(p, i - step)) > thresh || Math.abs(u(p, i + step) - u(p, i)) > thresh;
    }

    /** The edge test of both filters: {@code thresh2} is {@code 2 * limit + 1}. */
    private static boolean needsFilter(byte[] p, int i, int step, int thresh2) {
        int p1 = u(p, i - 2 * step), p0 = u(p, i - step), q0 = u(p, i), q1 = u(p, i + step);
        return 4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) <= thresh2;
    }

    private static boolean needsFilterNormal(byte[] p, int i, int step, int thresh2, int interior) {
        if (!needsFilter(p, i, step, thresh2)) return false;
        int p3 = u(p, i - 4 * step), p2 = u(p, i - 3 * step), p1 = u(p, i - 2 * step), p0 = u(p, i - step);
        int q0 = u(p, i), q1 = u(p, i + step), q2 = u(p, i + 2 * step), q3 = u(p, i + 3 * step);
        return Math.abs(p3 - p2) <= interior
                && Math.abs(p2 - p1) <= interior
                && Math.abs(p1 - p0) <= interior
                && Math.abs(q3 - q2) <= interior
                && Math.abs(q2 - q1) <= interior
                && Math.abs(q1 - q0) <= interior;
    }

    /** The simple filter along {@code length} pixels of one edge. */
    static void simple(byte[] p, int i, int step, int along, int length, int limit) {
        int thresh2 = 2 * limit + 1;
        for (int n = 0; n < length; n++, i += along) if (needsFilter(p, i, step, thresh2)) filter2(p, i, step);
    }

    /** The normal filter along one edge: {@code macroblockEdge} picks the 6-tap filter over the 4-tap one. */
    static void normal(
            byte[] p,
            int i,
            int step,
            int along,
            int length,
            int limit,
            int interior,
            int hevThresh,
            boolean macroblockEdge) {
        int thresh2 = 2 * limit + 1;
        for (int n = 0; n < length; n++, i += along) {
            if (!needsFilterNormal(p, i, step, thresh2, interior)) continue;
            if (highEdgeVariance(p, i, step, hevThresh)) filter2(p, i, step);
            else if (macroblockEdge) filter6(p, i, step);
            else filter4(p, i, step);
        }
    }
}
