package sdclip.model.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import sdclip.model.PromptException;

/**
 * Both parsers against a table of prompts. Expected values are what AUTOMATIC1111's (1.6 and
 * later) {@code parse_prompt_attention} and ComfyUI's {@code token_weights} (with
 * {@code escape_important}/{@code unescape_important}) return under CPython, doubles printed by
 * {@code repr}.
 */
class PromptParserTest {
    private static final Object BR = Break.INSTANCE;
    private static final double DOWN = 0.9090909090909091;

    /** Alternating text and weight, or {@link #BR}. */
    private static List<PromptPart> parts(Object... items) {
        List<PromptPart> out = new ArrayList<>();
        for (int i = 0; i < items.length; i++) {
            if (items[i] == BR) out.add(Break.INSTANCE);
            else out.add(new Fragment((String) items[i], ((Number) items[++i]).doubleValue()));
        }
        return out;
    }

    static Stream<Arguments> a1111() {
        return Stream.of(
                Arguments.of("(masterpiece:1.2), [blurry]", parts("masterpiece", 1.2, ", ", 1.0, "blurry", DOWN)),
                Arguments.of("((a:1.5))", parts("a", 1.6500000000000001)),
                Arguments.of("((a):1.5)", parts("a", 1.6500000000000001)),
                Arguments.of("\\(literal\\)", parts("(literal)", 1.0)),
                Arguments.of("\\[x\\]", parts("[x]", 1.0)),
                Arguments.of("a\\\\b", parts("a\\b", 1.0)),
                Arguments.of("a\\b", parts("ab", 1.0)),
                Arguments.of("a) b", parts("a) b", 1.0)),
                Arguments.of("a ] b", parts("a ] b", 1.0)),
                Arguments.of(":1.2)", parts(":1.2)", 1.0)),
                Arguments.of("(unclosed", parts("unclosed", 1.1)),
                Arguments.of("[unclosed", parts("unclosed", DOWN)),
                Arguments.of("(a (b)", parts("a ", 1.1, "b", 1.2100000000000002)),
                Arguments.of("a) (b)", parts("a) ", 1.0, "b", 1.1)),
                Arguments.of("a BREAK b", parts("a", 1.0, BR, "b", 1.0)),
                Arguments.of("aBREAKb", parts("aBREAKb", 1.0)),
                Arguments.of("\u00e9BREAK", parts("\u00e9BREAK", 1.0)),
                Arguments.of("a\u00a0BREAK\u00a0b", parts("a", 1.0, BR, "b", 1.0)),
                Arguments.of("BREAK", parts("", 1.0, BR, "", 1.0)),
                Arguments.of("a BREAK", parts("a", 1.0, BR, "", 1.0)),
                Arguments.of("BREAK a", parts("", 1.0, BR, "a", 1.0)),
                Arguments.of("a BREAK BREAK b", parts("a", 1.0, BR, "", 1.0, BR, "b", 1.0)),
                Arguments.of("(a BREAK b)", parts("a", 1.1, "BREAK", -1.1, "b", 1.1)),
                Arguments.of("(x:-1)BREAK", parts("x", -1.0, "", 1.0, BR, "", 1.0)),
                Arguments.of("[[x]]", parts("x", 0.8264462809917354)),
                Arguments.of("[x]", parts("x", DOWN)),
                Arguments.of("", parts("", 1.0)),
                Arguments.of("(:1.5)", parts("", 1.0)),
                Arguments.of("(a:b)", parts("a:b", 1.1)),
                Arguments.of("(a:1_0)", parts("a:1_0", 1.1)),
                Arguments.of("(a:+.5)", parts("a", 0.5)),
                Arguments.of("(a:\uff11.\uff15)", parts("a", 1.5)),
                Arguments.of("(a)(b)", parts("ab", 1.1)),
                // A1111 1.6+: whitespace around the weight (its re_attention's \s*).
                Arguments.of("(masterpiece: 1.2)", parts("masterpiece", 1.2)),
                Arguments.of("(fog :0.7 )", parts("fog ", 0.7)),
                Arguments.of("(a:\t1.5\n)", parts("a", 1.5)),
                Arguments.of("(a:\u30001.5\u00a0)", parts("a", 1.5)),
                Arguments.of("((a: 1.5 ))", parts("a", 1.6500000000000001)),
                Arguments.of("a : 1.2) b", parts("a : 1.2) b", 1.0)),
                Arguments.of("(a: b)", parts("a: b", 1.1)),
                Arguments.of(
                        "(masterpiece: 1.2), (fog :0.7 ), [blurry]",
                        parts("masterpiece", 1.2, ", ", 1.0, "fog ", 0.7, ", ", 1.0, "blurry", DOWN)),
                Arguments.of(
                        "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
                        parts(
                                "a ",
                                1.0,
                                "house",
                                1.5730000000000004,
                                " ",
                                1.1,
                                "on",
                                1.0,
                                " a ",
                                1.1,
                                "hill",
                                0.55,
                                ", sun, ",
                                1.1,
                                "sky",
                                1.4641000000000006,
                                ".",
                                1.1)));
    }

    static Stream<Arguments> comfy() {
        return Stream.of(
                Arguments.of("(masterpiece:1.2), [blurry]", parts("masterpiece", 1.2, ", [blurry]", 1.0)),
                Arguments.of("((a:1.5))", parts("a", 1.5)),
                Arguments.of("((a):1.5)", parts("a", 1.6500000000000001)),
                Arguments.of("\\(literal\\)", parts("(literal)", 1.0)),
                Arguments.of("[x]", parts("[x]", 1.0)),
                Arguments.of("[[x]]", parts("[[x]]", 1.0)),
                Arguments.of("a\\\\b", parts("a\\\\b", 1.0)),
                Arguments.of("a) b", parts("a) b", 1.0)),
                Arguments.of("a) (b)", parts("a) (b)", 1.0)),
                Arguments.of("(unclosed", parts("(unclosed", 1.0)),
                Arguments.of("(a (b)", parts("a ", 1.1, "(b", 1.1)),
                Arguments.of("a BREAK b", parts("a BREAK b", 1.0)),
                Arguments.of("aBREAKb", parts("aBREAKb", 1.0)),
                Arguments.of("", parts()),
                Arguments.of("(:1.5)", parts(":1.5", 1.1)),
                Arguments.of("(a:b)", parts("a:b", 1.1)),
                Arguments.of("(a:1.2.3)", parts("a:1.2.3", 1.1)),
                Arguments.of("(a:1_0)", parts("a", 10.0)),
                Arguments.of("(a: 2 )", parts("a", 2.0)),
                Arguments.of("(a:+.5)", parts("a", 0.5)),
                Arguments.of("(a)(b)", parts("a", 1.1, "b", 1.1)),
                Arguments.of(
                        "foo ((((lol (cat:666) attack:100)))) baz",
                        parts("foo ", 1.0, "lol ", 100.0, "cat", 666.0, " attack", 100.0, " baz", 1.0)),
                Arguments.of(
                        "foo ((((lol (cat:666) attack):100))) baz",
                        parts(
                                "foo ",
                                1.0,
                                "lol ",
                                110.00000000000001,
                                "cat",
                                666.0,
                                " attack",
                                110.00000000000001,
                                " baz",
                                1.0)));
    }

    @ParameterizedTest(name = "a1111 {0}")
    @MethodSource("a1111")
    void a1111(String prompt, List<PromptPart> expected) {
        assertEquals(expected, A1111Parser.parse(prompt));
        assertEquals(expected, PromptSyntax.A1111.parse(prompt));
    }

    @ParameterizedTest(name = "comfy {0}")
    @MethodSource("comfy")
    void comfy(String prompt, List<PromptPart> expected) {
        assertEquals(expected, ComfyParser.parse(prompt));
        assertEquals(expected, PromptSyntax.COMFY.parse(prompt));
    }

    @Test
    void a1111WeightThatIsNotANumberFailsAsInA1111() {
        assertThrows(PromptException.class, () -> A1111Parser.parse("(a:1.2.3)"));
        assertThrows(PromptException.class, () -> A1111Parser.parse("(a:.)"));
        assertThrows(PromptException.class, () -> A1111Parser.parse("(a :1.2.3 )"));
    }

    @Test
    void plainIsOneFragment() {
        assertEquals(parts("(a:2) BREAK [b]", 1.0), PromptSyntax.PLAIN.parse("(a:2) BREAK [b]"));
    }
}
