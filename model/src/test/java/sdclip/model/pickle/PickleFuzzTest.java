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
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.testdata.ReferenceData;

/**
 * A seeded mutation fuzzer over the torch reader: the reference checkpoints and embeddings with
 * bits flipped, opcodes and length fields overwritten, bytes inserted or deleted, or the file
 * cut short. Every case must open (and then every tensor's bytes be readable) or be refused
 * with a {@link PickleException} naming the file: never another exception, never a hang.
 */
class PickleFuzzTest {
    static final int ITERATIONS = Integer.getInteger("sdclip.fuzz.iterations", 1000);
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
        long[][] hot = hotRegions(seed);
        SplittableRandom rnd = new SplittableRandom(20261201L + seedFile.hashCode());
        Path name = Path.of("fuzz-" + Path.of(seedFile).getFileName());
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            for (int it = 0; it < ITERATIONS; it++) {
                List<int[]> undo = new ArrayList<>();
                MemorySegment bytes = mutate(seed, hot, rnd, undo);
                try {
                    openAndTouch(name, bytes);
                } catch (PickleException e) {
                    assertTrue(
                            e.getMessage().startsWith(name + ": ")
                                    && e.getMessage().chars().allMatch(c -> c >= 0x20 && c != 0x7f),
                            "iteration " + it + ": " + e.getMessage());
                } catch (Throwable t) {
                    fail(seedFile + " iteration " + it + ": " + t, t);
                } finally {
                    for (int i = undo.size() - 1; i >= 0; i--) seed[undo.get(i)[0]] = (byte) undo.get(i)[1];
                }
            }
        });
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
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            for (int it = 0; it < iterations; it++) {
                List<int[]> undo = new ArrayList<>();
                MemorySegment bytes = mutate(seed, hot, rnd, undo);
                try {
                    Files.write(file, bytes.toArray(ValueLayout.JAVA_BYTE));
                    try (Checkpoint c = Checkpoint.open(file, new int[] {4})) {
                        assertTrue(c.encoders().size() == 1, "iteration " + it);
                    }
                } catch (PickleException | SafetensorsException | IOException | IllegalArgumentException e) {
                    assertTrue(
                            e.getMessage() != null
                                    && e.getMessage().contains(file.toString())
                                    && !e.getMessage().contains("\n"),
                            seedFile + " iteration " + it + ": the message names the file: " + e.getMessage());
                } catch (Throwable t) {
                    fail(seedFile + " iteration " + it + ": " + t, t);
                } finally {
                    for (int i = undo.size() - 1; i >= 0; i--) seed[undo.get(i)[0]] = (byte) undo.get(i)[1];
                }
            }
        });
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
}
