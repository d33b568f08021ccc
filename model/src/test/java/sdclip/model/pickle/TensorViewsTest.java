package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Hand-built torch archives: a transposed F32 view is copied row-major; views may not multiply a storage. */
class TensorViewsTest {
    /** The arguments of _rebuild_tensor_v2 for a [64, 64] view with stride (1, 64) of storage "0" (4096 F32), left on the stack. */
    static final String TRANSPOSED_ARGS =
            "28" + "28" + "5807000000" + hex("storage") + hex("ctorch\nFloatStorage\n") + "5801000000" + hex("0")
                    + "5803000000" + hex("cpu") + "4d0010" + "74"
                    + "51" // ('storage', FloatStorage, '0', 'cpu', 4096) BINPERSID
                    + "4b00" + "4b404b4086" + "4b014b4086" + "89" + hex("ccollections\nOrderedDict\n") + "2952"
                    + "74"; // offset, size, stride, False, OrderedDict()

    static final String REBUILD = hex("ctorch._utils\n_rebuild_tensor_v2\n") + "7100";

    static byte[] archive(String pickleHex) {
        ByteBuffer storage = ByteBuffer.allocate(4096 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4096; i++) storage.putFloat(i);
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("views/data.pkl", HexFormat.of().parseHex(pickleHex));
        members.put("views/data/0", storage.array());
        return TestZips.write(members, false, false);
    }

    @Test
    void aTransposedViewIsCopiedRowMajor() {
        // {'w': _rebuild_tensor_v2(*args)}
        String pickle = "8002" + "7d" + "5801000000" + hex("w") + REBUILD + TRANSPOSED_ARGS + "52" + "73" + "2e";
        try (TorchCheckpoint c =
                TorchCheckpoint.of(TorchFile.read(Path.of("views.pt"), MemorySegment.ofArray(archive(pickle))))) {
            assertArrayEquals(new long[] {64, 64}, c.info("w").shape());
            float[] got = c.bytes("w").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            float[] want = new float[4096];
            for (int i = 0; i < 64; i++)
                for (int j = 0; j < 64; j++) want[i * 64 + j] = i + 64 * j; // w[i][j] = storage[i * 1 + j * 64]
            assertArrayEquals(want, got);
            assertFalse(c.bytes("w").isMapped());
        }
    }

    /** An expanded tensor (stride 0, as {@code x.expand(8, 1024)} saves it) is read as torch.load gives it: the logical values. */
    @Test
    void anExpandedViewIsReadWithItsLogicalValues() {
        String args = TRANSPOSED_ARGS.replace("4b004b404b4086" + "4b014b4086", "4b00" + "4b084d000486" + "4b004b0186");
        String pickle = "8002" + "7d" + "5801000000" + hex("e") + REBUILD + args + "52" + "73" + "2e";
        try (TorchCheckpoint c =
                TorchCheckpoint.of(TorchFile.read(Path.of("views.pt"), MemorySegment.ofArray(archive(pickle))))) {
            assertArrayEquals(new long[] {8, 1024}, c.info("e").shape());
            float[] got = c.bytes("e").toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 1024; j++) assertEquals(j, got[i * 1024 + j], "e[" + i + "][" + j + "]");
        }
    }

    /** Copies are made when read, and all of them together may not exceed the file's size (plus 1 MiB): the views past that are refused. */
    @Test
    void manyStridedViewsOfOneStorageAreRefused() {
        // [view, view, ... 100 times]: each a fresh tensor from the memo, each needing a 16 KB copy of the same 16 KB
        // storage
        String pickle = "8002" + "5d" + "28" + REBUILD + TRANSPOSED_ARGS + "7101" + "52"
                + "68006801 52".replace(" ", "").repeat(99) + "65" + "2e";
        try (TorchFile f = TorchFile.read(Path.of("views.pt"), MemorySegment.ofArray(archive(pickle)))) {
            java.util.List<?> views = (java.util.List<?>) f.root();
            assertEquals(100, views.size());
            long copy = 4096 * 4, file = archive(pickle).length, fits = (file + TorchFile.COPY_SLACK) / copy;
            for (int i = 0; i < fits; i++)
                assertEquals(copy, ((TorchTensor) views.get(i)).bytes().byteSize());
            PickleException e = assertThrows(PickleException.class, ((TorchTensor) views.get((int) fits))::bytes);
            assertTrue(
                    e.getMessage()
                            .startsWith(
                                    "views.pt: tensor " + fits + " is a strided or expanded view whose"
                                            + " contiguous copy (16384 bytes) would take the copies of such views past the file's size"),
                    e.getMessage());
        }
    }

    static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }
}
