package sdclip.model.pickle;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A strict reader of the zip archives {@code torch.save} writes, over a file already mapped:
 * the end record (ZIP64 where present), the central directory and every local header, each
 * offset and length checked against the file before use. Stored entries are slices of the
 * mapping; deflated ones are inflated once into the caller's arena.
 */
final class ZipArchive {
    /** One member: where its bytes lie in the file and how they are stored. */
    record Entry(String name, int method, long compressedSize, long size, long dataOffset, int crc) {}

    static final int STORED = 0, DEFLATED = 8;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int EOCD = 0x06054b50,
            EOCD64 = 0x06064b50,
            LOCATOR64 = 0x07064b50,
            CENTRAL = 0x02014b50,
            LOCAL = 0x04034b50;
    /** Deflate cannot expand beyond about 1032:1; a larger claimed size is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1100;

    private final Path path;
    private final MemorySegment file;
    private final Arena arena;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private ZipArchive(Path path, MemorySegment file, Arena arena) {
        this.path = path;
        this.file = file;
        this.arena = arena;
    }

    /** True when the bytes start with a zip local file header. */
    static boolean looksLikeZip(MemorySegment file) {
        return file.byteSize() >= 4 && file.get(U32, 0) == LOCAL;
    }

    /** Reads the directory of {@code file} (the whole mapped file); inflated entries go into {@code arena}. */
    static ZipArchive read(Path path, MemorySegment file, Arena arena) {
        ZipArchive z = new ZipArchive(path, file, arena);
        z.readDirectory();
        return z;
    }

    /** Members by name, in directory order. */
    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    Entry entry(String name) {
        return entries.get(name);
    }

    /** The uncompressed bytes of an entry: a slice of the mapping when stored, else inflated once. */
    MemorySegment data(Entry e) {
        if (e.method() == STORED) return file.asSlice(e.dataOffset(), e.size());
        return inflate(e);
    }

    private void readDirectory() {
        long size = file.byteSize();
        long eocd = findEndRecord(size);
        long count = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16), cdLimit = eocd;
        if (u16(eocd + 4) != 0 && u16(eocd + 4) != 0xFFFF) throw fail("is a multi-part zip archive");
        if (eocd >= 20 && file.get(U32, eocd - 20) == LOCATOR64) {
            long at = u64(eocd - 20 + 8);
            if (at < 0 || at + 56 > eocd - 20 || file.get(U32, at) != EOCD64)
                throw fail("has a broken ZIP64 end record (truncated or not a torch file?)");
            count = u64(at + 32);
            cdSize = u64(at + 40);
            cdOffset = u64(at + 48);
            cdLimit = at;
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > cdLimit || cdSize > cdLimit - cdOffset) {
            throw fail("has a central directory at " + cdOffset + " (+" + cdSize
                    + " bytes) outside the file (truncated?)");
        }
        if (count < 0 || count > cdSize / 46)
            throw fail("claims " + count + " zip entries in a " + cdSize + "-byte directory");
        long p = cdOffset, end = cdOffset + cdSize;
        for (long i = 0; i < count; i++) {
            p = readCentral(p, end, cdOffset);
        }
    }

    /** The end-of-central-directory record: the last one whose comment reaches exactly the end of the file. */
    private long findEndRecord(long size) {
        for (long p = size - 22; p >= 0 && p >= size - 22 - 0xFFFF; p--) {
            if (file.get(U32, p) == EOCD && p + 22 + u16(p + 20) == size) return p;
        }
        throw fail("is not a complete zip archive (no end of central directory record; truncated?)");
    }

    /** Reads the central entry at {@code p} and its local header; returns where the next entry starts. */
    private long readCentral(long p, long end, long cdOffset) {
        if (p + 46 > end || file.get(U32, p) != CENTRAL)
            throw fail("has a broken central directory entry at offset " + p);
        int flags = u16(p + 8), method = u16(p + 10), crc = file.get(U32, p + 16);
        long compressed = u32(p + 20), size = u32(p + 24), local = u32(p + 42);
        int nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32);
        long next = p + 46 + nameLength + extraLength + commentLength;
        if (next > end) throw fail("has a central directory entry at offset " + p + " running past the directory");
        String name =
                new String(file.asSlice(p + 46, nameLength).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        // ZIP64: the 32-bit fields that overflowed are in extra field 0x0001, in this order
        long q = p + 46 + nameLength, extraEnd = q + extraLength;
        while (q + 4 <= extraEnd) {
            int id = u16(q), length = u16(q + 2);
            long r = q + 4;
            q = r + length;
            if (q > extraEnd) throw fail("zip entry " + Globals.printable(name) + " has a broken extra field");
            if (id != 1) continue;
            if (size == 0xFFFFFFFFL) {
                size = zip64(r, q, name);
                r += 8;
            }
            if (compressed == 0xFFFFFFFFL) {
                compressed = zip64(r, q, name);
                r += 8;
            }
            if (local == 0xFFFFFFFFL) {
                local = zip64(r, q, name);
            }
        }
        if ((flags & 1) != 0) throw fail("zip entry " + Globals.printable(name) + " is encrypted");
        if (method != STORED && method != DEFLATED)
            throw fail("zip entry " + Globals.printable(name) + " uses compression method " + method
                    + " (only stored and deflated are read)");
        if (method == STORED && compressed != size)
            throw fail("zip entry " + Globals.printable(name) + " is stored but its sizes differ (" + compressed
                    + " and " + size + ")");
        if (entries.containsKey(name)) throw fail("has two zip entries named " + Globals.printable(name));
        entries.put(
                name,
                new Entry(
                        name,
                        method,
                        compressed,
                        size,
                        dataOffset(local, name, compressed, cdOffset, p + 46, nameLength),
                        crc));
        return next;
    }

    private long zip64(long at, long limit, String name) {
        if (at + 8 > limit) throw fail("zip entry " + Globals.printable(name) + " has a short ZIP64 extra field");
        long v = u64(at);
        if (v < 0) throw fail("zip entry " + Globals.printable(name) + " has a ZIP64 size or offset beyond 2^63");
        return v;
    }

    /** Checks the local header against the central entry; returns where the entry's bytes start. */
    private long dataOffset(long local, String name, long compressed, long cdOffset, long centralName, int nameLength) {
        if (local > cdOffset - 30 || file.get(U32, local) != LOCAL)
            throw fail("zip entry " + Globals.printable(name) + " has no local header at offset " + local
                    + " (truncated?)");
        int localName = u16(local + 26), localExtra = u16(local + 28);
        long data = local + 30 + localName + localExtra;
        if (localName != nameLength
                || MemorySegment.mismatch(
                                file, local + 30, local + 30 + localName, file, centralName, centralName + nameLength)
                        != -1) {
            throw fail("zip entry " + Globals.printable(name) + " has a local header naming another entry");
        }
        if (data > cdOffset || compressed > cdOffset - data)
            throw fail("zip entry " + Globals.printable(name)
                    + " runs past the start of the central directory (truncated?)");
        return data;
    }

    private MemorySegment inflate(Entry e) {
        if (e.size() > Integer.MAX_VALUE - 8 || e.compressedSize() > Integer.MAX_VALUE - 8)
            throw fail("deflated zip entry " + Globals.printable(e.name()) + " is over 2 GiB");
        if (e.size() > e.compressedSize() * MAX_DEFLATE_RATIO + 1024) {
            throw fail("deflated zip entry " + Globals.printable(e.name()) + " claims " + e.size() + " bytes from "
                    + e.compressedSize() + " (more than deflate can expand)");
        }
        MemorySegment out = arena.allocate(Math.max(1, e.size())).asSlice(0, e.size());
        ByteBuffer target = out.asByteBuffer();
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(file.asSlice(e.dataOffset(), e.compressedSize()).asByteBuffer());
            while (!inflater.finished() && target.hasRemaining()) {
                if (inflater.inflate(target) == 0 && (inflater.needsInput() || inflater.needsDictionary())) break;
            }
            if (target.hasRemaining() || !inflater.finished())
                throw fail("deflated zip entry " + Globals.printable(e.name()) + " does not inflate to its " + e.size()
                        + " bytes");
        } catch (DataFormatException ex) {
            throw fail("deflated zip entry " + Globals.printable(e.name()) + " is corrupt (" + ex.getMessage() + ")");
        } finally {
            inflater.end();
        }
        CRC32 crc = new CRC32();
        crc.update(out.asByteBuffer());
        if ((int) crc.getValue() != e.crc())
            throw fail("zip entry " + Globals.printable(e.name()) + " fails its CRC check");
        return out;
    }

    private int u16(long at) {
        return Short.toUnsignedInt(file.get(U16, at));
    }

    private long u32(long at) {
        return Integer.toUnsignedLong(file.get(U32, at));
    }

    private long u64(long at) {
        return file.get(U64, at);
    }

    private PickleException fail(String message) {
        return new PickleException(path, message);
    }
}
