package sdclip.model.image.webp;

/**
 * A canonical prefix (Huffman) code of VP8L, built from code lengths: codes of up to 8 bits are
 * read through a table, longer ones bit by bit. Like libwebp, it accepts only complete codes, or
 * a code of one symbol (which reads no bits); anything else is a corrupt stream.
 */
final class PrefixCode {
    private static final int MAX_LENGTH = 15, ROOT_BITS = 8;

    private final int rootBits;
    /** Indexed by the next {@code rootBits} bits: {@code length << 12 | symbol}, or 0 for a longer code. */
    private final char[] root;

    private final int[] countPerLength;
    private final int[] sorted;
    private final int single;

    private PrefixCode(int rootBits, char[] root, int[] countPerLength, int[] sorted, int single) {
        this.rootBits = rootBits;
        this.root = root;
        this.countPerLength = countPerLength;
        this.sorted = sorted;
        this.single = single;
    }

    /**
     * Builds the code of the first {@code size} code lengths.
     *
     * @throws WebpException when no symbol has a length, or the lengths do not make a complete code
     */
    static PrefixCode of(int[] lengths, int size) throws WebpException {
        int[] count = new int[MAX_LENGTH + 1];
        int symbols = 0, last = -1, maxLength = 0;
        for (int s = 0; s < size; s++) {
            int len = lengths[s];
            if (len > MAX_LENGTH) throw new WebpException("its lossless data has a code length over 15");
            if (len > 0) {
                count[len]++;
                symbols++;
                last = s;
                maxLength = Math.max(maxLength, len);
            }
        }
        if (symbols == 0) throw new WebpException("its lossless data has an empty prefix code");
        if (symbols == 1) return new PrefixCode(0, null, null, null, last);
        long kraft = 0; // sum of 2^(15 - len): a complete code sums to 2^15
        for (int len = 1; len <= MAX_LENGTH; len++) kraft += (long) count[len] << (MAX_LENGTH - len);
        if (kraft != 1L << MAX_LENGTH) throw new WebpException("its lossless data has an invalid prefix code");
        int[] offset = new int[MAX_LENGTH + 2];
        for (int len = 1; len <= MAX_LENGTH; len++) offset[len + 1] = offset[len] + count[len];
        int[] sorted = new int[symbols];
        int[] next = offset.clone();
        for (int s = 0; s < size; s++) if (lengths[s] > 0) sorted[next[lengths[s]]++] = s;
        int rootBits = Math.min(maxLength, ROOT_BITS);
        char[] root = new char[1 << rootBits];
        int code = 0, i = 0;
        for (int len = 1; len <= rootBits; len++) {
            for (int n = 0; n < count[len]; n++, i++, code++) {
                int reversed = Integer.reverse(code) >>> (32 - len); // the stream sends the first bit lowest
                for (int r = reversed; r < root.length; r += 1 << len) root[r] = (char) (len << 12 | sorted[i]);
            }
            code <<= 1;
        }
        return new PrefixCode(rootBits, root, count, sorted, -1);
    }

    /** The symbol the next bits spell. */
    int read(LosslessBitReader br) {
        if (single >= 0) return single;
        int entry = root[br.peek(rootBits)];
        if (entry != 0) {
            br.skip(entry >>> 12);
            return entry & 0xfff;
        }
        // Canonical decoding, one bit at a time (codes longer than the table).
        int code = 0, first = 0, index = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            code |= br.read(1);
            int c = countPerLength[len];
            if (code - first < c) return sorted[index + code - first];
            index += c;
            first = (first + c) << 1;
            code <<= 1;
        }
        throw new IllegalStateException("a complete code always ends"); // unreachable for a complete code
    }

    /** Whether the code has a single symbol (and so reads no bits). */
    boolean isSingle() {
        return single >= 0;
    }
}
