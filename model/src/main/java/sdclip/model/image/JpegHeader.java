package sdclip.model.image;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * What a JPEG file's own markers say, read from its bytes (not from the JDK's metadata tree,
 * which refuses valid files: an APP13 before the JFIF APP0, 16-bit quantisation tables): the
 * frame (SOF), the JFIF and Adobe markers that decide the colour space as libjpeg does, the
 * Exif orientation, and whether the file reaches its EOI marker. The whole file is walked,
 * entropy-coded data included, in one pass and constant memory.
 *
 * @param sof            the SOF marker's second byte (0xc0 baseline, 0xc2 progressive, ...)
 * @param precision      bits per sample
 * @param width          samples per line
 * @param height         lines
 * @param ids            each component's identifier, in frame order
 * @param h              each component's horizontal sampling factor
 * @param v              each component's vertical sampling factor
 * @param jfif           an APP0 JFIF marker came before the first scan
 * @param adobeTransform the transform flag of the last APP14 Adobe marker before the first scan, or -1
 * @param orientation    the Exif orientation (1 to 8) of the first APP1 Exif segment, or 0
 * @param complete       the EOI marker was reached
 */
record JpegHeader(
        int sof,
        int precision,
        int width,
        int height,
        int[] ids,
        int[] h,
        int[] v,
        boolean jfif,
        int adobeTransform,
        int orientation,
        boolean complete) {

    /** Thrown for a file whose marker structure is broken (not just cut short). */
    static final class Malformed extends IOException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    int components() {
        return ids.length;
    }

    int maxH() {
        int m = 1;
        for (int f : h) m = Math.max(m, f);
        return m;
    }

    int maxV() {
        int m = 1;
        for (int f : v) m = Math.max(m, f);
        return m;
    }

    /** Arithmetic-coded frames (SOF9 to SOF15), which the JDK's libjpeg 6b cannot decode. */
    boolean arithmetic() {
        return sof >= 0xc9;
    }

    /**
     * Walks a JPEG from its SOI marker to its EOI marker.
     *
     * @param in the file's bytes from the start; read to the EOI marker or the end (buffer it)
     * @return the header; {@code complete} is false when the bytes end before EOI (and then only that is
     *     meaningful: the frame may not have been reached)
     * @throws Malformed   when there is no SOF before the first scan, or a segment is inconsistent
     * @throws IOException when reading fails
     */
    static JpegHeader read(InputStream stream) throws IOException {
        Cursor in = new Cursor(stream);
        if (in.read() != 0xff || in.read() != 0xd8) throw new Malformed("no SOI marker");
        Builder b = new Builder();
        boolean scanned = false;
        try {
            int marker = nextMarker(in, false);
            while (true) {
                if (marker == 0xd9) return b.build(true);
                if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { // no length: TEM, RSTn, a stray SOI
                    marker = nextMarker(in, scanned);
                    continue;
                }
                int length = u16(in) - 2;
                if (length < 0) throw new Malformed("a marker segment with a length under 2");
                if (!scanned) b.segment(marker, in, length);
                else skip(in, length);
                if (marker == 0xda) {
                    if (b.sof < 0) throw new Malformed("a scan before any SOF marker");
                    scanned = true;
                }
                marker = nextMarker(in, scanned);
            }
        } catch (EOFException e) {
            return b.build(false); // cut short, possibly before its SOF (then the frame fields are unset)
        }
    }

    /**
     * The next marker code: bytes before it are skipped (entropy-coded data, or junk, which libjpeg
     * skips with a warning and Pillow accepts); inside a scan, stuffed zeros and restart markers too.
     */
    private static int nextMarker(Cursor in, boolean entropyCoded) throws IOException {
        while (true) {
            int c = read(in);
            if (c != 0xff) continue;
            do c = read(in);
            while (c == 0xff); // fill bytes
            if (c == 0) continue; // a stuffed 0xff data byte
            if (entropyCoded && c >= 0xd0 && c <= 0xd7) continue; // restart markers sit inside a scan
            return c;
        }
    }

    private static final class Builder {
        int sof = -1, precision, width, height, adobe = -1, orientation;
        int[] ids, h, v;
        boolean jfif, exifSeen;

        void segment(int marker, Cursor in, int length) throws IOException {
            boolean frame = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
            if (frame) {
                frame(marker, in, length);
            } else if (marker == 0xe0 || marker == 0xee || marker == 0xe1 && !exifSeen) {
                // Enough to tell JFIF and Adobe (libjpeg's examine_app0/14) and a bounded Exif IFD0.
                byte[] head = in.readNBytes(Math.min(length, marker == 0xe1 ? 65535 : 16));
                if (head.length < Math.min(length, marker == 0xe1 ? 65535 : 16)) throw new EOFException();
                skip(in, length - head.length);
                if (marker == 0xe0 && length >= 14 && startsWith(head, "JFIF\0")) jfif = true;
                if (marker == 0xee && length >= 12 && startsWith(head, "Adobe")) adobe = head[11] & 0xff;
                if (marker == 0xe1 && startsWith(head, "Exif\0")) {
                    exifSeen = true;
                    orientation = ExifOrientation.parse(head, 6);
                }
            } else {
                skip(in, length);
            }
        }

        void frame(int marker, Cursor in, int length) throws IOException {
            if (sof >= 0) throw new Malformed("two SOF markers");
            if (length < 6) throw new Malformed("a SOF segment of " + length + " bytes");
            precision = read(in);
            height = u16(in);
            width = u16(in);
            int n = read(in);
            if (n == 0 || length != 6 + 3 * n)
                throw new Malformed("a SOF segment of " + length + " bytes for " + n + " components");
            ids = new int[n];
            h = new int[n];
            v = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = read(in);
                int f = read(in);
                h[i] = f >> 4;
                v[i] = f & 15;
                if (h[i] < 1 || h[i] > 4 || v[i] < 1 || v[i] > 4)
                    throw new Malformed("a sampling factor of " + h[i] + "x" + v[i]);
                read(in); // quantisation table
            }
            sof = marker;
        }

        JpegHeader build(boolean complete) {
            return new JpegHeader(sof, precision, width, height, ids, h, v, jfif, adobe, orientation, complete);
        }
    }

    private static boolean startsWith(byte[] data, String ascii) {
        if (data.length < ascii.length()) return false;
        for (int i = 0; i < ascii.length(); i++) if (data[i] != ascii.charAt(i)) return false;
        return true;
    }

    private static int read(Cursor in) throws IOException {
        int c = in.read();
        if (c < 0) throw new EOFException();
        return c;
    }

    private static int u16(Cursor in) throws IOException {
        return read(in) << 8 | read(in);
    }

    private static void skip(Cursor in, int n) throws IOException {
        for (int i = 0; i < n; i++) read(in);
    }

    /** An unsynchronised buffer over the stream: the entropy-coded data is walked a byte at a time. */
    private static final class Cursor {
        private final InputStream in;
        private final byte[] buffer = new byte[8192];
        private int at, end;

        Cursor(InputStream in) {
            this.in = in;
        }

        int read() throws IOException {
            if (at == end) {
                end = in.read(buffer);
                at = 0;
                if (end <= 0) {
                    end = 0;
                    return -1;
                }
            }
            return buffer[at++] & 0xff;
        }

        byte[] readNBytes(int n) throws IOException {
            byte[] out = new byte[n];
            for (int i = 0; i < n; i++) {
                int c = read();
                if (c < 0) return java.util.Arrays.copyOf(out, i);
                out[i] = (byte) c;
            }
            return out;
        }
    }
}
