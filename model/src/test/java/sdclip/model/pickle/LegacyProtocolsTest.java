package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.format.TensorFiles;
import sdclip.model.safetensors.TensorStore;
import sdclip.testdata.ReferenceData;

/**
 * Legacy (pre-1.6) torch files as {@code torch.save} writes them at pickle protocols 2 to 5, built
 * byte by byte: a Lightning-style checkpoint with a contiguous, an expanded (stride 0) and a
 * transposed tensor, a {@code torch.device}, an {@code argparse.Namespace} in
 * {@code hyper_parameters} and {@code optimizer_states}.
 */
class LegacyProtocolsTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** {@code _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel, None), offset, shape, stride, False, OrderedDict())}. */
    static void tensor(TestPickles m, String key, int numel, int offset, long[] shape, long[] stride) {
        m.global("torch._utils", "_rebuild_tensor_v2").op('(');
        m.op('(')
                .str("storage")
                .global("torch", "FloatStorage")
                .str(key)
                .str("cpu")
                .integer(numel);
        m.op('N').op('t').memoize().op('Q').memoize();
        m.integer(offset).ints(shape).ints(stride).op(0x89);
        m.global("collections", "OrderedDict").op(')').op('R').memoize();
        m.op('t').memoize().op('R').memoize();
    }

    /** The checkpoint; {@code wShape} is the shape claimed for tensor w on its 6-element storage. */
    static byte[] checkpoint(int protocol, long[] wShape) {
        return checkpoint(protocol, wShape, new long[] {2, 3});
    }

    /** The same, with {@code optShape} the shape claimed for the optimizer's exp_avg on its 6-element storage. */
    static byte[] checkpoint(int protocol, long[] wShape, long[] optShape) {
        TestPickles m = new TestPickles(protocol);
        m.op('}').memoize().op('(');
        m.str("state_dict").op('}').memoize().op('(');
        m.str("w");
        tensor(m, "0", 6, 0, wShape, new long[] {3, 1});
        m.str("e");
        tensor(m, "1", 3, 0, new long[] {4, 3}, new long[] {0, 1}); // torch.tensor([10., 11., 12.]).expand(4, 3)
        m.str("t");
        tensor(m, "0", 6, 0, new long[] {3, 2}, new long[] {1, 3}); // w.t()
        m.op('u');
        m.str("device")
                .global("torch", "device")
                .str("cpu")
                .op(0x85)
                .memoize()
                .op('R')
                .memoize();
        m.str("hyper_parameters").op('}').memoize().str("args");
        m.global("argparse", "Namespace").op(')').op(0x81).memoize(); // copyreg.__newobj__: NEWOBJ, then BUILD
        m.op('}').memoize().str("batch_size").integer(4).op('s').op('b').op('s');
        m.str("optimizer_states").op(']').memoize().op('}').memoize().op('(');
        m.str("state").op('}').memoize().integer(0).op('}').memoize().op('(');
        m.str("step").integer(5).str("exp_avg");
        tensor(m, "2", 6, 0, optShape, new long[] {3, 1});
        m.op('u').op('s');
        m.str("param_groups").op(']').memoize().op('}').memoize().op('(');
        m.str("betas").integer(9).integer(99).op(0x86).memoize();
        m.str("params").op(']').memoize().integer(0).op('a');
        m.op('u').op('a').op('u').op('a');
        m.str("global_step").integer(470).op('u');
        return TestPickles.legacy(
                protocol,
                m,
                new String[] {"0", "1", "2"},
                new byte[][] {floats(0, 1, 2, 3, 4, 5), floats(10, 11, 12), floats(6, 5, 4, 3, 2, 1)},
                4);
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5})
    void everyProtocolIsReadWithItsLogicalValues(int protocol, @TempDir Path dir) throws IOException {
        byte[] bytes = checkpoint(protocol, new long[] {2, 3});
        assertEquals(protocol, bytes[1]);
        Path file = dir.resolve("legacy-p" + protocol + ".ckpt");
        Files.write(file, bytes);
        assertTrue(TorchFile.startsLikeTorch(file));
        assertTrue(TorchFile.isTorchFile(file));
        try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
            assertEquals(List.of("w", "e", "t"), List.copyOf(c.names()));
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, c.bytes("w").toArray(F32));
            assertArrayEquals(new long[] {4, 3}, c.info("e").shape());
            assertArrayEquals(
                    new float[] {10, 11, 12, 10, 11, 12, 10, 11, 12, 10, 11, 12},
                    c.bytes("e").toArray(F32));
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, c.bytes("t").toArray(F32));
            assertEquals("470", c.metadata().get("global_step"));
            Map<?, ?> root = (Map<?, ?>) c.file().root();
            assertInstanceOf(Placeholder.class, root.get("device"));
            assertInstanceOf(Placeholder.class, ((Map<?, ?>) root.get("hyper_parameters")).get("args"));
        }
    }

    /**
     * The same file gets the same message whatever its extension (or none): the format is told by
     * its first bytes. Three files: a tensor claiming more than its storage (refused when read,
     * naming the tensor and the problem), a legacy file naming {@code posix.system} (refused at
     * open) and a torch zip archive cut in half (refused at open).
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4, 5})
    void theSameFileGetsTheSameMessageWhateverItsExtension(int protocol, @TempDir Path dir) throws IOException {
        byte[] tooBig = checkpoint(protocol, new long[] {4, 3});
        byte[] evil = TestPickles.legacy(
                protocol,
                new TestPickles(protocol)
                        .global("posix", "system")
                        .str("touch /tmp/sdclip-pwned")
                        .op(0x85)
                        .op('R'),
                new String[0],
                new byte[0][],
                4);
        byte[] zip = Files.readAllBytes(ReferenceData.require("models/tiny-sd15.ckpt"));
        Map<byte[], String> files = new java.util.LinkedHashMap<>();
        files.put(
                tooBig,
                "tensor state_dict.w of shape [4, 3] at offset 0 needs element 11 but its storage holds 6"
                        + " elements (it has more elements than its storage holds)");
        files.put(evil, "names the Python global posix.system, which is not on the allow-list (nothing was run)");
        files.put(
                java.util.Arrays.copyOf(zip, zip.length / 2),
                "is not a complete zip archive (no end of central directory record; truncated?)");
        for (var f : files.entrySet()) {
            String first = null;
            for (String name : List.of("bad.ckpt", "bad.pt", "bad.pth", "bad.bin", "bad.safetensors", "bad")) {
                Path file = Files.write(dir.resolve(name), f.getKey());
                Exception e = assertThrows(Exception.class, () -> {
                    try (TensorStore s = TensorFiles.open(file)) {
                        for (String t : s.names()) s.bytes(t);
                    }
                });
                assertInstanceOf(PickleException.class, e, e.toString());
                String message = e.getMessage();
                assertTrue(message.startsWith(file + ": "), message);
                String what = message.substring(file.toString().length());
                assertTrue(what.contains(f.getValue()), what);
                assertFalse(what.contains("not a PyTorch checkpoint") || what.contains("neither"), what);
                if (first == null) first = what;
                assertEquals(first, what, "the same message whatever the extension");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void theMachineReadsTheProtocolsOpcodesInMemory(int protocol) {
        byte[] bytes = checkpoint(protocol, new long[] {2, 3});
        try (TorchCheckpoint c = TorchCheckpoint.of(TorchFile.read(Path.of("mem.pt"), MemorySegment.ofArray(bytes)))) {
            assertEquals(3, c.names().size());
        }
    }

    /** An optimizer tensor that does not fit its storage leaves the model readable; only its own bytes are refused. */
    @ParameterizedTest
    @ValueSource(ints = {2, 5})
    void aBrokenTensorOutsideTheStateDictLeavesTheFileReadable(int protocol) {
        byte[] bytes = checkpoint(protocol, new long[] {2, 3}, new long[] {4, 3});
        try (TorchCheckpoint c =
                TorchCheckpoint.of(TorchFile.read(Path.of("opt.ckpt"), MemorySegment.ofArray(bytes)))) {
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, c.bytes("w").toArray(F32));
            Map<?, ?> root = (Map<?, ?>) c.file().root();
            Map<?, ?> opt = (Map<?, ?>) ((List<?>) root.get("optimizer_states")).getFirst();
            Map<?, ?> state = (Map<?, ?>) ((Map<?, ?>) opt.get("state")).get(0L);
            TorchTensor expAvg = (TorchTensor) state.get("exp_avg");
            PickleException e = assertThrows(PickleException.class, expAvg::bytes);
            assertTrue(
                    e.getMessage().contains("tensor optimizer_states.0.state.0.exp_avg of shape [4, 3]"),
                    e.getMessage());
        }
    }
}
