package sdclip.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import sdclip.model.json.Json;

/** The commands' {@code --json} lines are strict JSON, non-finite numbers included (as null). */
class CommandJsonTest {
    @Test
    void commandJsonWithNonFiniteNumbersParses() {
        Map<String, Object> sim = Json.parseObject(
                SimilarityCommand.json(List.of("a", "b\""), new double[] {0.25, Double.NaN}, Double.NaN));
        List<?> results = (List<?>) sim.get("results");
        assertEquals(0.25, ((Number) ((Map<?, ?>) results.get(0)).get("cosine")).doubleValue());
        assertEquals("b\"", ((Map<?, ?>) results.get(1)).get("text"));
        assertEquals(Json.NULL, ((Map<?, ?>) results.get(1)).get("cosine"));
        List<BenchCommand.Result> rs = List.of(
                new BenchCommand.Result(BenchCommand.WORKLOADS.get(0), 1.23456, Double.POSITIVE_INFINITY, 5),
                new BenchCommand.Result(BenchCommand.WORKLOADS.get(2), Double.NaN, 2.0, 7));
        String line = BenchCommand.json(rs, 12.345, Double.NaN, 2, "cpu \"x\"", Path.of("m.safetensors"));
        assertTrue(line.contains("\"ms_per_prompt\": 1.235, \"gflops\": null"), line); // the fixed decimals stay
        Map<String, Object> bench = Json.parseObject(line);
        assertEquals(Json.NULL, bench.get("linear_gflops"));
        assertEquals("cpu \"x\"", bench.get("backend"));
        assertEquals(12.3, ((Number) bench.get("first_result_ms")).doubleValue());
        assertEquals(Json.NULL, ((Map<?, ?>) ((List<?>) bench.get("results")).get(1)).get("ms_per_prompt"));
        assertEquals("pooled", ((Map<?, ?>) ((List<?>) bench.get("results")).get(1)).get("path"));
    }
}
