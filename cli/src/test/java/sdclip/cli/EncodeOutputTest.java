package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;

/**
 * {@code encode}'s outputs end to end: which tensors each format holds by default and with
 * --tensors, values bit-identical to the library's, streamed across batches (12 prompts are two
 * batches of 8 and 4, and hidden_states' prompts are its second axis), and the checks made
 * before any work.
 */
class EncodeOutputTest {
    @TempDir
    Path dir;

    static final String SD15 = "models/tiny-sd15.safetensors",
            SD21 = "models/tiny-sd21.safetensors",
            SDXL = "models/tiny-sdxl.safetensors";

    static List<String> prompts() throws IOException {
        return ResearchCommandsTest.prompts();
    }

    /** encode MODEL --heads H --tokenizer V ARGS... PROMPTS... */
    static CliTest.Run encode(String model, String heads, List<String> prompts, String... args) {
        List<String> all = new ArrayList<>(List.of(
                "encode", "--model", CliTest.ref(model), "--heads", heads, "--tokenizer", CliTest.vocab(), "--quiet"));
        all.addAll(List.of(args));
        all.addAll(prompts);
        return CliTest.run(all.toArray(String[]::new));
    }

    static Encoding library(String model, int[] heads, List<String> prompts, EncodeRequest request) throws IOException {
        try (TextEncoder enc = TextEncoder.open(
                ReferenceData(model),
                TextEncoder.Options.defaults().withHeads(heads).withTokenizer(Path.of(CliTest.vocab())))) {
            return enc.encode(prompts, request);
        }
    }

    static Path ReferenceData(String p) {
        return ReferenceData.require(p);
    }

    static List<String> names(Path safetensors) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(safetensors)) {
            return f.names().stream().toList();
        }
    }

    @Test
    void safetensorsHoldsEachDistinctTensorOnceByDefault() throws IOException {
        List<String> p = prompts();
        Path sd15 = dir.resolve("sd15.safetensors"),
                sd21 = dir.resolve("sd21.safetensors"),
                sdxl = dir.resolve("sdxl.safetensors");
        assertEquals(0, encode(SD15, "4", p, "--output", sd15.toString()).code());
        assertEquals(0, encode(SD21, "4", p, "--output", sd21.toString()).code());
        assertEquals(0, encode(SDXL, "2,3", p, "--output", sdxl.toString()).code());
        assertEquals(
                List.of("input_ids", "pooled_index", "conditioning", "pooled_output"),
                names(sd15),
                "SD 1.x: last_hidden_state is the conditioning");
        assertEquals(
                List.of(
                        "input_ids",
                        "pooled_index",
                        "conditioning",
                        "last_hidden_state",
                        "pooled_output",
                        "text_embeds"),
                names(sd21));
        assertEquals(
                List.of(
                        "input_ids",
                        "pooled_index",
                        "conditioning",
                        "pooled_output",
                        "text_embeds",
                        "encoder1.input_ids",
                        "encoder1.last_hidden_state",
                        "encoder1.pooled_output",
                        "encoder2.last_hidden_state"),
                names(sdxl));
        Encoding want = library(SDXL, new int[] {2, 3}, p, EncodeRequest.standard());
        try (SafetensorsFile f = SafetensorsFile.open(sdxl)) {
            for (String name : names(sdxl)) {
                assertArrayEquals(want.get(name).shape(), f.info(name).shape(), name);
                if (want.get(name).isFloat())
                    assertArrayEquals(want.get(name).floats(), f.floats(name), name + " bit-identical");
                else assertArrayEquals(want.get(name).longs(), f.longs(name), name);
            }
            assertEquals(String.valueOf(p.size()), f.metadata().get("prompt_count"));
        }
    }

    @Test
    void tensorsChoosesWhatIsWrittenAndHiddenStatesStreamAcrossBatches() throws IOException {
        List<String> p = prompts();
        Path out = dir.resolve("h.safetensors");
        CliTest.Run r = encode(
                SDXL,
                "2,3",
                p,
                "--hidden-states",
                "--tensors",
                "encoder2.hidden_states,encoder1.conditioning",
                "--output",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("encoder1.conditioning", "encoder2.hidden_states"), names(out));
        Encoding want =
                library(SDXL, new int[] {2, 3}, p, EncodeRequest.standard().with(TextOutput.HIDDEN_STATES));
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(
                    new long[] {5, 12, 77, 48}, f.info("encoder2.hidden_states").shape());
            assertArrayEquals(want.get("encoder2.hidden_states").floats(), f.floats("encoder2.hidden_states"));
            assertArrayEquals(want.encoder(1).conditioning().floats(), f.floats("encoder1.conditioning"));
        }
        CliTest.Run bad = encode(
                SD15,
                "4",
                p,
                "--tensors",
                "hidden_states",
                "--output",
                dir.resolve("x.safetensors").toString());
        assertEquals(2, bad.code());
        assertTrue(
                bad.err().contains("no tensor \"hidden_states\"") && bad.err().contains("--hidden-states"), bad.err());
    }

    @Test
    void npyJsonAndJsonlHoldTheSameValues() throws IOException {
        List<String> p = prompts();
        Encoding want = library(SD21, new int[] {4}, p, EncodeRequest.standard().with(TextOutput.HIDDEN_STATES));
        Path npy = dir.resolve("h.npy");
        assertEquals(
                0,
                encode(SD21, "4", p, "--hidden-states", "--tensor", "hidden_states", "--output", npy.toString())
                        .code());
        assertArrayEquals(want.hiddenStates().floats(), npyFloats(npy, "(4, 12, 77, 64)"));

        Path json = dir.resolve("e.json");
        assertEquals(
                0,
                encode(
                                SD21,
                                "4",
                                p,
                                "--hidden-states",
                                "--tensors",
                                "hidden_states,input_ids,text_embeds",
                                "--output",
                                json.toString())
                        .code());
        Map<String, Object> o = Json.parseObject(Files.readString(json));
        assertEquals(List.of("input_ids", "text_embeds", "hidden_states"), List.copyOf(o.keySet()));
        assertArrayEquals(want.hiddenStates().floats(), floats(((Map<?, ?>) o.get("hidden_states")).get("data")));
        assertEquals(List.of(4L, 12L, 77L, 64L), ((Map<?, ?>) o.get("hidden_states")).get("shape"));
        assertArrayEquals(want.textEmbeds().floats(), floats(((Map<?, ?>) o.get("text_embeds")).get("data")));

        Path jsonl = dir.resolve("e.jsonl");
        assertEquals(
                0,
                encode(SD21, "4", p, "--tensors", "conditioning,pooled_output,input_ids", "--output", jsonl.toString())
                        .code());
        List<String> lines = Files.readAllLines(jsonl);
        assertEquals(p.size(), lines.size());
        for (int n = 0; n < p.size(); n++) {
            Map<String, Object> row = Json.parseObject(lines.get(n));
            assertEquals(List.of("text", "input_ids", "conditioning", "pooled_output"), List.copyOf(row.keySet()));
            assertEquals(p.get(n), row.get("text"));
            List<?> cond = (List<?>) row.get("conditioning");
            assertEquals(77, cond.size());
            assertEquals(64, ((List<?>) cond.getFirst()).size());
            assertArrayEquals(
                    Arrays.copyOfRange(want.conditioning().floats(), n * 77 * 64, (n + 1) * 77 * 64),
                    floats(cond),
                    "prompt " + n);
            assertArrayEquals(
                    Arrays.copyOfRange(want.pooledOutput().floats(), n * 64, (n + 1) * 64),
                    floats(row.get("pooled_output")));
            assertEquals(77, ((List<?>) row.get("input_ids")).size());
        }
    }

    @Test
    void standardOutputTakesJsonlAndJson() throws IOException {
        List<String> p = prompts().subList(0, 3);
        CliTest.Run r = encode(SD15, "4", p, "--output", "-", "--tensors", "pooled_output");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size());
        Encoding want = library(SD15, new int[] {4}, p, EncodeRequest.pooledOnly());
        for (int n = 0; n < 3; n++) {
            assertArrayEquals(
                    Arrays.copyOfRange(want.pooledOutput().floats(), n * 64, n * 64 + 64),
                    floats(Json.parseObject(lines.get(n)).get("pooled_output")));
        }
        CliTest.Run json = encode(SD15, "4", p, "--output", "-", "--format", "json", "--tensors", "pooled_index");
        assertEquals(0, json.code(), json.err());
        assertEquals(
                List.of(3L), ((Map<?, ?>) Json.parseObject(json.out().strip()).get("pooled_index")).get("shape"));
        assertTrue(json.err().isEmpty(), "nothing but the output: " + json.err());
    }

    @Test
    void everythingCheckableIsCheckedBeforeTheWork() throws IOException {
        Path model = dir.resolve("copy.safetensors");
        Files.copy(ReferenceData(SD15), model);
        byte[] before = Files.readAllBytes(model);
        List<String[]> usage = List.of(
                new String[] {"--output", model.toString()},
                new String[] {"--output", dir.resolve("c.txt").toString()},
                new String[] {"--output", dir.resolve("c.npy").toString(), "--tensor", "text_embeds"},
                new String[] {"--output", dir.resolve("c.safetensors").toString(), "--tensors", "conditioning,nope"},
                new String[] {"--output", dir.resolve("c.safetensors").toString(), "--tensor", "conditioning"},
                new String[] {"--output", dir.resolve("c.safetensors").toString(), "--clip-skip", "5"});
        for (String[] args : usage) {
            List<String> all = new ArrayList<>(
                    List.of("encode", "--model", model.toString(), "--heads", "4", "--tokenizer", CliTest.vocab()));
            all.addAll(List.of(args));
            all.add("a dog");
            CliTest.Run r = CliTest.run(all.toArray(String[]::new));
            assertTrue(r.code() == 2 || r.code() == 1, List.of(args) + ": " + r.code());
            assertTrue(r.err().startsWith("sdclip: ") && !r.err().contains("Exception"), r.err());
        }
        assertEquals(
                2,
                CliTest.run(
                                "encode",
                                "--model",
                                model.toString(),
                                "--heads",
                                "4",
                                "--tokenizer",
                                CliTest.vocab(),
                                "--output",
                                model.toString(),
                                "a dog")
                        .code());
        assertArrayEquals(before, Files.readAllBytes(model), "the model is untouched");
        Path prompts = dir.resolve("p.jsonl");
        Files.writeString(prompts, "{\"text\": \"a dog\"}\n");
        CliTest.Run promptsFile = CliTest.run(
                "encode",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--prompts",
                prompts.toString(),
                "--output",
                prompts.toString());
        assertEquals(2, promptsFile.code());
        assertTrue(promptsFile.err().contains("is the prompts file"), promptsFile.err());
        CliTest.Run noFolder = CliTest.run(
                "encode",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--output",
                dir.resolve("no/c.safetensors").toString(),
                "a");
        assertEquals(1, noFolder.code());
        assertTrue(
                noFolder.err().startsWith("sdclip: cannot write " + dir.resolve("no/c.safetensors") + ": no folder"),
                noFolder.err());
        Path folder = Files.createDirectory(dir.resolve("d.safetensors"));
        CliTest.Run toFolder = CliTest.run(
                "encode",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--output",
                folder.toString(),
                "a");
        assertEquals(1, toFolder.code());
        assertTrue(toFolder.err().contains("cannot write " + folder + ": it is a folder"), toFolder.err());
        CliTest.Run proc = CliTest.run(
                "encode",
                "--model",
                model.toString(),
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--output",
                "/proc/c.safetensors",
                "a");
        assertEquals(1, proc.code());
        assertTrue(
                proc.err().startsWith("sdclip: cannot write /proc/c.safetensors: ")
                        && !proc.err().contains(".tmp"),
                proc.err());
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of("copy.safetensors", "d.safetensors", "p.jsonl"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(),
                    "nothing else written");
        }
    }

    /** The values of an .npy file of F32 with this shape. */
    static float[] npyFloats(Path npy, String shape) throws IOException {
        byte[] bytes = Files.readAllBytes(npy);
        int headerLength = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': " + shape) && header.contains("<f4"), header);
        ByteBuffer b = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** Numbers of a (nested) JSON list, flattened in order. */
    static float[] floats(Object list) {
        List<Float> out = new ArrayList<>();
        flatten(list, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) f[i] = out.get(i);
        return f;
    }

    private static void flatten(Object o, List<Float> out) {
        if (o instanceof List<?> l) for (Object x : l) flatten(x, out);
        else out.add(((Number) o).floatValue());
    }
}
