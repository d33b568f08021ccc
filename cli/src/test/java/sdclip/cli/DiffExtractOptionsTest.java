package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;

/** diff's encoder choice per side and --exit-code; extract recording only the source's name. */
class DiffExtractOptionsTest {
    @TempDir
    Path dir;

    static String sd15() {
        return CliTest.ref("models/tiny-sd15.safetensors");
    }

    static String sdxl() {
        return CliTest.ref("models/tiny-sdxl.safetensors");
    }

    @Test
    void sdxlEncoderTwoAgainstItsExtractedFolder() {
        Path folder = dir.resolve("bigG");
        CliTest.Run x = CliTest.run(
                "extract", "--model", sdxl(), "--heads", "2,3", "--encoder", "2", "--output", folder.toString());
        assertEquals(0, x.code(), x.err());
        CliTest.Run same = CliTest.run("diff", "--encoder-a", "2", "--exit-code", sdxl(), folder.toString());
        assertEquals(0, same.code(), same.err());
        assertEquals("identical", same.out().lines().findFirst().orElseThrow());
        // The other way round, and --encoder meaning both sides still works.
        assertEquals("identical", verdict("--encoder-b", "2", folder.toString(), sdxl()));
        assertEquals("identical", verdict("--encoder", "2", sdxl(), sdxl()));
        // Encoder 1 of SDXL is not its encoder 2: shapes differ, so every tensor is changed.
        CliTest.Run wrong = CliTest.run("diff", "--exit-code", sdxl(), folder.toString());
        assertEquals(1, wrong.code(), wrong.out() + wrong.err());
        assertTrue(wrong.out().startsWith("different: "), wrong.out());
        assertEquals("", wrong.err(), "a difference is not an error");
        // similarity: SDXL's default encoder 2 against the one-encoder folder computes the same embeddings.
        CliTest.Run sim = CliTest.run(
                "similarity",
                "--model",
                sdxl(),
                "--heads",
                "2,3",
                "--against",
                folder.toString(),
                "--tokenizer",
                CliTest.vocab(),
                "--json",
                "a dog",
                "a cat");
        assertEquals(0, sim.code(), sim.err());
        assertEquals(1.0, ((Number) Json.parseObject(sim.out().strip()).get("mean")).doubleValue(), 1e-6);
    }

    @Test
    void exitCodeForScripts() {
        String clip = CliTest.ref("models/tiny-clip.safetensors"), sd21 = CliTest.ref("models/tiny-sd21.safetensors");
        assertEquals(
                0,
                CliTest.run("diff", "--exit-code", sd15(), CliTest.ref("models/tiny-sd15-legacy.safetensors"))
                        .code(),
                "identical");
        CliTest.Run rounding = CliTest.run("diff", "--exit-code", sd15(), clip);
        assertEquals(0, rounding.code(), "identical up to f16 rounding counts as the same");
        assertTrue(rounding.out().startsWith("identical up to f16 rounding"), rounding.out());
        assertEquals(1, CliTest.run("diff", "--exit-code", sd15(), sd21).code(), "different");
        assertEquals(
                1, CliTest.run("diff", "--exit-code", "--json", sd15(), sd21).code(), "different, with --json");
        assertEquals(0, CliTest.run("diff", sd15(), sd21).code(), "without --exit-code a difference exits 0");
    }

    private static String verdict(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "diff";
        all[1] = "--json";
        System.arraycopy(args, 0, all, 2, args.length);
        CliTest.Run r = CliTest.run(all);
        assertEquals(0, r.code(), r.err());
        return (String) Json.parseObject(r.out().strip()).get("verdict");
    }

    @Test
    void extractRecordsTheSourceNameNotItsPath() throws Exception {
        Path source = Path.of(CliTest.ref("models/tiny-sd21.safetensors")).toAbsolutePath();
        Path out = dir.resolve("sd21");
        CliTest.Run r =
                CliTest.run("extract", "--model", source.toString(), "--heads", "4", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals("tiny-sd21.safetensors", f.metadata().get("sdclip_source"));
            for (Map.Entry<String, String> e : f.metadata().entrySet()) {
                assertFalse(e.getValue().contains(source.getParent().toString()), "no absolute path in " + e);
            }
        }
        String config = Files.readString(out.resolve("config.json"));
        assertFalse(config.contains(source.getParent().toString()), config);
        // A diffusers folder given as "dir/" is recorded by its own name too.
        Path fromFolder = dir.resolve("sd15");
        CliTest.Run d = CliTest.run(
                "extract",
                "--model",
                CliTest.ref("models/tiny-sd15-diffusers") + "/",
                "--output",
                fromFolder.toString());
        assertEquals(0, d.code(), d.err());
        try (SafetensorsFile f = SafetensorsFile.open(fromFolder.resolve("model.safetensors"))) {
            assertEquals("tiny-sd15-diffusers", f.metadata().get("sdclip_source"));
        }
    }
}
