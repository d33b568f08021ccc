package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sdclip.engine.Device;
import sdclip.model.TextEncoder;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.ReferenceData;

/**
 * Tensors the towers do not need never make a file unreadable: tiny-sd15.safetensors saved as
 * {@code torch.save} writes a Lightning checkpoint (zip and legacy, built here byte by byte), with
 * one broken tensor under a UNet key of the state dict and one in {@code optimizer_states}. The
 * text tower encodes exactly as from the safetensors file; reading a broken tensor, and only
 * that, is refused with a line naming it and what is wrong.
 */
class BrokenTensorsTest {
    static final String UNET = "model.diffusion_model.broken.weight";
    static final String UNET_PATH = "state_dict." + UNET;
    static final String OPT_PATH = "optimizer_states.0.exp_avg";

    /** A broken tensor, written under storage key {@code key}: in which formats, and what its refusal says after the name. */
    enum Broken {
        MISSING_STORAGE(true, false, true, "cannot be read: its storage unet is not in the archive"),
        SHORT_STORAGE(
                true,
                false,
                true,
                "cannot be read: its storage unet claims 16 F32 elements (64 bytes) but holds 8 bytes"),
        CORRUPT_DEFLATED_STORAGE(
                true, false, true, "cannot be read: its storage unet is unreadable (deflated zip entry"),
        COMPLEX_DTYPE(
                true,
                true,
                false,
                "cannot be read: its storage unet has dtype torch.ComplexFloatStorage, which sdclip does not read"),
        PID_NOT_A_STORAGE(true, true, false, "cannot be read: its persistent id is not a storage reference"),
        PID_CLASS_NOT_A_STORAGE(
                true,
                true,
                false,
                "cannot be read: its persistent id names collections.OrderedDict where a storage class belongs"),
        VIEW_PAST_STORAGE(
                true,
                true,
                true,
                "of shape [8, 8] at offset 0 needs element 63 but its storage holds 16 elements (it has more elements than its storage holds)"),
        RANK_65(true, true, false, "has 65 dimensions (torch allows 64 at most)"),
        LEGACY_COUNT_MISMATCH(
                false, true, true, "cannot be read: its storage unet holds 3 elements but the pickle claims 16"),
        LEGACY_NOT_LISTED(false, true, true, "cannot be read: its storage unet is not in the file"),
        LEGACY_TRUNCATED(
                false, true, true, "cannot be read: its storage unet runs past the end of the file (truncated?)");
        final boolean zip, legacy, described;
        final String refusal;

        Broken(boolean zip, boolean legacy, boolean described, String refusal) {
            this.zip = zip;
            this.legacy = legacy;
            this.described = described;
            this.refusal = refusal;
        }
    }

    /** tiny-sd15.safetensors' conditioning of the prompts, computed once. */
    private static float[] want;

    /** One storage of the file: its key, the bytes written for it, and the element count a legacy file states before them. */
    record Storage(String key, byte[] bytes, long count) {}

    @ParameterizedTest
    @EnumSource(Broken.class)
    void aBrokenTensorNoTowerNeedsLeavesTheTowersReadable(Broken broken, @TempDir Path dir) throws IOException {
        Path reference = ReferenceData.require("models/tiny-sd15.safetensors");
        TextEncoder.Options options = TextEncoder.Options.defaults()
                .withDevice(Device.parse("cpu"))
                .withThreads(1)
                .withTokenizer(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"))
                .withHeads(4);
        List<String> prompts = List.of("a photo of a red fox in the snow", "");
        if (want == null) {
            try (TextEncoder enc = TextEncoder.open(reference, options)) {
                want = enc.encode(prompts).get("conditioning").floats();
            }
        }
        for (boolean legacy : new boolean[] {false, true}) {
            if (legacy ? !broken.legacy : !broken.zip) continue;
            Path file = Files.write(
                    dir.resolve(legacy ? "legacy.ckpt" : "zip.ckpt"), checkpoint(reference, broken, legacy));
            String where = broken + (legacy ? " (legacy)" : " (zip)");
            try (TextEncoder enc = TextEncoder.open(file, options)) {
                assertArrayEquals(want, enc.encode(prompts).get("conditioning").floats(), where);
            }
            try (TorchCheckpoint c = TorchCheckpoint.open(file);
                    SafetensorsFile sd = SafetensorsFile.open(reference)) {
                assertTrue(c.names().containsAll(sd.names()) && c.names().contains(UNET), where);
                for (String name : sd.names())
                    assertEquals(-1, sd.bytes(name).mismatch(c.bytes(name)), where + ": " + name);
                PickleException e = assertThrows(PickleException.class, () -> c.bytes(UNET), where);
                assertTrue(
                        e.getMessage().startsWith(file + ": tensor " + UNET_PATH + " "), where + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(broken.refusal), where + ": " + e.getMessage());
                if (broken.described) {
                    assertEquals(TensorType.F32, c.info(UNET).type(), where);
                    assertEquals(
                            broken == Broken.VIEW_PAST_STORAGE ? 64 : 16,
                            c.info(UNET).elements(),
                            where);
                } else {
                    PickleException i = assertThrows(PickleException.class, () -> c.info(UNET), where);
                    assertEquals(e.getMessage(), i.getMessage(), where);
                }
                Map<?, ?> root = (Map<?, ?>) c.file().root();
                Map<?, ?> opt = (Map<?, ?>) ((List<?>) root.get("optimizer_states")).getFirst();
                PickleException o = assertThrows(PickleException.class, ((TorchTensor) opt.get("exp_avg"))::bytes);
                assertTrue(o.getMessage().startsWith(file + ": tensor " + OPT_PATH + " "), o.getMessage());
                assertEquals(1, o.getMessage().lines().count());
            }
        }
    }

    /** tiny-sd15's tensors, then {@link #UNET} broken as {@code broken} says, in a Lightning checkpoint with an optimizer entry broken alike. */
    static byte[] checkpoint(Path reference, Broken broken, boolean legacy) throws IOException {
        TestPickles m = new TestPickles(2);
        List<Storage> storages = new ArrayList<>();
        m.op('}').memoize().op('(');
        m.str("state_dict")
                .global("collections", "OrderedDict")
                .op(')')
                .op('R')
                .memoize()
                .op('(');
        try (SafetensorsFile sd = SafetensorsFile.open(reference)) {
            for (String name : sd.names()) {
                TensorInfo i = sd.info(name);
                String key = String.valueOf(storages.size());
                m.str(name);
                tensor(m, pid(storageClass(i.type()), key, i.elements(), legacy), 0, i.shape(), contiguous(i.shape()));
                storages.add(new Storage(key, sd.bytes(name).toArray(ValueLayout.JAVA_BYTE), i.elements()));
            }
        }
        m.str(UNET);
        broken(m, broken, "unet", legacy, storages);
        m.op('u');
        m.str("optimizer_states").op(']').memoize().op('}').memoize().str("exp_avg");
        broken(m, broken, "opt", legacy, storages);
        m.op('s').op('a');
        m.str("global_step").integer(470).op('u');
        if (legacy) {
            List<Storage> listed = new ArrayList<>(storages);
            if (broken == Broken.LEGACY_NOT_LISTED) listed.removeIf(s -> !s.key.matches("[0-9]+"));
            byte[] file = TestPickles.legacy(
                    2,
                    m,
                    listed.stream().map(Storage::key).toArray(String[]::new),
                    listed.stream().map(Storage::bytes).toArray(byte[][]::new),
                    listed.stream().mapToLong(Storage::count).toArray());
            return broken == Broken.LEGACY_TRUNCATED ? java.util.Arrays.copyOf(file, file.length - 64 - 8 - 40) : file;
        }
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", m.bytes());
        for (Storage s : storages) {
            if (broken == Broken.MISSING_STORAGE && !s.key.matches("[0-9]+")) continue;
            members.put("archive/data/" + s.key, s.bytes);
        }
        boolean deflate = broken == Broken.CORRUPT_DEFLATED_STORAGE;
        byte[] zip = TestZips.write(members, deflate, false);
        if (deflate) {
            corrupt(zip, "archive/data/unet");
            corrupt(zip, "archive/data/opt");
        }
        return zip;
    }

    /** Writes a broken F32 tensor of 16 elements on storage {@code key}, adding what storage it needs. */
    static void broken(TestPickles m, Broken broken, String key, boolean legacy, List<Storage> storages) {
        long[] shape = {4, 4};
        byte[] sixteen = new byte[64];
        switch (broken) {
            case MISSING_STORAGE, CORRUPT_DEFLATED_STORAGE, LEGACY_NOT_LISTED -> {
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, shape, contiguous(shape));
                storages.add(new Storage(key, sixteen, 16));
            }
            case SHORT_STORAGE -> {
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, shape, contiguous(shape));
                storages.add(new Storage(key, new byte[8], 2));
            }
            case COMPLEX_DTYPE -> {
                tensor(m, pid("ComplexFloatStorage", key, 16, legacy), 0, shape, contiguous(shape));
                storages.add(new Storage(key, new byte[128], 16));
            }
            case PID_NOT_A_STORAGE ->
                tensor(
                        m,
                        p -> p.op('(')
                                .str("storage")
                                .global("torch", "FloatStorage")
                                .str(key)
                                .op('t')
                                .memoize(),
                        0,
                        shape,
                        contiguous(shape));
            case PID_CLASS_NOT_A_STORAGE ->
                tensor(
                        m,
                        p -> {
                            p.op('(')
                                    .str("storage")
                                    .global("collections", "OrderedDict")
                                    .str(key)
                                    .str("cpu")
                                    .integer(16);
                            if (legacy) p.op('N');
                            p.op('t').memoize();
                        },
                        0,
                        shape,
                        contiguous(shape));
            case VIEW_PAST_STORAGE -> {
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, new long[] {8, 8}, new long[] {8, 1});
                storages.add(new Storage(key, sixteen, 16));
            }
            case RANK_65 -> {
                long[] ones = new long[65];
                java.util.Arrays.fill(ones, 1);
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, ones, ones);
                storages.add(new Storage(key, sixteen, 16));
            }
            case LEGACY_COUNT_MISMATCH -> {
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, shape, contiguous(shape));
                storages.add(new Storage(key, new byte[12], 3));
            }
            case LEGACY_TRUNCATED -> {
                tensor(m, pid("FloatStorage", key, 16, legacy), 0, shape, contiguous(shape));
                storages.add(new Storage(key, key.equals("opt") ? new byte[40] : sixteen, key.equals("opt") ? 10 : 16));
            }
        }
    }

    /** {@code _rebuild_tensor_v2(<pid> BINPERSID, offset, shape, stride, False, OrderedDict())}, as torch pickles a tensor. */
    static void tensor(TestPickles m, Consumer<TestPickles> pid, long offset, long[] shape, long[] stride) {
        m.global("torch._utils", "_rebuild_tensor_v2").op('(');
        pid.accept(m);
        m.op('Q').memoize();
        m.integer(offset).ints(shape).ints(stride).op(0x89);
        m.global("collections", "OrderedDict").op(')').op('R').memoize();
        m.op('t').memoize().op('R').memoize();
    }

    /** {@code ('storage', torch.<cls>, key, 'cpu', numel)}, and a None view field in a legacy file. */
    static Consumer<TestPickles> pid(String cls, String key, long numel, boolean legacy) {
        return m -> {
            m.op('(').str("storage").global("torch", cls).str(key).str("cpu").integer(numel);
            if (legacy) m.op('N');
            m.op('t').memoize();
        };
    }

    static String storageClass(TensorType t) {
        return switch (t) {
            case F32 -> "FloatStorage";
            case F16 -> "HalfStorage";
            case I64 -> "LongStorage";
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    static long[] contiguous(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        return stride;
    }

    /** Overwrites the deflated bytes of member {@code name} with a stream deflate refuses (a reserved block type). */
    static void corrupt(byte[] zip, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        for (int at = 30; at + n.length <= zip.length; at++) {
            if (java.util.Arrays.equals(zip, at, at + n.length, n, 0, n.length)
                    && zip[at - 30] == 'P'
                    && zip[at - 29] == 'K') {
                int extra = (zip[at - 2] & 0xff) | (zip[at - 1] & 0xff) << 8;
                int data = at + n.length + extra;
                zip[data] = (byte) 0x07; // BFINAL=1, BTYPE=11: reserved
                return;
            }
        }
        throw new IllegalStateException(name + " not found");
    }
}
