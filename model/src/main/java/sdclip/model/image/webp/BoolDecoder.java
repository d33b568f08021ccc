package sdclip.model.image.webp;

/**
 * VP8's boolean entropy decoder (RFC 6386 section 7), reading up to 56 bits ahead. Past the end of
 * its partition it reads zeros and sets {@link #eof}, as libwebp does: the first time a bit is
 * needed beyond the last byte. The frame decoder refuses the file when it sees the flag at the
 * points libwebp checks it, so a truncated partition is an error, never a guess.
 */
final class BoolDecoder {
    private final byte[] data;
    private final int end;
    private int pos;
    /** The unread bits: {@code bits + 8} of them are valid, the top 8 being the current window. */
    private long value;

    private int bits = -8;
    private int range = 255;
    boolean eof;

    BoolDecoder(byte[] data, int offset, int length) {
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
    }

    private void load() {
        if (end - pos >= 7) {
            long v = 0;
            for (int i = 0; i < 7; i++) v = v << 8 | (data[pos++] & 0xff);
            value = value << 56 | v;
            bits += 56;
        } else if (pos < end) {
            value = value << 8 | (data[pos++] & 0xff);
            bits += 8;
        } else {
            value <<= 8; // zeros past the end
            bits += 8;
            eof = true;
        }
    }

    /** One bit that is 0 with probability {@code prob / 256}. */
    int bit(int prob) {
        if (bits < 0) load();
        int split = ((range - 1) * prob >> 8) + 1;
        long bigSplit = (long) split << bits;
        int bit;
        if (value >= bigSplit) {
            range -= split;
            value -= bigSplit;
            bit = 1;
        } else {
            range = split;
            bit = 0;
        }
        int shift = Integer.numberOfLeadingZeros(range) - 24; // renormalise to 128..255
        range <<= shift;
        bits -= shift;
        return bit;
    }

    /** An unsigned {@code n}-bit literal, most significant bit first. */
    int literal(int n) {
        int v = 0;
        while (n-- > 0) v = v << 1 | bit(128);
        return v;
    }

    /** An {@code n}-bit magnitude followed by a sign bit. */
    int signedLiteral(int n) {
        int v = literal(n);
        return bit(128) == 1 ? -v : v;
    }

    /** An optional signed value: a flag, then {@link #signedLiteral} if it is set, else 0. */
    int optionalSigned(int n) {
        return bit(128) == 1 ? signedLiteral(n) : 0;
    }
}
