package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link TarReader} on archives written by commons-compress (ustar, pax and GNU long names) and
 * on broken ones: a bad checksum, a truncated member, and a header claiming a huge member, which
 * is refused by its size before anything of that size is allocated.
 */
class TarReaderTest {
    static byte[] tar(int longFileMode, String... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(longFileMode);
            for (int i = 0; i < namesAndContents.length; i += 2) {
                byte[] data = namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(namesAndContents[i]);
                e.setSize(data.length);
                tar.putArchiveEntry(e);
                tar.write(data);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static List<String> read(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar), "t.tar");
        List<String> out = new java.util.ArrayList<>();
        for (TarReader.Entry e = r.next(); e != null; e = r.next())
            out.add(e.name() + "=" + new String(r.read(1000), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void readsUstarPaxAndGnuLongNames() throws IOException {
        String longName = "dir/" + "x".repeat(150) + "/000001.txt";
        assertEquals(
                List.of("000000.txt=a cat", "000000.jpg=JPEG", longName + "=long"),
                read(tar(
                        TarArchiveOutputStream.LONGFILE_POSIX,
                        "000000.txt",
                        "a cat",
                        "000000.jpg",
                        "JPEG",
                        longName,
                        "long")));
        assertEquals(
                List.of(longName + "=long", "b.txt="),
                read(tar(TarArchiveOutputStream.LONGFILE_GNU, longName, "long", "b.txt", "")));
    }

    @Test
    void skipsUnreadDataAndRefusesAMemberOverTheLimit() throws IOException {
        byte[] t = tar(TarArchiveOutputStream.LONGFILE_POSIX, "a.jpg", "x".repeat(700), "a.txt", "caption");
        TarReader r = new TarReader(new ByteArrayInputStream(t), "t.tar");
        assertEquals("a.jpg", r.next().name());
        IOException e = assertThrows(IOException.class, () -> r.read(100));
        assertEquals("t.tar: member a.jpg is 700 bytes, over the limit of 100", e.getMessage());
        assertEquals("a.txt", r.next().name());
        assertArrayEquals("caption".getBytes(StandardCharsets.UTF_8), r.read(100));
        assertNull(r.next());
    }

    @Test
    void refusesBrokenArchives() throws IOException {
        byte[] good = tar(TarArchiveOutputStream.LONGFILE_POSIX, "a.txt", "hello", "b.txt", "world");

        byte[] badSum = good.clone();
        badSum[512 + 512 + 3] ^= 1; // the second header's name
        TarReader r = new TarReader(new ByteArrayInputStream(badSum), "t.tar");
        r.next();
        IOException e = assertThrows(IOException.class, r::next);
        assertEquals("t.tar: not a tar archive, or a corrupt one (bad header checksum at byte 1024)", e.getMessage());

        byte[] cut = Arrays.copyOf(good, 512 + 3);
        TarReader c = new TarReader(new ByteArrayInputStream(cut), "t.tar");
        c.next();
        assertTrue(assertThrows(IOException.class, () -> c.read(100))
                .getMessage()
                .startsWith("t.tar: the tar ends inside"));

        // A header that claims a member of 2^40 bytes (GNU base-256): refused by its size, nothing allocated.
        byte[] huge = good.clone();
        Arrays.fill(huge, 124, 136, (byte) 0);
        huge[124] = (byte) 0x80;
        huge[130] = 1; // 1 << 40, big-endian in bytes 125 to 135
        int sum = 0;
        Arrays.fill(huge, 148, 156, (byte) ' ');
        for (int i = 0; i < 512; i++) sum += huge[i] & 0xff;
        byte[] octal = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(octal, 0, huge, 148, 8);
        TarReader h = new TarReader(new ByteArrayInputStream(huge), "t.tar");
        assertEquals(1L << 40, h.next().size());
        assertEquals(
                "t.tar: member a.txt is 1099511627776 bytes, over the limit of " + PartSamples.MAX_IMAGE_BYTES,
                assertThrows(IOException.class, () -> h.read(PartSamples.MAX_IMAGE_BYTES))
                        .getMessage());
        assertTrue(assertThrows(IOException.class, h::next).getMessage().startsWith("t.tar: the tar ends inside"));
    }
}
