package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pickle machine on small hand-built and Python-written byte strings. */
class PickleMachineTest {
    static final Path FILE = Path.of("test.pkl");

    static Object run(byte[] pickle) {
        return new PickleMachine(FILE, MemorySegment.ofArray(pickle), 0, pickle.length, null).run();
    }

    static Object run(String hex) {
        return run(HexFormat.of().parseHex(hex));
    }

    static PickleException refused(String hex) {
        return assertThrows(PickleException.class, () -> run(hex));
    }

    /** {@code pickle.dumps(obj, protocol=p)} of the object in {@link #samePythonObjectInEveryProtocol}, by Python 3.11. */
    static final String[] PYTHON = {
        "286470300a56610a70310a49310a7356620a70320a492d320a73566269670a70330a4c313039393531313632373737364c0a73566e65670a70340a4c2d313138303539313632303731373431313330333432344c0a7356660a70350a46322e350a7356730a70360a5668e96c6c6f205c75323630330a70370a73566c0a70380a286c70390a49310a6149320a6149330a617356740a7031300a2849310a56780a7031310a747031320a73566e0a7031330a4e7356790a7031340a4930310a73567365740a7031350a635f5f6275696c74696e5f5f0a7365740a7031360a28286c7031370a49350a61747031380a527031390a73566f640a7032300a63636f6c6c656374696f6e730a4f726465726564446963740a7032310a2874527032320a6731310a49310a7373566d310a7032330a286c7032340a49370a6173566d320a7032350a6732340a732e",
        "7d71002858010000006171014b0158010000006271024afeffffff580300000062696771034c313039393531313632373737364c0a58030000006e656771044c2d313138303539313632303731373431313330333432344c0a58010000006671054740040000000000005801000000737106580a00000068c3a96c6c6f20e29883710758010000006c71085d7109284b014b024b0365580100000074710a284b01580100000078710b74710c58010000006e710d4e580100000079710e4930310a5803000000736574710f635f5f6275696c74696e5f5f0a7365740a7110285d71114b056174711252711358020000006f64711463636f6c6c656374696f6e730a4f726465726564446963740a711529527116680b4b017358020000006d3171175d71184b076158020000006d3271196818752e",
        "80027d71002858010000006171014b0158010000006271024afeffffff580300000062696771038a0600000000000158030000006e656771048a090000000000000000c058010000006671054740040000000000005801000000737106580a00000068c3a96c6c6f20e29883710758010000006c71085d7109284b014b024b0365580100000074710a4b01580100000078710b86710c58010000006e710d4e580100000079710e885803000000736574710f635f5f6275696c74696e5f5f0a7365740a71105d71114b056185711252711358020000006f64711463636f6c6c656374696f6e730a4f726465726564446963740a711529527116680b4b017358020000006d3171175d71184b076158020000006d3271196818752e",
        "80037d71002858010000006171014b0158010000006271024afeffffff580300000062696771038a0600000000000158030000006e656771048a090000000000000000c058010000006671054740040000000000005801000000737106580a00000068c3a96c6c6f20e29883710758010000006c71085d7109284b014b024b0365580100000074710a4b01580100000078710b86710c58010000006e710d4e580100000079710e885803000000736574710f636275696c74696e730a7365740a71105d71114b056185711252711358020000006f64711463636f6c6c656374696f6e730a4f726465726564446963740a711529527116680b4b017358020000006d3171175d71184b076158020000006d3271196818752e",
        "800495bd000000000000007d94288c0161944b018c0162944afeffffff8c03626967948a060000000000018c036e6567948a090000000000000000c08c0166944740040000000000008c0173948c0a68c3a96c6c6f20e29883948c016c945d94284b014b024b03658c0174944b018c01789486948c016e944e8c017994888c03736574948f94284b05908c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294680b4b01738c026d31945d944b07618c026d32946817752e",
        "800595bd000000000000007d94288c0161944b018c0162944afeffffff8c03626967948a060000000000018c036e6567948a090000000000000000c08c0166944740040000000000008c0173948c0a68c3a96c6c6f20e29883948c016c945d94284b014b024b03658c0174944b018c01789486948c016e944e8c017994888c03736574948f94284b05908c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294680b4b01738c026d31945d944b07618c026d32946817752e",
    };

    /**
     * shared = [7]; {'a': 1, 'b': -2, 'big': 2**40, 'neg': -(2**70), 'f': 2.5, 's': 'héllo ☃', 'l': [1, 2, 3], 't': (1, 'x'),
     * 'n': None, 'y': True, 'set': {5}, 'od': OrderedDict([('x', 1)]), 'm1': shared, 'm2': shared}
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void samePythonObjectInEveryProtocol(int protocol) {
        Map<?, ?> m = assertInstanceOf(Map.class, run(PYTHON[protocol]));
        assertEquals(
                List.of("a", "b", "big", "neg", "f", "s", "l", "t", "n", "y", "set", "od", "m1", "m2"),
                List.copyOf(m.keySet()));
        assertEquals(1L, m.get("a"));
        assertEquals(-2L, m.get("b"));
        assertEquals(1L << 40, m.get("big"));
        assertEquals(BigInteger.TWO.pow(70).negate(), m.get("neg"));
        assertEquals(2.5, m.get("f"));
        assertEquals("h\u00e9llo \u2603", m.get("s"));
        assertEquals(List.of(1L, 2L, 3L), m.get("l"));
        assertEquals(List.of(1L, "x"), m.get("t"));
        assertTrue(m.containsKey("n") && m.get("n") == null);
        assertEquals(Boolean.TRUE, m.get("y"));
        assertEquals(Set.of(5L), m.get("set"));
        assertEquals(Map.of("x", 1L), m.get("od"));
        assertEquals(List.of(7L), m.get("m1"));
        assertSame(m.get("m1"), m.get("m2"), "a memo GET returns the object PUT, not a copy");
    }

    @Test
    void dictOfIntsByHand() {
        // PROTO 2, EMPTY_DICT, BINPUT 0, MARK, BINUNICODE "a", BININT1 1, SHORT_BINUNICODE "b", BININT2 515, BINUNICODE
        // "c", BININT -1, SETITEMS, STOP
        Map<?, ?> m = assertInstanceOf(
                Map.class,
                run("80027d71002858010000006" + "14b01" + "8c01624d0302" + "5801000000634affffffff" + "752e"));
        assertEquals(Map.of("a", 1L, "b", 515L, "c", -1L), m);
    }

    @Test
    void memoPutAndGet() {
        // EMPTY_LIST, BINPUT 3, EMPTY_LIST, BINGET 3, APPEND, LONG_BINPUT 9, LONG_BINGET 9, TUPLE2, STOP: ([[]] , [[]])
        // with the inner list shared
        List<?> t = assertInstanceOf(List.class, run("5d71035d6803617209000000" + "6a09000000862e"));
        assertEquals(2, t.size());
        assertSame(t.get(0), t.get(1));
        assertEquals(List.of(List.of()), t.get(0));
        assertTrue(refused("8002680571002e").getMessage().contains("memo entry 5"));
    }

    @Test
    void disallowedGlobalsAreRefusedByName() {
        // GLOBAL 'os system', SHORT_BINUNICODE 'ls', TUPLE1, REDUCE, STOP
        PickleException e = refused("8002" + hex("cos\nsystem\n") + "8c026c7385522e");
        assertTrue(e.getMessage().startsWith("test.pkl: "), e.getMessage());
        assertTrue(e.getMessage().contains("os.system"), e.getMessage());
        // STACK_GLOBAL 'builtins' 'getattr'
        assertTrue(refused("80048c086275696c74696e738c07676574617474729329522e")
                .getMessage()
                .contains("builtins.getattr"));
        // INST '__builtin__ eval' (protocol 0): Python 3 reads it as builtins.eval
        e = refused("28" + hex("i__builtin__\neval\n") + "2e");
        assertTrue(e.getMessage().contains("__builtin__.eval (builtins.eval in Python 3)"), e.getMessage());
    }

    @Test
    void allowedPlaceholdersAreInert() {
        // GLOBAL 'pytorch_lightning.x Thing', EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, BUILD, STOP
        Object o = run("8002" + hex("cpytorch_lightning.x\nThing\n") + "29817d622e");
        assertEquals(new Placeholder("pytorch_lightning.x.Thing"), o);
    }

    @Test
    void unsupportedOpcodesAreRefusedByName() {
        assertTrue(refused("8002820100").getMessage().contains("opcode 0x82"), "EXT1");
        assertTrue(refused("8005972e").getMessage().contains("opcode 0x97"), "NEXT_BUFFER");
        assertTrue(refused("80027a2e").getMessage().contains("opcode 0x7a ('z')"));
        assertTrue(refused("8006").getMessage().contains("protocol 6"));
    }

    @Test
    void malformedPicklesFailCleanly() {
        assertTrue(refused("80027d").getMessage().contains("truncated"), "no STOP");
        assertTrue(refused("800258ffffff7f").getMessage().contains("past the end"), "a string longer than the pickle");
        assertTrue(refused("80025d5d4b01732e").getMessage().contains("not a dict"), "SETITEM on a list");
        assertTrue(refused("80027d5d4b01732e").getMessage().contains("unhashable"), "a list as a dict key");
        assertTrue(refused("8002302e").getMessage().contains("empty stack"));
        assertTrue(refused("80027d284b01752e").getMessage().contains("odd number"));
        assertTrue(refused("80024b0129522e").getMessage().contains("REDUCE calls a int"));
    }

    @Test
    void aPickleBombIsRefusedBeforeItGrows() {
        // a list of 1000 ints, then set(that list) built 20000 times from the memo: 5 bytes each, 1000 values each
        StringBuilder b = new StringBuilder("8002" + hex("c__builtin__\nset\n") + "7101" + "5d28");
        for (int i = 0; i < 1000; i++) b.append(String.format("4d%02x%02x", i & 0xff, i >> 8)); // BININT2 i
        b.append("65" + "85" + "7102");
        b.append("6801680252".repeat(20000)).append("2e");
        assertTrue(refused(b.toString()).getMessage().contains("pickle bomb"));
    }

    static String hex(String ascii) {
        return HexFormat.of().formatHex(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }
}
