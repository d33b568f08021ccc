package sdclip.model.image.webp;

/**
 * The least-significant-bit-first reader of the VP8L bitstream (RFC 9649 section 3). Past the end
 * it reads zeros; {@link #pastEnd} tells when more bits were consumed than the data holds, which
 * libwebp treats as a truncated stream.
 */
final class LosslessBitReader {
    private final byte[] data;
    private final int end;
    private final long totalBits;
    private int pos;
    private long buffer;
    private int count;
    private long consumed;

    LosslessBitReader(byte[] data, int offset, int length) {
        this.data = data;
        this.pos = offset;
        this.end = offset + length;
        this.totalBits = 8L * length;
    }

    private void fill() {
        while (count <= 56) {
            long b = pos < end ? data[pos++] & 0xff : 0;
            buffer |= b << count;
            count += 8;
        }
    }

    /** The next {@code n} bits (0 to 32) without consuming them. */
    int peek(int n) {
        if (count < n) fill();
        return (int) (buffer & ((1L << n) - 1));
    }

    void skip(int n) {
        if (count < n) fill();
        buffer >>>= n;
        count -= n;
        consumed += n;
    }

    /** Reads {@code n} bits (0 to 32) as an unsigned number. */
    int read(int n) {
        int v = peek(n);
        skip(n);
        return v;
    }

    boolean pastEnd() {
        return consumed > totalBits;
    }
}
