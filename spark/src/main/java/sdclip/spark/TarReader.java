package sdclip.spark;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A tar archive read front to back, one entry at a time, as webdataset shards are read: ustar
 * headers (name and prefix), pax extended headers ({@code path} and {@code size}) and GNU long
 * names. Every header is checked by its checksum. Nothing is allocated by a size the archive
 * claims before that size is checked: a pax header or long name over {@link #MAX_HEADER}, or an
 * entry asked for over the caller's limit, is refused.
 */
final class TarReader {
    private static final int BLOCK = 512;

    /** The largest pax header or GNU long name read. */
    static final int MAX_HEADER = 1 << 20;

    /** An entry: its name, data size, and type ({@code '0'} a file). */
    record Entry(String name, long size, char type) {
        boolean isFile() {
            return type == '0' || type == '\0' || type == '7';
        }
    }

    private final InputStream in;
    private final String name;
    private final byte[] header = new byte[BLOCK];
    private long offset; // of the next byte of the stream
    private long left; // data of the current entry not yet read
    private long padding; // after it, to the next block
    private Entry current;

    /**
     * @param in   the archive, read from its start
     * @param name what messages call it
     */
    TarReader(InputStream in, String name) {
        this.in = in;
        this.name = name;
    }

    /** {@return the next entry, its data not yet read; null at the archive's end} */
    Entry next() throws IOException {
        skip(left + padding);
        left = padding = 0;
        String longName = null;
        long paxSize = -1;
        while (true) {
            long at = offset;
            int n = in.readNBytes(header, 0, BLOCK);
            offset += n;
            if (n == 0 || (n == BLOCK && zero(header))) return current = null;
            if (n < BLOCK) throw new EOFException(name + ": truncated tar header at byte " + at);
            checkSum(at);
            long size = number(header, 124, 12, at);
            char type = (char) header[156];
            if (type == 'x' || type == 'L' || type == 'g' || type == 'K') {
                if (size > MAX_HEADER)
                    throw new IOException(name + ": a tar extended header of " + size + " bytes at byte " + at
                            + " (over " + MAX_HEADER + ")");
                byte[] data = readFully((int) size);
                skip(pad(size));
                if (type == 'L') longName = cString(data, 0, data.length);
                if (type == 'x') {
                    String[] pax = pax(data, at);
                    if (pax[0] != null) longName = pax[0];
                    if (pax[1] != null) paxSize = parseSize(pax[1], at);
                }
                continue;
            }
            String entryName = longName;
            if (entryName == null) {
                entryName = cString(header, 0, 100);
                String prefix = ustar() ? cString(header, 345, 155) : "";
                if (!prefix.isEmpty()) entryName = prefix + "/" + entryName;
            }
            if (paxSize >= 0) size = paxSize;
            current = new Entry(entryName, size, type);
            // Links, devices, folders and FIFOs have no data, whatever their size field says.
            left = "123456".indexOf(type) >= 0 ? 0 : size;
            padding = pad(left);
            return current;
        }
    }

    /**
     * The current entry's data.
     *
     * @param max the most bytes the caller takes
     * @throws IOException when the entry is larger than {@code max}, or the archive ends inside it
     */
    byte[] read(int max) throws IOException {
        if (current == null) throw new IllegalStateException("no entry");
        if (left > max)
            throw new IOException(
                    name + ": member " + current.name() + " is " + left + " bytes, over the limit of " + max);
        byte[] data = readFully((int) left);
        left = 0;
        return data;
    }

    private byte[] readFully(int size) throws IOException {
        byte[] b = in.readNBytes(size);
        offset += b.length;
        if (b.length < size) throw new EOFException(name + ": the tar ends inside an entry at byte " + offset);
        return b;
    }

    private void skip(long n) throws IOException {
        try {
            in.skipNBytes(n);
        } catch (EOFException e) {
            throw new EOFException(name + ": the tar ends inside an entry after byte " + offset);
        }
        offset += n;
    }

    private static long pad(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private boolean ustar() {
        return header[257] == 'u'
                && header[258] == 's'
                && header[259] == 't'
                && header[260] == 'a'
                && header[261] == 'r';
    }

    private static boolean zero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private void checkSum(long at) throws IOException {
        long stored = number(header, 148, 8, at);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : header[i] & 0xff;
        if (sum != stored)
            throw new IOException(
                    name + ": not a tar archive, or a corrupt one (bad header checksum at byte " + at + ")");
    }

    /** An octal field (NUL or space ended), or GNU's base-256 (high bit set). */
    private long number(byte[] b, int from, int length, long at) throws IOException {
        if ((b[from] & 0x80) != 0) {
            long v = b[from] & 0x7f;
            for (int i = from + 1; i < from + length; i++) {
                if (v >>> 55 != 0) throw new IOException(name + ": a tar size too large at byte " + at);
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = from;
        while (i < from + length && (b[i] == ' ' || b[i] == 0)) i++;
        for (; i < from + length && b[i] != 0 && b[i] != ' '; i++) {
            if (b[i] < '0' || b[i] > '7' || v >>> 60 != 0)
                throw new IOException(
                        name + ": not a tar archive, or a corrupt one (bad number in the header at byte " + at + ")");
            v = v * 8 + (b[i] - '0');
        }
        return v;
    }

    private long parseSize(String s, long at) throws IOException {
        try {
            long v = Long.parseLong(s);
            if (v >= 0) return v;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IOException(name + ": a bad pax size '" + s + "' at byte " + at);
    }

    /** A pax header's path and size ("LEN key=value\n" records), null where absent. */
    private String[] pax(byte[] data, long at) throws IOException {
        String[] out = new String[2];
        int i = 0;
        while (i < data.length && data[i] != 0) {
            int space = i;
            int len = 0;
            while (space < data.length && data[space] != ' ') {
                if (data[space] < '0' || data[space] > '9' || len > MAX_HEADER)
                    throw new IOException(name + ": a bad pax header at byte " + at);
                len = len * 10 + (data[space] - '0');
                space++;
            }
            if (len <= space - i || i + len > data.length || data[i + len - 1] != '\n')
                throw new IOException(name + ": a bad pax header at byte " + at);
            String record = new String(data, space + 1, i + len - 1 - (space + 1), StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                String key = record.substring(0, eq), value = record.substring(eq + 1);
                if (key.equals("path")) out[0] = value;
                if (key.equals("size")) out[1] = value;
            }
            i += len;
        }
        return out;
    }

    private static String cString(byte[] b, int from, int length) {
        int end = from;
        while (end < from + length && b[end] != 0) end++;
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }
}
