package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.cli.CliTest.ref;
import static sdclip.cli.CliTest.run;
import static sdclip.cli.CliTest.vocab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;

/** {@code --steps}: A1111's schedules through {@code tokenize} and {@code encode}. */
class ScheduleCliTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void tokenizePrintsTheScheduleOfEachSubPrompt() {
        CliTest.Run r = run(
                "tokenize",
                "--tokenizer",
                vocab(),
                "--syntax",
                "a1111",
                "--steps",
                "4",
                "--json",
                "a <lora:detail:0.8>[red:blue:0.5] fox AND a cat :0.5",
                "plain");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size());
        Map<String, Object> first = Json.parseObject(lines.get(0));
        assertEquals(4.0, ((Number) first.get("steps")).doubleValue());
        List<Object> subs = (List<Object>) first.get("subprompts");
        Map<String, Object> s1 = (Map<String, Object>) subs.get(0), s2 = (Map<String, Object>) subs.get(1);
        assertEquals("a [red:blue:0.5] fox", s1.get("text"));
        assertEquals(1.0, ((Number) s1.get("weight")).doubleValue());
        List<Object> schedule = (List<Object>) s1.get("schedule");
        assertEquals(2, schedule.size());
        Map<String, Object> e1 = (Map<String, Object>) schedule.get(0), e2 = (Map<String, Object>) schedule.get(1);
        assertEquals(2.0, ((Number) e1.get("end_at_step")).doubleValue());
        assertEquals("a red fox", e1.get("text"));
        assertEquals(4.0, ((Number) e2.get("end_at_step")).doubleValue());
        assertEquals("a blue fox", e2.get("text"));
        List<Object> ids =
                (List<Object>) ((Map<String, Object>) ((List<Object>) e2.get("chunks")).getFirst()).get("ids");
        assertEquals(
                List.of(49406.0, 320.0, 1746.0, 3240.0, 49407.0),
                ids.subList(0, 5).stream().map(o -> ((Number) o).doubleValue()).toList());
        assertEquals(" a cat", s2.get("text"));
        assertEquals(0.5, ((Number) s2.get("weight")).doubleValue());
        // With --steps given, a prompt with nothing to schedule is one entry too.
        Map<String, Object> second = Json.parseObject(lines.get(1));
        assertEquals(1, ((List<Object>) second.get("subprompts")).size());
        // Without --steps, such a prompt prints as before: its chunks.
        CliTest.Run plain = run("tokenize", "--tokenizer", vocab(), "--syntax", "a1111", "--json", "a <lora:x:1>cat");
        assertEquals(0, plain.code(), plain.err());
        Map<String, Object> p = Json.parseObject(plain.out().strip());
        assertEquals("a <lora:x:1>cat", p.get("text"));
        assertTrue(
                p.containsKey("chunks") && !p.containsKey("subprompts"),
                p.keySet().toString());
        assertFalse(plain.out().contains("lora</w>"), plain.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void encodeWritesARowPerEntryWithTheSchedule() throws IOException {
        Path out = dir.resolve("s.safetensors");
        CliTest.Run r = encode(out, "--steps", "4", "a [red:blue:0.5] fox AND a cat :0.5", "[cat|dog]");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(new long[] {7, 77, 64}, f.info("conditioning").shape());
            assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1, 1}, f.longs("schedule_prompt"));
            assertArrayEquals(new long[] {0, 0, 1, 0, 0, 0, 0}, f.longs("schedule_subprompt"));
            assertArrayEquals(new long[] {2, 4, 4, 1, 2, 3, 4}, f.longs("schedule_end_step"));
            assertArrayEquals(new float[] {1, 1, 0.5f, 1, 1, 1, 1}, f.floats("subprompt_weight"));
            assertEquals("4", f.metadata().get("steps"));
            assertEquals("2", f.metadata().get("prompt_count"));
        }
        // .jsonl: one object per prompt, its schedule nested, each entry with its row's tensors.
        Path jsonl = dir.resolve("s.jsonl");
        CliTest.Run j = encode(
                jsonl,
                "--steps",
                "4",
                "--tensors",
                "chunks,schedule_end_step",
                "a [red:blue:0.5] fox AND a cat :0.5",
                "plain",
                "[cat|dog]");
        assertEquals(0, j.code(), j.err());
        assertEquals(
                List.of(
                        "{\"text\": \"a [red:blue:0.5] fox AND a cat :0.5\", \"steps\": 4, \"subprompts\": ["
                                + "{\"text\": \"a [red:blue:0.5] fox\", \"weight\": 1.0, \"schedule\": ["
                                + "{\"end_at_step\": 2, \"text\": \"a red fox\", \"chunks\": 1}, "
                                + "{\"end_at_step\": 4, \"text\": \"a blue fox\", \"chunks\": 1}]}, "
                                + "{\"text\": \" a cat\", \"weight\": 0.5, \"schedule\": ["
                                + "{\"end_at_step\": 4, \"text\": \" a cat\", \"chunks\": 1}]}]}",
                        "{\"text\": \"plain\", \"steps\": 4, \"subprompts\": [{\"text\": \"plain\", \"weight\": 1.0,"
                                + " \"schedule\": [{\"end_at_step\": 4, \"text\": \"plain\", \"chunks\": 1}]}]}",
                        "{\"text\": \"[cat|dog]\", \"steps\": 4, \"subprompts\": [{\"text\": \"[cat|dog]\", \"weight\": 1.0,"
                                + " \"schedule\": [{\"end_at_step\": 1, \"text\": \"cat\", \"chunks\": 1}, "
                                + "{\"end_at_step\": 2, \"text\": \"dog\", \"chunks\": 1}, "
                                + "{\"end_at_step\": 3, \"text\": \"cat\", \"chunks\": 1}, "
                                + "{\"end_at_step\": 4, \"text\": \"dog\", \"chunks\": 1}]}]}"),
                Files.readAllLines(jsonl));
        // Each entry's tensors (all of them, to standard output) are its row's in the .safetensors output.
        CliTest.Run all = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--syntax",
                "a1111",
                "--steps",
                "4",
                "--output",
                "-",
                "a [red:blue:0.5] fox AND a cat :0.5",
                "[cat|dog]");
        assertEquals(0, all.code(), all.err());
        List<String> lines = all.out().lines().toList();
        assertEquals(2, lines.size());
        Path rowsFile = dir.resolve("rows.safetensors");
        assertEquals(
                0,
                encode(rowsFile, "--steps", "4", "a [red:blue:0.5] fox AND a cat :0.5", "[cat|dog]")
                        .code());
        try (SafetensorsFile f = SafetensorsFile.open(rowsFile)) {
            float[] cond = f.floats("conditioning");
            long[] ids = f.longs("input_ids");
            int row = 0;
            for (String line : lines) {
                Map<String, Object> p = Json.parseObject(line);
                for (Object sub : (List<Object>) p.get("subprompts"))
                    for (Object e : (List<Object>) ((Map<String, Object>) sub).get("schedule")) {
                        Map<String, Object> entry = (Map<String, Object>) e;
                        List<Object> c = (List<Object>) entry.get("conditioning");
                        assertEquals(77, c.size());
                        List<Object> token5 = (List<Object>) c.get(5);
                        for (int d = 0; d < 64; d++)
                            assertEquals(
                                    cond[row * 77 * 64 + 5 * 64 + d],
                                    ((Number) token5.get(d)).floatValue(),
                                    "row " + row + " dim " + d);
                        List<Object> rowIds = (List<Object>) entry.get("input_ids");
                        for (int t = 0; t < 77; t++)
                            assertEquals(ids[row * 77 + t], ((Number) rowIds.get(t)).longValue());
                        assertFalse(
                                entry.containsKey("schedule_end_step"),
                                entry.keySet().toString());
                        row++;
                    }
            }
            assertEquals(7, row);
        }
    }

    /** A prompt whose rows span several batches (ten texts, eight chunks a batch) is still one object. */
    @Test
    @SuppressWarnings("unchecked")
    void aJsonlPromptGathersRowsFromSeveralBatches() throws IOException {
        Path jsonl = dir.resolve("many.jsonl");
        CliTest.Run r =
                encode(jsonl, "--steps", "12", "--tensors", "chunks", "a [b|c|d|e|f|g|h|i|j|k] z", "x AND y", "plain");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(jsonl);
        assertEquals(3, lines.size());
        List<Object> schedule = (List<Object>) ((Map<String, Object>)
                        ((List<Object>) Json.parseObject(lines.get(0)).get("subprompts")).getFirst())
                .get("schedule");
        assertEquals(12, schedule.size());
        String letters = "bcdefghijkbc";
        for (int i = 0; i < 12; i++) {
            Map<String, Object> e = (Map<String, Object>) schedule.get(i);
            assertEquals(i + 1.0, ((Number) e.get("end_at_step")).doubleValue());
            assertEquals("a " + letters.charAt(i) + " z", e.get("text"));
        }
        assertEquals(2, ((List<Object>) Json.parseObject(lines.get(1)).get("subprompts")).size());
        assertEquals("plain", Json.parseObject(lines.get(2)).get("text"));
    }

    @Test
    void stepsOutsideA1111OrRangeAreUsageErrors() {
        CliTest.Run comfy = run("tokenize", "--tokenizer", vocab(), "--syntax", "comfy", "--steps", "4", "x");
        assertEquals(2, comfy.code());
        assertTrue(comfy.err().startsWith("sdclip: --steps is for A1111's prompt editing"), comfy.err());
        CliTest.Run zero = encode(dir.resolve("z.safetensors"), "--steps", "0", "x");
        assertEquals(2, zero.code());
        assertTrue(zero.err().startsWith("sdclip: --steps must be 1 to 10000, not 0"), zero.err());
        CliTest.Run bad = encode(dir.resolve("b.safetensors"), "ok", "a [b:c:1e999]");
        assertEquals(1, bad.code());
        assertEquals(
                "sdclip: prompt 2 (\"a [b:c:1e999]\"): step '1e999' is not a finite number (at character 8)",
                bad.err().strip());
        assertFalse(Files.exists(dir.resolve("b.safetensors")));
    }

    @Test
    void similarityRefusesAScheduledPrompt() {
        CliTest.Run r = run(
                "similarity",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--against",
                ref("models/tiny-sd15.safetensors"),
                "--against-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--syntax",
                "a1111",
                "ok",
                "a [b|c]");
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: prompt 2 (\"a [b|c]\"): similarity compares one embedding per prompt, and this prompt has prompt"
                        + " editing, alternation or AND (encode writes its schedule)",
                r.err().strip());
    }

    private static CliTest.Run encode(Path out, String... rest) {
        List<String> args = new java.util.ArrayList<>(List.of(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--syntax",
                "a1111",
                "--output",
                out.toString()));
        args.addAll(List.of(rest));
        return run(args.toArray(String[]::new));
    }
}
