package sdclip.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.engine.QuantizedWeights;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorStore;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.GgufFixtures;

/**
 * The GGUF reader against files llama.cpp's gguf-py wrote (testdata/scripts/make-gguf-fixtures.py):
 * every type dequantizes to exactly the floats gguf-py's reference dequantization gives, shapes
 * come out in PyTorch order, metadata of every value type reads back, v2 and v3 read alike, and
 * damaged or unsupported files are refused in one line naming the file.
 */
class GgufFileTest {
    @TempDir
    Path dir;

    static final List<String> TYPES = List.of(
            "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k");

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    @Test
    void everyTypeDequantizesToTheReferenceBitForBit() throws IOException {
        for (String file : List.of("quants.gguf", "quants-v2.gguf")) {
            try (GgufFile g = GgufFile.open(GgufFixtures.copy(file, dir));
                    SafetensorsFile expected =
                            SafetensorsFile.open(GgufFixtures.copy("quants.expected.safetensors", dir))) {
                assertEquals(file.contains("v2") ? 2 : 3, g.version());
                for (String t : TYPES) {
                    float[] want = expected.floats(t);
                    assertEquals(1024, want.length);
                    assertArrayEquals(bits(want), bits(g.floats(t)), file + " " + t);
                    assertArrayEquals(new long[] {2, 512}, g.info(t).shape(), t);
                    assertEquals(GgmlType.parse(t), g.ggmlType(t));
                    assertEquals(t.toUpperCase(java.util.Locale.ROOT), g.storedType(t));
                }
                // the values are not trivial: the quantized ones are close to the input, not equal to it
                float[] input = expected.floats("input"), q8 = g.floats("q8_0");
                assertFalse(Arrays.equals(input, q8));
                for (int i = 0; i < input.length; i++) assertEquals(input[i], q8[i], 0.02f);
            }
        }
    }

    @Test
    void quantizedRangesMayStartAndEndInsideBlocks() throws IOException {
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("quants.gguf", dir));
                SafetensorsFile expected =
                        SafetensorsFile.open(GgufFixtures.copy("quants.expected.safetensors", dir))) {
            for (String t : List.of("q8_0", "q4_1", "q5_0", "q3_k", "q6_k")) {
                QuantizedWeights q = g.quantized(t);
                assertEquals(1024, q.size());
                float[] want = expected.floats(t);
                float[] got = new float[300];
                q.copyTo(37, got, 0, 300);
                assertArrayEquals(bits(Arrays.copyOfRange(want, 37, 337)), bits(got), t);
                assertEquals(want[777], q.get(777), t);
                // row 1 of the [2, 512] matrix as a view of its own blocks
                float[] row = new float[512];
                q.slice(512, 512).copyTo(0, row, 0, 512);
                assertArrayEquals(bits(Arrays.copyOfRange(want, 512, 1024)), bits(row), t);
            }
            assertThrows(
                    IllegalArgumentException.class, () -> g.quantized("q4_k").slice(100, 256));
            assertThrows(
                    IndexOutOfBoundsException.class, () -> g.quantized("q4_k").copyTo(1000, new float[30], 0, 30));
        }
    }

    @Test
    void plainTensorsAreReadInPlaceAndShapesAreReversed() throws IOException {
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("quants.gguf", dir))) {
            assertArrayEquals(new long[] {2, 3, 4}, g.info("f32_3d").shape());
            assertArrayEquals(new long[] {4, 3, 2}, g.tensors().get("f32_3d").ne());
            float[] cube = g.floats("f32_3d");
            for (int i = 0; i < 24; i++) assertEquals(i - 11.5f, cube[i]);
            assertEquals(TensorType.I32, g.info("i32").type());
            int[] ints = g.bytes("i32").toArray(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            assertArrayEquals(new int[] {7, -8, 9, Integer.MAX_VALUE, Integer.MIN_VALUE}, ints);
            // F16 and BF16 stay as stored; quantized tensors read as F32
            assertEquals(TensorType.F16, g.info("f16").type());
            assertEquals(TensorType.BF16, g.info("bf16").type());
            assertEquals(TensorType.F32, g.info("q4_k").type());
            assertEquals(4096, g.info("q4_k").bytes());
            for (GgufTensor t : g.tensors().values()) assertEquals(0, t.offset() % 32, t.name());
        }
    }

    @Test
    void metadataOfEveryValueType() throws IOException {
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("quants.gguf", dir))) {
            var v = g.values();
            assertEquals("sdclip-test", v.get("general.architecture"));
            assertEquals(200L, g.integer("test.u8"));
            assertEquals(-100L, g.integer("test.i8"));
            assertEquals(60000L, g.integer("test.u16"));
            assertEquals(-30000L, g.integer("test.i16"));
            assertEquals(4000000000L, g.integer("test.u32"));
            assertEquals(-2000000000L, g.integer("test.i32"));
            assertEquals(0.15625f, v.get("test.f32"));
            assertEquals(Boolean.TRUE, v.get("test.bool"));
            assertEquals("h\u00e9llo", v.get("test.string"));
            assertEquals(Long.MIN_VALUE + 5, g.integer("test.u64")); // 2^63 + 5, unsigned
            assertEquals(-(1L << 40), g.integer("test.i64"));
            assertEquals(1.0 / 3, v.get("test.f64"));
            GgufArray ints = assertInstanceOf(GgufArray.class, v.get("test.array_i32"));
            assertEquals(3, ints.count());
            assertEquals(-2.0, ints.number(1));
            GgufArray floats = (GgufArray) v.get("test.array_f32");
            assertEquals(0.25, floats.number(1));
            GgufArray strings = (GgufArray) v.get("test.array_str");
            assertEquals(2, strings.count());
            assertFalse(strings.isNumeric());
            assertEquals("[2 x string]", g.metadata().get("test.array_str"));
            assertEquals("200", g.metadata().get("test.u8"));
        }
    }

    @Test
    void customAlignmentIsHonoured() throws IOException {
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("aligned64.gguf", dir))) {
            assertEquals(64, g.alignment());
            for (GgufTensor t : g.tensors().values()) assertEquals(0, t.offset() % 64, t.name());
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f}, g.floats("a"));
            assertArrayEquals(new float[] {1, 2, 3, 4}, g.floats("b"));
            assertArrayEquals(new long[] {2, 2}, g.info("b").shape());
        }
    }

    @Test
    void checkpointsTellGgufByItsMagicWhateverItsName() throws IOException {
        Path renamed = Files.copy(GgufFixtures.copy("aligned64.gguf", dir), dir.resolve("model.safetensors"));
        try (TensorStore s = Checkpoint.openTensors(renamed)) {
            assertInstanceOf(GgufFile.class, s);
            assertEquals(Set.of("a", "b"), s.names());
        }
    }

    private String refusal(Path file) {
        GgufException e =
                assertThrows(GgufException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void bigEndianAndUnreadableTypesAreRefusedSayingSo() {
        assertTrue(refusal(GgufFixtures.copy("big-endian.gguf", dir)).contains("is a big-endian GGUF file"));
        String iq = refusal(GgufFixtures.copy("iq4_nl.gguf", dir));
        assertTrue(iq.contains("tensor w has type IQ4_NL, which sdclip does not read"), iq);
    }

    /** aligned64.gguf with bytes changed by {@code edit}, written to a file of its own. */
    private Path edited(String name, java.util.function.Consumer<ByteBuffer> edit) throws IOException {
        byte[] b = GgufFixtures.bytes("aligned64.gguf");
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        edit.accept(buf);
        return Files.write(dir.resolve(name), b);
    }

    /** Where {@code text} (a key or tensor name) starts in aligned64.gguf. */
    private static int find(String text) {
        byte[] b = GgufFixtures.bytes("aligned64.gguf"), t = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i <= b.length - t.length; i++) {
            for (int j = 0; j < t.length; j++) if (b[i + j] != t[j]) continue outer;
            return i;
        }
        throw new AssertionError(text + " not found");
    }

    /**
     * A tensor count one too small, whatever the header's length: the skipped description shows
     * as non-zero padding, or, where the shortened header happens to end on the alignment (one
     * name length in 32), as data after the last tensor. Appended bytes are refused too.
     */
    @Test
    void aTensorCountOneTooSmallIsRefusedAtEveryHeaderLength() throws IOException {
        float[] values = {0, 1, 2, 3, 4, 5, 6, 7};
        for (int n = 0; n < 64; n++) {
            byte[] b = new GgufTestWriter()
                    .string("general.name", "x".repeat(n))
                    .tensor("a", GgmlType.F32, new long[] {8}, GgufTestWriter.f32(values))
                    .tensor("b", GgmlType.F32, new long[] {8}, GgufTestWriter.f32(values))
                    .bytes();
            GgufFile.open(Files.write(dir.resolve("whole.gguf"), b)).close();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1);
            String m = refusal(Files.write(dir.resolve("count" + n + ".gguf"), b));
            assertTrue(m.contains("non-zero byte at offset") || m.contains("bytes after its last tensor's data"), m);
        }
        byte[] whole = GgufFixtures.bytes("aligned64.gguf"), longer = Arrays.copyOf(whole, whole.length + 64);
        assertTrue(refusal(Files.write(dir.resolve("appended.gguf"), longer))
                .contains("has 64 bytes after its last tensor's data"));
    }

    @Test
    void hostileHeadersAreRefusedBeforeAllocating() throws IOException {
        int align = find("general.alignment") + "general.alignment".length() + 4;
        // tensor "b": its name, then n_dims (u32), two dims (u64), type (u32), offset (u64)
        int b = find("\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000b\u0002") + 9;
        record Case(String name, java.util.function.Consumer<ByteBuffer> edit, String says) {}
        List<Case> cases = List.of(
                new Case("v1", x -> x.putInt(4, 1), "GGUF version 1"),
                new Case("v9", x -> x.putInt(4, 9), "GGUF version 9"),
                new Case("magic", x -> x.put(0, (byte) 'X'), "does not start with the GGUF magic"),
                new Case("tensors", x -> x.putLong(8, Long.MAX_VALUE), "tensor count"),
                new Case("kvs", x -> x.putLong(16, 1L << 40), "metadata count"),
                new Case("keylen", x -> x.putLong(24, -2), "past the end of the file"),
                new Case("align3", x -> x.putInt(align, 3), "general.alignment 3, not a power of two"),
                new Case("align0", x -> x.putInt(align, 0), "not a power of two"),
                new Case("dims", x -> x.putInt(b, 5), "has 5 dimensions"),
                new Case("huge", x -> x.putLong(b + 4, 1L << 40), "past the end of the data"),
                new Case("overflow", x -> x.putLong(b + 4, Long.MAX_VALUE / 2), "overflows"),
                new Case("negative", x -> x.putLong(b + 4, -1), "past 2^63"),
                new Case("typeid", x -> x.putInt(b + 20, 4), "ggml type id 4, which ggml does not define"),
                new Case("iq", x -> x.putInt(b + 20, 23), "type IQ4_XS, which sdclip does not read"),
                new Case("rows", x -> x.putInt(b + 20, 8), "not a whole number of Q8_0 blocks of 32"),
                new Case("unaligned", x -> x.putLong(b + 24, 96), "not a multiple of the alignment 64"),
                new Case("overlap", x -> x.putLong(b + 24, 0), "overlaps tensor a"),
                new Case("offset", x -> x.putLong(b + 24, 1L << 50), "past the end of the data"),
                // one tensor fewer: b's description is read as padding, every offset from too early
                new Case("count", x -> x.putLong(8, x.getLong(8) - 1), "non-zero byte at offset"));
        for (Case c : cases) {
            String m = refusal(edited(c.name() + ".gguf", c.edit()));
            assertTrue(m.contains(c.says()), c.name() + ": " + m);
        }
        byte[] all = GgufFixtures.bytes("aligned64.gguf");
        // the last cut is inside tensor b's data
        for (int cut : new int[] {0, 10, 23, 40, b, b + 20, all.length - 60}) {
            Path t = Files.write(dir.resolve("cut" + cut + ".gguf"), Arrays.copyOf(all, cut));
            refusal(t);
        }
    }
}
