package sdclip.model.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.RawSafetensors;

/** Valid oddities load; every malformation fails with a message naming the file and the tensor. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    private Path file(String header, byte[] data) throws IOException {
        return RawSafetensors.write(dir.resolve("t.safetensors"), header, data);
    }

    private String refused(Path p) {
        SafetensorsException e = assertThrows(
                SafetensorsException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void readsAValidFileWithAnOddHeaderLengthAndKeysInAnyOrder() throws IOException {
        // 2 F32 then 1 F16; header length deliberately not a multiple of 8, keys in odd order.
        byte[] data = new byte[10];
        System.arraycopy(RawSafetensors.floats(1.5f, -2f), 0, data, 0, 8);
        data[8] = 0x00;
        data[9] = 0x3C; // F16 1.0
        String header =
                "{\"b\":{\"data_offsets\":[8,10],\"shape\":[1],\"dtype\":\"F16\"},\"__metadata__\":{\"k\":\"v\"},\"a\":{\"shape\":[2],\"dtype\":\"F32\",\"data_offsets\":[0,8]}}x";
        header = header.substring(0, header.length() - 1);
        assertTrue(header.length() % 8 != 0);
        try (SafetensorsFile f = SafetensorsFile.open(file(header, data))) {
            assertArrayEquals(new float[] {1.5f, -2f}, f.floats("a"));
            assertArrayEquals(new float[] {1f}, f.floats("b"));
            assertEquals(Map.of("k", "v"), f.metadata());
            assertEquals(header.length(), f.headerLength());
        }
    }

    @Test
    void writerRoundTripsAndLeavesNoTemporaryFile() throws IOException {
        Path out = dir.resolve("w.safetensors");
        new SafetensorsWriter()
                .metadata("m", "x")
                .addFloats("f", new long[] {2, 2}, new float[] {1, 2, 3, 4})
                .addLongs("i", new long[] {3}, new long[] {7, -1, Long.MAX_VALUE})
                .write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, f.floats("f"));
            assertArrayEquals(new long[] {7, -1, Long.MAX_VALUE}, f.longs("i"));
            assertEquals(0, (8 + f.headerLength()) % 8);
        }
        try (var s = Files.list(dir)) {
            assertEquals(List.of(out), s.toList());
        }
    }

    @Test
    void interruptedWriteLeavesNothing() throws IOException {
        Path out = dir.resolve("never.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().add("x", TensorType.F32, new long[] {4}, ch -> {
            throw new IOException("disk full");
        });
        assertThrows(IOException.class, () -> w.write(out));
        try (var s = Files.list(dir)) {
            assertEquals(List.of(), s.toList());
        }
    }

    @Test
    void refusesBrokenFiles() throws IOException {
        byte[] eight = RawSafetensors.floats(1, 2);
        String ok = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        assertTrue(refused(dir.resolve("empty.safetensors")).contains("too small"));
        assertTrue(refused(RawSafetensors.write(dir.resolve("len.safetensors"), 1000, "{}".getBytes(), new byte[0]))
                .contains("runs past the end"));
        assertTrue(
                refused(RawSafetensors.write(dir.resolve("huge.safetensors"), 1L << 40, "{}".getBytes(), new byte[0]))
                        .contains("exceeds"));
        assertTrue(refused(RawSafetensors.write(dir.resolve("neg.safetensors"), -5, "{}".getBytes(), new byte[0]))
                .contains("exceeds"));
        assertTrue(refused(RawSafetensors.write(
                        dir.resolve("bin.safetensors"), 4, new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1}, new byte[0]))
                .contains("not UTF-8"));
        assertTrue(refused(file("[1,2]", new byte[0])).contains("expected a JSON object"));
        assertTrue(refused(file("{\"a\":", new byte[0])).contains("not valid JSON"));
        assertTrue(refused(file("[".repeat(200_000), new byte[0])).contains("not valid JSON"));
        assertTrue(
                refused(file("{" + ok.replace("[0,8]", "[0,16]") + "}", eight)).contains("tensor a"));
        assertTrue(
                refused(file("{" + ok.replace("[0,8]", "[8,0]") + "}", eight)).contains("reversed"));
        assertTrue(refused(file("{" + ok.replace("[2]", "[3]") + "}", eight)).contains("byte range"));
        assertTrue(refused(file("{" + ok.replace("F32", "Q7") + "}", eight)).contains("unknown dtype \"Q7\""));
        assertTrue(refused(file("{" + ok.replace("[2]", "[-2]") + "}", eight)).contains("non-negative"));
        assertTrue(refused(file("{" + ok.replace("[2]", "[4294967296,4294967296]") + "}", eight))
                .contains("overflows"));
        assertTrue(
                refused(file("{\"__metadata__\":{\"k\":1}," + ok + "}", eight)).contains("expected a string"));
        assertTrue(refused(file(
                        "{" + ok + ","
                                + ok.replace("\"a\"", "\"b\"")
                                        .replace("[2]", "[1]")
                                        .replace("[0,8]", "[4,8]") + "}",
                        eight))
                .contains("overlaps"));
        assertTrue(refused(file("{" + ok + "," + ok + "}", eight)).contains("duplicate key"));
        assertTrue(refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", eight))
                .contains("unknown field"));
        Files.createDirectories(dir.resolve("folder.safetensors"));
        assertTrue(refused(dir.resolve("folder.safetensors")).contains("directory"));
        assertTrue(refused(dir.resolve("missing.safetensors")).contains("no such file"));
    }

    @Test
    void everyDtypeIsRecognisedAndOnlyFloatsCompute() throws IOException {
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        for (TensorType t : TensorType.values()) {
            long bytes = 8L * t.bits() / 8; // 8 elements, whole bytes for every type
            h.append(h.length() > 1 ? "," : "")
                    .append("\"")
                    .append(t)
                    .append("\":{\"dtype\":\"")
                    .append(t)
                    .append("\",\"shape\":[8],\"data_offsets\":[")
                    .append(off)
                    .append(',')
                    .append(off + bytes)
                    .append("]}");
            off += bytes;
        }
        try (SafetensorsFile f = SafetensorsFile.open(file(h.append('}').toString(), new byte[(int) off]))) {
            for (TensorType t : TensorType.values()) {
                assertEquals(t, f.info(t.name()).type());
                if (t.computeType() != null) assertEquals(8, f.weights(t.name()).size());
                else {
                    SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.weights(t.name()));
                    assertTrue(e.getMessage().contains("tensor " + t + " has dtype " + t), e.getMessage());
                }
            }
            assertArrayEquals(new long[8], f.longs("I64"));
        }
    }

    @Test
    void shardedCheckpointsResolveEveryTensor() throws IOException {
        new SafetensorsWriter()
                .addFloats("x", new long[] {2}, new float[] {1, 2})
                .write(dir.resolve("m-1.safetensors"));
        new SafetensorsWriter().addFloats("y", new long[] {1}, new float[] {3}).write(dir.resolve("m-2.safetensors"));
        Path index = dir.resolve("m.safetensors.index.json");
        Files.writeString(
                index, "{\"metadata\":{},\"weight_map\":{\"x\":\"m-1.safetensors\",\"y\":\"m-2.safetensors\"}}");
        try (ShardedSafetensors s = ShardedSafetensors.open(index)) {
            assertArrayEquals(new float[] {1, 2}, s.floats("x"));
            assertArrayEquals(new float[] {3}, s.floats("y"));
        }
        Files.writeString(index, "{\"weight_map\":{\"z\":\"m-1.safetensors\"}}");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> ShardedSafetensors.open(index));
        assertTrue(e.getMessage().contains("tensor z") && e.getMessage().contains("missing"), e.getMessage());
    }
}
