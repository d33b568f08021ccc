package sdclip.model.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Test helper: writes pickles byte by byte as CPython's pickler does at a given protocol (2 to 5):
 * PROTO, then from protocol 4 one FRAME around the rest, strings as BINUNICODE (SHORT_BINUNICODE
 * from 4), globals as GLOBAL (STACK_GLOBAL from 4), and a memo entry (BINPUT or MEMOIZE) after each
 * container and global, as the pickler writes them. Also writes legacy (pre-1.6) torch files.
 */
final class TestPickles {
    final int protocol;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int memo;

    TestPickles(int protocol) {
        this.protocol = protocol;
    }

    TestPickles op(int... bytes) {
        for (int b : bytes) body.write(b);
        return this;
    }

    TestPickles memoize() {
        if (protocol >= 4) return op(0x94);
        if (memo < 256) return op('q', memo++);
        op('r');
        le(memo++, 4);
        return this;
    }

    /** The memo index the last {@link #memoize} stored (protocols 2 and 3, which number them). */
    int lastMemo() {
        return memo - 1;
    }

    /** Pushes memo entry {@code i} (BINGET or LONG_BINGET). */
    TestPickles get(int i) {
        if (i < 256) return op('h', i);
        op('j');
        le(i, 4);
        return this;
    }

    TestPickles str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (protocol >= 4 && b.length < 256) op(0x8c, b.length);
        else {
            op('X');
            le(b.length, 4);
        }
        body.writeBytes(b);
        return memoize();
    }

    TestPickles integer(long v) {
        if (v >= 0 && v < 256) return op('K', (int) v);
        if (v >= 0 && v < 65536) return op('M', (int) (v & 0xff), (int) (v >> 8));
        op('J');
        le(v, 4);
        return this;
    }

    TestPickles global(String module, String name) {
        if (protocol >= 4) {
            str(module).str(name).op(0x93);
        } else {
            op('c');
            body.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return memoize();
    }

    /** Pushes {@code (a, b, ...)} of small ints. */
    TestPickles ints(long... values) {
        op('(');
        for (long v : values) integer(v);
        return op('t').memoize();
    }

    void le(long v, int n) {
        for (int i = 0; i < n; i++) body.write((int) (v >>> (8 * i)));
    }

    /** The finished pickle: PROTO, the FRAME a protocol 4+ pickler writes, the body and STOP. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x80);
        out.write(protocol);
        byte[] b = body.toByteArray();
        int n = b.length + 1;
        if (protocol >= 4 && n >= 4) {
            out.write(0x95);
            for (int i = 0; i < 8; i++) out.write((int) ((long) n >>> (8 * i)));
        }
        out.writeBytes(b);
        out.write('.');
        return out.toByteArray();
    }

    /**
     * A legacy torch file as {@code torch.save(..., _use_new_zipfile_serialization=False, pickle_protocol=p)}
     * writes it: the magic number, the protocol version 1001, sys info, {@code main}, the list of
     * storage keys, then each storage as an int64 element count and its bytes.
     */
    static byte[] legacy(int protocol, TestPickles main, String[] keys, byte[][] storages, int elementBytes) {
        long[] counts = new long[storages.length];
        for (int i = 0; i < counts.length; i++) counts[i] = storages[i].length / elementBytes;
        return legacy(protocol, main, keys, storages, counts);
    }

    /** The same, each storage written after the element count {@code counts[i]} (which a broken file may get wrong). */
    static byte[] legacy(int protocol, TestPickles main, String[] keys, byte[][] storages, long[] counts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TestPickles magic =
                new TestPickles(protocol).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19);
        out.writeBytes(magic.bytes());
        out.writeBytes(new TestPickles(protocol).integer(1001).bytes());
        TestPickles sys = new TestPickles(protocol).op('}').memoize().op('(');
        sys.str("protocol_version").integer(1001).str("little_endian").op(0x88);
        sys.str("type_sizes")
                .op('}')
                .memoize()
                .op('(')
                .str("short")
                .integer(2)
                .str("int")
                .integer(4);
        sys.str("long").integer(4).op('u').op('u');
        out.writeBytes(sys.bytes());
        out.writeBytes(main.bytes());
        TestPickles list = new TestPickles(protocol).op(']').memoize().op('(');
        for (String k : keys) list.str(k);
        out.writeBytes(list.op('e').bytes());
        for (int k = 0; k < storages.length; k++) {
            for (int i = 0; i < 8; i++) out.write((int) (counts[k] >>> (8 * i)));
            out.writeBytes(storages[k]);
        }
        return out.toByteArray();
    }
}
