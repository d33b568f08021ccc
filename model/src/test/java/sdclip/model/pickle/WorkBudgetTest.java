package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.testdata.ReferenceData;

/**
 * The pickle machine's work budget, and the shapes that would be super-linear without it or
 * without bounded names: every file is an answer (a value or one line) in time linear in its size.
 */
class WorkBudgetTest {
    static final Duration BOUND = Duration.ofSeconds(5);

    /** Real checkpoints take under one step per byte of pickle: the budget of 32 leaves them a wide margin. */
    @ParameterizedTest
    @ValueSource(strings = {"models/tiny-sd15.ckpt", "embeddings/redfox-a1111.pt", "embeddings/learned_embeds.bin"})
    void realCheckpointsTakeFarLessThanTheBudget(String name) throws IOException {
        Path p = ReferenceData.require(name);
        try (Arena arena = Arena.ofConfined()) {
            ZipArchive zip = ZipArchive.read(p, MemorySegment.ofArray(Files.readAllBytes(p)), arena);
            ZipArchive.Entry entry = zip.entries().values().stream()
                    .filter(e -> e.name().endsWith("/data.pkl"))
                    .findFirst()
                    .orElseThrow();
            MemorySegment pickle = zip.data(entry);
            PickleMachine m = new PickleMachine(p, pickle, 0, pickle.byteSize(), pid -> TorchStorage.broken("unused"));
            m.run();
            assertTrue(m.work() > pickle.byteSize() / 8 && m.work() < pickle.byteSize(), m.work() + " steps");
        }
    }

    /** {@code set(L)} of a 20,000-item list, 100,000 times (700 KB): 2e9 values copied and hashed without the budget. */
    @Test
    void repeatedCopiesOfABigListExceedTheBudget() {
        TestPickles m = bigList(20_000);
        int list = m.lastMemo();
        m.global("builtins", "set");
        int set = m.lastMemo();
        for (int i = 0; i < 100_000; i++) m.get(set).get(list).op(0x85, 'R', '0');
        assertRefusedForWork(m.bytes());
    }

    /** {@code torch.Size(L)} likewise: each call copies the list into a tuple. */
    @Test
    void repeatedSizesOfABigListExceedTheBudget() {
        TestPickles m = bigList(20_000);
        int list = m.lastMemo();
        m.global("torch", "Size");
        int size = m.lastMemo();
        for (int i = 0; i < 100_000; i++) m.get(size).get(list).op(0x85, 'R', '0');
        assertRefusedForWork(m.bytes());
    }

    /** BUILD of a ParameterDict with the same 20,000-parameter state, 100,000 times. */
    @Test
    void repeatedBuildsOfABigStateExceedTheBudget() {
        TestPickles m = new TestPickles(2);
        m.global("torch.nn.modules.container", "ParameterDict").op(')', 'R').memoize();
        int dict = m.lastMemo();
        m.op('}').memoize();
        int state = m.lastMemo();
        m.op('(').str("_parameters").op('}').memoize().op('(');
        for (int i = 0; i < 20_000; i++) m.integer(i).op('N');
        m.op('u', 'u', '0');
        for (int i = 0; i < 100_000; i++) m.get(dict).get(state).op('b', '0');
        assertRefusedForWork(m.bytes());
    }

    /**
     * 50,000 tuple keys {@code (S, i)} around one 1 MB string S from the memo: a tuple hashes its
     * strings by their cached hash, so this is linear (it hashed S's characters once per key before).
     */
    @Test
    void tupleKeysAroundAHugeStringHashInConstantTime() {
        TestPickles m = new TestPickles(2);
        m.op(']').memoize();
        m.str("x".repeat(1 << 20));
        int big = m.lastMemo();
        m.op('0');
        for (int i = 0; i < 50_000; i++) m.op('}').get(big).integer(i).op(0x86, 'N', 's', 'a');
        byte[] pickle = m.bytes();
        Object root = assertTimeoutPreemptively(BOUND, () -> machine(pickle).run());
        assertEquals(50_000, ((List<?>) root).size());
        Map<?, ?> last = (Map<?, ?>) ((List<?>) root).getLast();
        assertTrue(last.containsKey(new Tuple("x".repeat(1 << 20), 49_999L)));
    }

    /**
     * A refusal names its tensor by its place in the object: 20,000 dicts keyed by one 1 MB string
     * beside it must not copy that string 20,000 times (names are cut at 200 characters).
     */
    @Test
    void namingATensorBesideHugeKeysIsLinear() {
        TestPickles m = new TestPickles(2);
        m.op('}').memoize().op('(').str("state_dict").op('}').memoize().str("w");
        BrokenTensorsTest.tensor(
                m, BrokenTensorsTest.pid("FloatStorage", "0", 16, false), 0, new long[] {8, 8}, new long[] {8, 1});
        m.op('s').str("many").op(']').memoize();
        m.str("k".repeat(1 << 20));
        int big = m.lastMemo();
        m.op('0');
        for (int i = 0; i < 20_000; i++) m.op('}').get(big).integer(i).op('s', 'a');
        m.op('u');
        byte[] zip = zip(m.bytes(), new byte[64]);
        PickleException e = assertTimeoutPreemptively(
                BOUND,
                () -> assertThrows(PickleException.class, () -> {
                    try (TorchCheckpoint c =
                            TorchCheckpoint.of(TorchFile.read(Path.of("keys.pt"), MemorySegment.ofArray(zip)))) {
                        c.bytes("w");
                    }
                }));
        assertTrue(e.getMessage().startsWith("keys.pt: tensor state_dict.w of shape [8, 8]"), e.getMessage());
    }

    /** 300,000 nested lists beside a broken tensor: nothing recurses over them, and its name is found in linear time. */
    @Test
    void deeplyNestedListsAnswerInBoundedTime() {
        TestPickles m = new TestPickles(2);
        m.op('}').memoize().op('(').str("state_dict").op('}').memoize().str("w");
        BrokenTensorsTest.tensor(
                m, BrokenTensorsTest.pid("FloatStorage", "0", 16, false), 0, new long[] {8, 8}, new long[] {8, 1});
        m.op('s').str("deep");
        for (int i = 0; i < 300_000; i++) m.op('(');
        for (int i = 0; i < 300_000; i++) m.op('l');
        m.str("nested tuples");
        for (int i = 0; i < 300_000; i++) m.op('(');
        for (int i = 0; i < 300_000; i++) m.op('t');
        m.op('u');
        byte[] zip = zip(m.bytes(), new byte[64]);
        PickleException e = assertTimeoutPreemptively(
                BOUND,
                () -> assertThrows(PickleException.class, () -> {
                    try (TorchCheckpoint c =
                            TorchCheckpoint.of(TorchFile.read(Path.of("deep.pt"), MemorySegment.ofArray(zip)))) {
                        assertEquals(List.of("w"), List.copyOf(c.names()));
                        c.bytes("w");
                    }
                }));
        assertTrue(e.getMessage().startsWith("deep.pt: tensor state_dict.w of shape [8, 8]"), e.getMessage());
    }

    /** A state dict name is built once per tensor: one over 4096 characters is refused rather than copied. */
    @Test
    void aStateDictNameOver4096CharactersIsRefused() {
        TestPickles m = new TestPickles(2);
        m.op('}').memoize().str("n".repeat(5000));
        BrokenTensorsTest.tensor(
                m, BrokenTensorsTest.pid("FloatStorage", "0", 16, false), 0, new long[] {16}, new long[] {1});
        m.op('s');
        byte[] zip = zip(m.bytes(), new byte[64]);
        PickleException e = assertThrows(
                PickleException.class,
                () -> TorchCheckpoint.of(TorchFile.read(Path.of("long.pt"), MemorySegment.ofArray(zip))));
        assertTrue(
                e.getMessage().startsWith("long.pt: has a state dict name over 4096 characters (nnnn"), e.getMessage());
    }

    static TestPickles bigList(int n) {
        TestPickles m = new TestPickles(2);
        m.op(']').memoize().op('(');
        for (int i = 0; i < n; i++) m.op('N');
        return m.op('e');
    }

    static PickleMachine machine(byte[] pickle) {
        MemorySegment s = MemorySegment.ofArray(pickle);
        return new PickleMachine(Path.of("bomb.pkl"), s, 0, s.byteSize(), null);
    }

    static void assertRefusedForWork(byte[] pickle) {
        PickleException e = assertTimeoutPreemptively(
                BOUND,
                () -> assertThrows(PickleException.class, () -> machine(pickle).run()));
        assertTrue(
                e.getMessage().contains("exceeds the reader's work budget (32 steps per byte read;"), e.getMessage());
    }

    static byte[] zip(byte[] pickle, byte[] storage0) {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", pickle);
        members.put("archive/data/0", storage0);
        return TestZips.write(members, false, false);
    }
}
