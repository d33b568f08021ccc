package sdclip.model.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryKindOfValue() {
        Map<String, Object> o = Json.parseObject(
                " {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\"], \"b\": {}, \"c\": 9223372036854775807, \"d\": 1e400} ");
        assertEquals(List.of(1L, -2500.0, true, false, Json.NULL, "xé\n"), o.get("a"));
        assertEquals(Map.of(), o.get("b"));
        assertEquals(Long.MAX_VALUE, o.get("c"));
        assertEquals(Double.POSITIVE_INFINITY, o.get("d"));
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(o.keySet()), "key order is kept");
    }

    @Test
    void deepNestingFailsCleanly() {
        String deep = "[".repeat(200_000) + "]".repeat(200_000);
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));
        assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("{\"a\":".repeat(200_000)));
    }

    @Test
    void rejectsMalformedInput() {
        for (String bad : new String[] {
            "",
            "{",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "\"a",
            "{\"a\":1}x",
            "{\"a\":1,\"a\":2}",
            "tru",
            "[\"\u0001\"]",
            "{1:2}",
            "'a'",
            "NaN"
        }) {
            assertThrows(JsonException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void quoteRoundTrips() {
        String s = "q\"b\\s\n\t\u0001\u2028é😀\uD800";
        assertEquals(s, Json.parse(Json.quote(s)));
    }
}
