package sdclip.model.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Writes PNG bytes by hand (any IHDR, correct CRCs), for modes ImageIO's writer will not produce. */
final class RawPng {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private RawPng() {
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    }

    /** Signature and IHDR. */
    static RawPng header(int width, int height, int bitDepth, int colorType) {
        RawPng p = new RawPng();
        p.chunk(
                "IHDR",
                ByteBuffer.allocate(13)
                        .putInt(width)
                        .putInt(height)
                        .put((byte) bitDepth)
                        .put((byte) colorType)
                        .put(new byte[3])
                        .array());
        return p;
    }

    RawPng chunk(String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return this;
    }

    /** IDAT from unfiltered rows (a 0 filter byte is put before each), then IEND. */
    byte[] rows(byte[][] rows) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        for (byte[] r : rows) {
            raw.write(0);
            raw.writeBytes(r);
        }
        Deflater d = new Deflater();
        d.setInput(raw.toByteArray());
        d.finish();
        byte[] buf = new byte[raw.size() + 64];
        int n = d.deflate(buf);
        d.end();
        chunk("IDAT", Arrays.copyOf(buf, n));
        return end();
    }

    byte[] end() {
        chunk("IEND", new byte[0]);
        return out.toByteArray();
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }
}
