package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.gguf.GgufFile;
import sdclip.model.json.Json;
import sdclip.model.json.JsonException;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.GgufFixtures;
import sdclip.testdata.RawSafetensors;
import sdclip.testdata.ReferenceData;

/**
 * A seeded mutation fuzzer over the safetensors and GGUF readers, checkpoint recognition and the
 * JSON parser: bounded iterations, and every outcome must be a success or a clean error (the
 * exceptions the CLI turns into one line) with a message; never anything else, never a hang.
 */
class ParserFuzzTest {
    @TempDir
    Path dir;

    static final int ITERATIONS = Integer.getInteger("sdclip.fuzz.iterations", 1500);

    @Test
    void mutatedCheckpointsFailCleanly() throws IOException {
        byte[] seed = Files.readAllBytes(ReferenceData.require("models/tiny-sd15-legacy.safetensors"));
        int headerEnd = 8
                + (int) ByteBuffer.wrap(seed, 0, 8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getLong();
        SplittableRandom rnd = new SplittableRandom(20261122);
        Path file = dir.resolve("fuzz.safetensors");
        assertTimeoutPreemptively(Duration.ofMinutes(5), () -> {
            for (int it = 0; it < ITERATIONS; it++) {
                byte[] b = mutate(seed, headerEnd, rnd);
                Files.write(file, b);
                try (Checkpoint c = Checkpoint.open(file, new int[] {4})) {
                    assertTrue(c.encoders().size() == 1);
                } catch (SafetensorsException
                        | IOException
                        | IllegalArgumentException e) { // JsonException is an IllegalArgumentException
                    assertTrue(
                            e.getMessage() != null && e.getMessage().contains("fuzz.safetensors"),
                            "iteration " + it + ": the message names the file: " + e.getMessage());
                } catch (Throwable t) {
                    fail("iteration " + it + ": " + t, t);
                }
            }
        });
    }

    /** Mostly header damage (where parsing lives), sometimes truncation or data damage. */
    static byte[] mutate(byte[] seed, int headerEnd, SplittableRandom rnd) {
        byte[] b = seed.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> { // flip bytes in the header
                for (int k = 1 + rnd.nextInt(4); k > 0; k--)
                    b[8 + rnd.nextInt(headerEnd - 8)] ^= (byte) (1 << rnd.nextInt(8));
            }
            case 1 -> { // digits in the header changed (offsets, shapes)
                for (int k = 0; k < 3; k++) {
                    int at = 8 + rnd.nextInt(headerEnd - 8);
                    if (b[at] >= '0' && b[at] <= '9') b[at] = (byte) ('0' + rnd.nextInt(10));
                }
            }
            case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncated
            case 3 -> { // header length changed
                long n = rnd.nextBoolean() ? rnd.nextLong() : headerEnd - 8 + rnd.nextInt(-64, 64);
                for (int i = 0; i < 8; i++) b[i] = (byte) (n >>> (8 * i));
            }
            case 4 -> { // structural characters swapped in
                String chars = "{}[],:\"0-e.";
                for (int k = 0; k < 2; k++)
                    b[8 + rnd.nextInt(headerEnd - 8)] = (byte) chars.charAt(rnd.nextInt(chars.length()));
            }
            default -> { // dtype names swapped
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.UTF_8);
                String[] types = {"F16", "F32", "BF16", "I64", "U8", "F8_E4M3", "BOOL", "XX"};
                h = h.replaceFirst("\"F16\"", "\"" + types[rnd.nextInt(types.length)] + "\"");
                byte[] hb = h.getBytes(StandardCharsets.UTF_8);
                byte[] out = new byte[8 + hb.length + (b.length - headerEnd)];
                System.arraycopy(b, 0, out, 0, 8);
                long n = hb.length;
                for (int i = 0; i < 8; i++) out[i] = (byte) (n >>> (8 * i));
                System.arraycopy(hb, 0, out, 8, hb.length);
                System.arraycopy(b, headerEnd, out, 8 + hb.length, b.length - headerEnd);
                b = out;
            }
        }
        return b;
    }

    @Test
    void mutatedGgufFailsCleanly() throws IOException {
        byte[] seed = GgufFixtures.bytes("quants.gguf");
        int headerEnd;
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("quants.gguf", dir))) {
            headerEnd = (int) (seed.length
                    - g.tensors().values().stream().mapToLong(t -> t.bytes()).sum());
        }
        SplittableRandom rnd = new SplittableRandom(20250125);
        Path file = dir.resolve("fuzz.gguf");
        assertTimeoutPreemptively(Duration.ofMinutes(5), () -> {
            for (int it = 0; it < ITERATIONS; it++) {
                byte[] b = seed.clone();
                switch (rnd.nextInt(4)) {
                    case 0 -> { // flipped bits in the header
                        for (int k = 1 + rnd.nextInt(4); k > 0; k--)
                            b[rnd.nextInt(headerEnd)] ^= (byte) (1 << rnd.nextInt(8));
                    }
                    case 1 -> { // a random 64-bit count, length, dimension or offset
                        int at = 8 + rnd.nextInt(headerEnd - 16);
                        long v = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(-4, 1 << 16);
                        for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
                    }
                    case 2 -> b = Arrays.copyOf(b, rnd.nextInt(b.length)); // truncated
                    default -> { // a random 32-bit type, dimension count or value type
                        int at = 4 + rnd.nextInt(headerEnd - 8);
                        int v = rnd.nextInt(-2, 64);
                        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
                    }
                }
                Files.write(file, b);
                try (GgufFile g = GgufFile.open(file)) {
                    for (String n : g.names()) g.bytes(n); // whatever opens must read, dequantized or not
                } catch (ModelFormatException | IOException e) {
                    assertTrue(
                            e.getMessage() != null && e.getMessage().contains("fuzz.gguf"),
                            "iteration " + it + ": the message names the file: " + e.getMessage());
                } catch (Throwable t) {
                    fail("iteration " + it + ": " + t, t);
                }
            }
        });
    }

    @Test
    void mutatedJsonFailsCleanly() {
        String seed =
                "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"b\":[true,false,null,-1.5e-3,\"\\u00e9\\n\"]}";
        SplittableRandom rnd = new SplittableRandom(7);
        String alphabet = "{}[],:\"\\0123456789.-+eEtrufalsn \u00e9\ud83d";
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            for (int it = 0; it < ITERATIONS * 4; it++) {
                StringBuilder s = new StringBuilder(seed);
                for (int k = 1 + rnd.nextInt(5); k > 0; k--) {
                    int at = rnd.nextInt(s.length());
                    switch (rnd.nextInt(3)) {
                        case 0 -> s.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                        case 1 -> s.deleteCharAt(at);
                        default -> s.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    }
                }
                try {
                    Json.parse(s.toString());
                } catch (JsonException e) {
                    assertTrue(e.getMessage().contains("offset"), e.getMessage());
                } catch (Throwable t) {
                    fail("input " + Json.quote(s.toString()) + ": " + t, t);
                }
            }
        });
    }

    @Test
    void hugeClaimsAreCheckedBeforeAllocating() throws IOException {
        // A header that claims a 2^40-element tensor in a tiny file: refused from the header alone.
        String h = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1099511627776],\"data_offsets\":[0,4398046511104]}}";
        Path f = RawSafetensors.write(dir.resolve("claim.safetensors"), h, new byte[16]);
        try {
            SafetensorsFile.open(f).close();
            fail("accepted a tensor past the end of the file");
        } catch (SafetensorsException e) {
            assertTrue(e.getMessage().contains("past the end"), e.getMessage());
        }
    }
}
