package sdclip.model.pickle;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Test helper: writes zip archives (stored or deflated, with or without ZIP64 fields in every header). */
final class TestZips {
    private TestZips() {}

    /** The members of {@code zip} written again, deflated and/or with ZIP64 fields. */
    static byte[] rewrite(byte[] zip, boolean deflate, boolean zip64) {
        Map<String, byte[]> members = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            ZipArchive source = ZipArchive.read(Path.of("source.zip"), MemorySegment.ofArray(zip), arena);
            for (ZipArchive.Entry e : source.entries().values())
                members.put(e.name(), source.data(e).toArray(ValueLayout.JAVA_BYTE));
        }
        return write(members, deflate, zip64);
    }

    /** A zip archive of the given members, in order. */
    static byte[] write(Map<String, byte[]> members, boolean deflate, boolean zip64) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (var m : members.entrySet()) {
            byte[] data = m.getValue();
            byte[] stored = deflate ? deflate(data) : data;
            CRC32 crc = new CRC32();
            crc.update(data);
            byte[] name = m.getKey().getBytes(StandardCharsets.UTF_8);
            long offset = out.size();
            header(
                    out,
                    0x04034b50,
                    false,
                    deflate,
                    (int) crc.getValue(),
                    stored.length,
                    data.length,
                    name,
                    zip64 ? 20 : 0,
                    0);
            if (zip64) {
                le(out, 0x0001, 2);
                le(out, 16, 2);
                le(out, data.length, 8);
                le(out, stored.length, 8);
            }
            out.writeBytes(stored);
            header(
                    central,
                    0x02014b50,
                    true,
                    deflate,
                    (int) crc.getValue(),
                    stored.length,
                    data.length,
                    name,
                    zip64 ? 28 : 0,
                    zip64 ? 0xFFFFFFFFL : offset);
            if (zip64) {
                le(central, 0x0001, 2);
                le(central, 24, 2);
                le(central, data.length, 8);
                le(central, stored.length, 8);
                le(central, offset, 8);
            }
        }
        int count = members.size();
        long cdOffset = out.size(), cdSize = central.size();
        out.writeBytes(central.toByteArray());
        if (zip64) {
            long eocd64 = out.size();
            le(out, 0x06064b50, 4);
            le(out, 44, 8);
            le(out, 45, 2);
            le(out, 45, 2);
            le(out, 0, 4);
            le(out, 0, 4);
            le(out, count, 8);
            le(out, count, 8);
            le(out, cdSize, 8);
            le(out, cdOffset, 8);
            le(out, 0x07064b50, 4);
            le(out, 0, 4);
            le(out, eocd64, 8);
            le(out, 1, 4);
        }
        le(out, 0x06054b50, 4);
        le(out, 0, 2);
        le(out, 0, 2);
        le(out, zip64 ? 0xFFFF : count, 2);
        le(out, zip64 ? 0xFFFF : count, 2);
        le(out, zip64 ? 0xFFFFFFFFL : cdSize, 4);
        le(out, zip64 ? 0xFFFFFFFFL : cdOffset, 4);
        le(out, 0, 2);
        return out.toByteArray();
    }

    /** A local (30 bytes) or central (46 bytes) header up to and including the name; the extra field follows. */
    private static void header(
            ByteArrayOutputStream out,
            int signature,
            boolean central,
            boolean deflate,
            int crc,
            long compressed,
            long size,
            byte[] name,
            int extraLength,
            long localOffset) {
        boolean zip64 = extraLength > 0;
        le(out, signature, 4);
        if (central) le(out, 45, 2);
        le(out, zip64 ? 45 : 20, 2);
        le(out, 0, 2);
        le(out, deflate ? 8 : 0, 2);
        le(out, 0, 4);
        le(out, crc & 0xFFFFFFFFL, 4);
        le(out, zip64 ? 0xFFFFFFFFL : compressed, 4);
        le(out, zip64 ? 0xFFFFFFFFL : size, 4);
        le(out, name.length, 2);
        le(out, extraLength, 2);
        if (central) {
            le(out, 0, 2);
            le(out, 0, 2);
            le(out, 0, 2);
            le(out, 0, 4);
            le(out, localOffset, 4);
        }
        out.writeBytes(name);
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(Deflater.BEST_SPEED, true);
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!d.finished()) out.write(buf, 0, d.deflate(buf));
        d.end();
        return out.toByteArray();
    }

    private static void le(ByteArrayOutputStream out, long v, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        out.write(b.array(), 0, bytes);
    }
}
