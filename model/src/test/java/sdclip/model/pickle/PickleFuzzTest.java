package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.testdata.ReferenceData;

/**
 * A seeded mutation fuzzer over the torch reader: the reference checkpoints and embeddings, and
 * the two crafted shapes that once hung it (80,000 colliding tuple keys, a view of rank 150,000),
 * with bits flipped, opcodes and length fields overwritten, bytes inserted or deleted, or the file
 * cut short. Every case must open (and then every tensor's bytes be readable) or be refused with
 * a {@link PickleException} naming the file, each within {@link #PER_FILE}: never another
 * exception, never a hang.
 */
class PickleFuzzTest {
    static final int ITERATIONS = Integer.getInteger("sdclip.fuzz.iterations", 1000);
    /** A generous bound on one mutated file (each takes milliseconds), enforced on each: an answer in bounded time. */
    static final Duration PER_FILE = Duration.ofSeconds(5);

    static final String OPCODES =
            "(.012FILNPRSVabcdeghijlopqrstuGJKMQTUXBC})]\u0080\u0081\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096";

    @ParameterizedTest
    @ValueSource(
            strings = {
                "models/tiny-sd15.ckpt",
                "models/tiny-sd15-torch-legacy.ckpt",
                "embeddings/redfox-a1111.pt",
                "embeddings/learned_embeds.bin"
            })
    void mutatedFilesOpenOrFailCleanly(String seedFile) throws IOException {
        byte[] seed = Files.readAllBytes(ReferenceData.require(seedFile));
        fuzz(seedFile, seed, new SplittableRandom(20261201L + seedFile.hashCode()), ITERATIONS);
    }

    /** The crafted hang shapes, mutated: each must still be an answer within the per-file bound. */
    @ParameterizedTest
    @ValueSource(strings = {"colliding-keys.pt", "rank-150000.pt"})
    void mutatedHangShapesAnswerInBoundedTime(String shape) {
        byte[] seed = shape.startsWith("colliding") ? inArchive(collidingKeys(80_000)) : hugeRankArchive();
        fuzz(shape, seed, new SplittableRandom(20261203L + shape.hashCode()), Math.max(1, ITERATIONS / 10));
    }

    /** Mutates {@code seed} {@code iterations} times; each case opens and reads, or is refused cleanly, within {@link #PER_FILE}. */
    static void fuzz(String seedName, byte[] seed, SplittableRandom rnd, int iterations) {
        long[][] hot = hotRegions(seed);
        Path name = Path.of("fuzz-" + Path.of(seedName).getFileName());
        for (int it = 0; it < iterations; it++) {
            List<int[]> undo = new ArrayList<>();
            MemorySegment bytes = mutate(seed, hot, rnd, undo);
            try {
                assertTimeoutPreemptively(PER_FILE, () -> openAndTouch(name, bytes), seedName + " iteration " + it);
            } catch (PickleException e) {
                assertTrue(
                        e.getMessage().startsWith(name + ": ")
                                && e.getMessage().chars().allMatch(c -> c >= 0x20 && c != 0x7f),
                        "iteration " + it + ": " + e.getMessage());
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                fail(seedName + " iteration " + it + ": " + t, t);
            } finally {
                for (int i = undo.size() - 1; i >= 0; i--) seed[undo.get(i)[0]] = (byte) undo.get(i)[1];
            }
        }
    }

    /**
     * Checkpoint recognition over mutated torch files written to disk (a few hundred cases):
     * a recognised SD 1.x tower or one clean line naming the file.
     */
    @ParameterizedTest
    @ValueSource(strings = {"models/tiny-sd15.ckpt", "models/tiny-sd15-torch-legacy.ckpt"})
    void mutatedCheckpointFilesOpenOrFailCleanly(String seedFile, @TempDir Path dir) throws IOException {
        byte[] seed = Files.readAllBytes(ReferenceData.require(seedFile));
        long[][] hot = hotRegions(seed);
        SplittableRandom rnd = new SplittableRandom(20261202L + seedFile.hashCode());
        Path file = dir.resolve("fuzz.ckpt");
        int iterations = Math.max(1, ITERATIONS / 5);
        for (int it = 0; it < iterations; it++) {
            List<int[]> undo = new ArrayList<>();
            MemorySegment bytes = mutate(seed, hot, rnd, undo);
            int iteration = it;
            try {
                Files.write(file, bytes.toArray(ValueLayout.JAVA_BYTE));
                assertTimeoutPreemptively(PER_FILE, () -> {
                    try (Checkpoint c = Checkpoint.open(file, new int[] {4})) {
                        assertTrue(c.encoders().size() == 1, "iteration " + iteration);
                    }
                });
            } catch (PickleException | SafetensorsException | IOException | IllegalArgumentException e) {
                assertTrue(
                        e.getMessage() != null
                                && e.getMessage().contains(file.toString())
                                && !e.getMessage().contains("\n"),
                        seedFile + " iteration " + it + ": the message names the file: " + e.getMessage());
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                fail(seedFile + " iteration " + it + ": " + t, t);
            } finally {
                for (int i = undo.size() - 1; i >= 0; i--) seed[undo.get(i)[0]] = (byte) undo.get(i)[1];
            }
        }
    }

    static void openAndTouch(Path name, MemorySegment bytes) {
        try (TorchCheckpoint c = TorchCheckpoint.of(TorchFile.read(name, bytes))) {
            for (String t : c.names()) {
                MemorySegment b = c.bytes(t);
                if (b.byteSize() != c.info(t).bytes())
                    fail(t + " has " + b.byteSize() + " bytes, its info says "
                            + c.info(t).bytes());
                if (b.byteSize() > 0) b.get(ValueLayout.JAVA_BYTE, b.byteSize() - 1);
            }
        }
    }

    /** Where parsing happens: the pickle first, then the zip directory and each local header (legacy: the pickles up front). */
    static long[][] hotRegions(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (f[0] != 'P') return new long[][] {{0, Math.min(f.length, 12_000)}};
        int cd = b.getInt(f.length - 22 + 16);
        List<long[]> regions = new ArrayList<>();
        regions.add(new long[] {cd, f.length});
        for (int p = cd;
                p + 46 <= f.length && b.getInt(p) == 0x02014b50;
                p += 46 + b.getShort(p + 28) + b.getShort(p + 30) + b.getShort(p + 32)) {
            int local = b.getInt(p + 42), data = local + 30 + b.getShort(local + 26) + b.getShort(local + 28);
            String entry = new String(f, p + 46, b.getShort(p + 28), StandardCharsets.UTF_8);
            if (entry.endsWith("/data.pkl")) regions.addFirst(new long[] {data, data + b.getInt(p + 24)});
            regions.add(new long[] {local, data});
        }
        return regions.toArray(long[][]::new);
    }

    /** Mutates {@code seed} in place (recording what to undo) or returns a changed copy or a truncated view. */
    static MemorySegment mutate(byte[] seed, long[][] hot, SplittableRandom rnd, List<int[]> undo) {
        switch (rnd.nextInt(8)) {
            case 0 -> {
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    int at = hotPosition(hot, rnd);
                    set(seed, at, seed[at] ^ (1 << rnd.nextInt(8)), undo);
                }
            }
            case 1 -> set(seed, hotPosition(hot, rnd), OPCODES.charAt(rnd.nextInt(OPCODES.length())), undo);
            case 2 -> {
                return MemorySegment.ofArray(seed).asSlice(0, rnd.nextInt(seed.length));
            }
            case 3 -> field(seed, hotPosition(hot, rnd), 4, rnd, undo);
            case 4 -> field(seed, hotPosition(hot, rnd), 8, rnd, undo);
            case 5 -> {
                for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
                    int at = rnd.nextInt(seed.length);
                    set(seed, at, seed[at] ^ (1 << rnd.nextInt(8)), undo);
                }
            }
            case 6 -> { // a byte inserted or deleted where parsing happens: everything after it shifts
                int at = hotPosition(hot, rnd);
                byte[] out = new byte[seed.length + (rnd.nextBoolean() ? 1 : -1)];
                System.arraycopy(seed, 0, out, 0, at);
                if (out.length > seed.length) {
                    out[at] = (byte) OPCODES.charAt(rnd.nextInt(OPCODES.length()));
                    System.arraycopy(seed, at, out, at + 1, seed.length - at);
                } else {
                    System.arraycopy(seed, at + 1, out, at, seed.length - at - 1);
                }
                return MemorySegment.ofArray(out);
            }
            default -> {
                for (int k = 0; k < 3; k++) set(seed, hotPosition(hot, rnd), rnd.nextInt(256), undo);
            }
        }
        return MemorySegment.ofArray(seed);
    }

    /** A little-endian length or offset overwritten with a value near the old one or at a boundary. */
    static void field(byte[] b, int at, int width, SplittableRandom rnd, List<int[]> undo) {
        long[] boundaries = {
            0,
            1,
            -1,
            Integer.MAX_VALUE,
            0x80000000L,
            0xFFFFFFFFL,
            Long.MAX_VALUE,
            Long.MIN_VALUE,
            b.length,
            b.length * 2L
        };
        long old = 0;
        for (int i = 0; i < width && at + i < b.length; i++) old |= (long) (b[at + i] & 0xff) << (8 * i);
        long v = rnd.nextBoolean() ? boundaries[rnd.nextInt(boundaries.length)] : old + rnd.nextInt(-64, 65);
        for (int i = 0; i < width && at + i < b.length; i++) set(b, at + i, (int) (v >>> (8 * i)), undo);
    }

    /** A position in a hot region; half of them in the first (the pickle). */
    static int hotPosition(long[][] hot, SplittableRandom rnd) {
        long[] r = hot[rnd.nextBoolean() ? 0 : rnd.nextInt(hot.length)];
        return (int) rnd.nextLong(r[0], r[1]);
    }

    static void set(byte[] b, int at, int value, List<int[]> undo) {
        undo.add(new int[] {at, b[at]});
        b[at] = (byte) value;
    }

    /**
     * Crafted shape 1: a dict of 80,000 tuple keys {@code (i, 31 * (80000 - i))} whose list hashes
     * all collide. Inserting them must stay near-linear (bounded here by a generous 10 s hang bound).
     */
    @org.junit.jupiter.api.Test
    void collidingTupleKeysAreNotQuadratic() {
        int n = 80_000;
        assertTrue(
                new Tuple(1L, (long) (31 * (n - 1))).equals(new Tuple(1L, (long) (31 * (n - 1))))
                        && java.util.List.of(0L, (long) 31 * n).hashCode()
                                == java.util.List.of(1L, (long) 31 * (n - 1)).hashCode(),
                "the keys' list hashes collide");
        MemorySegment pickle = MemorySegment.ofArray(collidingKeys(n));
        Object dict = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> new PickleMachine(Path.of("collide.pkl"), pickle, 0, pickle.byteSize(), null).run());
        assertTrue(dict instanceof java.util.Map<?, ?> m
                && m.size() == n
                && m.containsKey(new Tuple(7L, (long) 31 * (n - 7))));
    }

    /** {@code {(i, 31 * (n - i)): None for i in range(n)}}, one SETITEMS: keys whose list hashes all collide. */
    static byte[] collidingKeys(int n) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * 12).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x80).put((byte) 2).put((byte) '}').put((byte) '(');
        for (int i = 0; i < n; i++) {
            b.put((byte) 'J')
                    .putInt(i)
                    .put((byte) 'J')
                    .putInt(31 * (n - i))
                    .put((byte) 0x86)
                    .put((byte) 'N');
        }
        b.put((byte) 'u').put((byte) '.');
        return Arrays.copyOf(b.array(), b.position());
    }

    /** A torch zip archive holding {@code pickle} as its data.pkl, and no storages. */
    static byte[] inArchive(byte[] pickle) {
        return TestZips.write(java.util.Map.of("collide/data.pkl", pickle), false, false);
    }

    /**
     * Crafted shape 2: one transposed view of rank 150,000 (17 dimensions of 2, the rest 1) over a
     * 512 KB storage. The file opens at once, and the tensor is refused for its rank when read, as
     * torch refuses more than 64 dimensions.
     */
    @org.junit.jupiter.api.Test
    void aViewOfHugeRankIsRefusedQuickly() {
        MemorySegment file = MemorySegment.ofArray(hugeRankArchive());
        PickleException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> org.junit.jupiter.api.Assertions.assertThrows(
                        PickleException.class, () -> openAndTouch(Path.of("rank.pt"), file)));
        assertTrue(
                e.getMessage().equals("rank.pt: tensor w has 150000 dimensions (torch allows 64 at most)"),
                e.getMessage());
    }

    /** {@code {'w': <a view of rank 150,000 over a 512 KB storage>}} as a torch zip archive. */
    static byte[] hugeRankArchive() {
        int rank = 150_000, twos = 17;
        StringBuilder size = new StringBuilder("28"), stride = new StringBuilder("28");
        for (int i = 0; i < rank - twos; i++) {
            size.append("4b01");
            stride.append("4b00");
        }
        for (int k = 0; k < twos; k++) {
            size.append("4b02");
            stride.append("4a").append(String.format("%08x", Integer.reverseBytes(1 << k)));
        }
        size.append("74");
        stride.append("74");
        String pickle = "8002" + "7d" + "5801000000" + TensorViewsTest.hex("w") + TensorViewsTest.REBUILD + "28"
                + "28" + "5807000000" + TensorViewsTest.hex("storage") + TensorViewsTest.hex("ctorch\nFloatStorage\n")
                + "5801000000" + TensorViewsTest.hex("0") + "5803000000" + TensorViewsTest.hex("cpu") + "4a00000200"
                + "74" + "51" + "4b00" + size + stride + "89" + TensorViewsTest.hex("ccollections\nOrderedDict\n")
                + "2952" + "74" + "52" + "73" + "2e";
        java.util.Map<String, byte[]> members = new java.util.LinkedHashMap<>();
        members.put("rank/data.pkl", java.util.HexFormat.of().parseHex(pickle));
        members.put("rank/data/0", new byte[4 << twos]);
        return TestZips.write(members, false, false);
    }

    /** A strided view of rank 64 (the most torch allows) is copied row-major, each row's start found incrementally. */
    @org.junit.jupiter.api.Test
    void aTransposedViewOfRank64IsCopiedCorrectly() {
        int rank = 64, twos = 6;
        StringBuilder size = new StringBuilder("28"), stride = new StringBuilder("28");
        for (int i = 0; i < rank - twos; i++) {
            size.append("4b01");
            stride.append("4b00");
        }
        for (int k = 0; k < twos; k++) {
            size.append("4b02");
            stride.append("4b").append(String.format("%02x", 1 << k));
        }
        String pickle = "8002" + "7d" + "5801000000" + TensorViewsTest.hex("w") + TensorViewsTest.REBUILD + "28"
                + "28" + "5807000000" + TensorViewsTest.hex("storage") + TensorViewsTest.hex("ctorch\nFloatStorage\n")
                + "5801000000" + TensorViewsTest.hex("0") + "5803000000" + TensorViewsTest.hex("cpu") + "4b40"
                + "74" + "51" + "4b00" + size + "74" + stride + "74" + "89"
                + TensorViewsTest.hex("ccollections\nOrderedDict\n") + "2952" + "74" + "52" + "73" + "2e";
        ByteBuffer storage = ByteBuffer.allocate(64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) storage.putFloat(i);
        java.util.Map<String, byte[]> members = new java.util.LinkedHashMap<>();
        members.put("rank/data.pkl", java.util.HexFormat.of().parseHex(pickle));
        members.put("rank/data/0", storage.array());
        try (TorchCheckpoint c = TorchCheckpoint.of(
                TorchFile.read(Path.of("rank.pt"), MemorySegment.ofArray(TestZips.write(members, false, false))))) {
            float[] got = c.bytes("w").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            for (int i = 0; i < 64; i++) {
                int want = Integer.reverse(i) >>> (32 - twos); // the bits of the row-major index, reversed
                org.junit.jupiter.api.Assertions.assertEquals(want, got[i], "element " + i);
            }
        }
    }

    /**
     * Crafted shape 1b: 80,000 keys of two types (ints and strs) that all share one hash, which a
     * dict's tree bins cannot order against each other: refused at once by the cap on keys that
     * share a hash (on today's code it is quadratic), within the same generous hang bound.
     */
    @org.junit.jupiter.api.Test
    void collidingKeysOfMixedTypesAreRefusedQuickly() {
        int n = 80_000;
        String[] blocks = {"Aa", "BB"}; // equal String hashes, so any sequence of blocks has one hash
        int h = "AaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAa".hashCode();
        ByteBuffer b = ByteBuffer.allocate(16 + n * 40).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x80).put((byte) 2).put((byte) '}').put((byte) '(');
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                long x = i + 1L;
                long v = (x << 32) | ((x ^ h) & 0xFFFFFFFFL); // Long.hashCode(v) == h
                b.put((byte) 0x8a).put((byte) 8).putLong(v);
            } else {
                StringBuilder k = new StringBuilder();
                for (int bit = 0; bit < 16; bit++) k.append(blocks[(i >> bit) & 1]);
                b.put((byte) 'X').putInt(32).put(k.toString().getBytes(StandardCharsets.US_ASCII));
            }
            b.put((byte) 'N');
        }
        b.put((byte) 'u').put((byte) '.');
        MemorySegment pickle = MemorySegment.ofArray(Arrays.copyOf(b.array(), b.position()));
        PickleException e = assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> org.junit.jupiter.api.Assertions.assertThrows(
                        PickleException.class,
                        () -> new PickleMachine(Path.of("mixed.pkl"), pickle, 0, pickle.byteSize(), null).run()));
        assertTrue(e.getMessage().contains("dict keys with the same hash"), e.getMessage());
    }
}
