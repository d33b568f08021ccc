package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.RawSafetensors;
import sdclip.testdata.ReferenceData;

/** Whatever the user feeds it: one line on stderr naming the file, exit 1, no stack trace, no output file. */
class BadInputTest {
    @TempDir Path dir;

    private void refused(Path model, String... expectedInMessage) {
        Path out = dir.resolve("out.safetensors");
        for (List<String> args : List.of(List.of("inspect", model.toString()),
                List.of("encode", "--model", model.toString(), "--tokenizer", CliTest.vocab(), "--output", out.toString(), "a dog"))) {
            CliTest.Run r = CliTest.run(args.toArray(String[]::new));
            assertEquals(1, r.code(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().startsWith("sdclip: "), r.err());
            assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
            assertTrue(r.err().contains(model.getFileName().toString()), "names the file: " + r.err());
            for (String s : expectedInMessage) assertTrue(r.err().contains(s), "says '" + s + "': " + r.err());
            assertFalse(Files.exists(out), "no output file");
        }
    }

    @Test
    void brokenFiles() throws IOException {
        Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        refused(dir.resolve("empty.safetensors"), "too small");
        byte[] full = Files.readAllBytes(ReferenceData.require("models/tiny-sd15.safetensors"));
        Files.write(dir.resolve("truncated.safetensors"), java.util.Arrays.copyOf(full, full.length / 2));
        refused(dir.resolve("truncated.safetensors"), "past the end");
        refused(RawSafetensors.write(dir.resolve("array.safetensors"), "[]", new byte[0]), "expected a JSON object");
        refused(RawSafetensors.write(dir.resolve("nested.safetensors"), "[".repeat(200_000), new byte[0]), "not valid JSON");
        refused(RawSafetensors.write(dir.resolve("nomodel.safetensors"), "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "no CLIP text encoder", "x");
        Path png = dir.resolve("photo.safetensors");
        Files.copy(ReferenceData.require("images/chelsea.png"), png);
        refused(png, "header length");
        Files.createDirectories(dir.resolve("emptydir"));
        refused(dir.resolve("emptydir"), "no model.safetensors");
        refused(dir.resolve("missing.safetensors"), "no such file");
    }

    @Test
    void badPromptsFileAndUsage() throws IOException {
        Path prompts = dir.resolve("p.jsonl");
        Files.writeString(prompts, "{\"text\": \"ok\"}\n{\"nope\": 1}\n");
        CliTest.Run r = CliTest.run("tokenize", "--tokenizer", CliTest.vocab(), "--prompts", prompts.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("line 2") && r.err().contains("p.jsonl"), r.err());
        assertEquals(2, CliTest.run("encode").code(), "--model is required");
        assertEquals(2, CliTest.run("tokenize", "--pad", "sideways", "x").code());
        CliTest.Run noPrompts = CliTest.run("tokenize", "--tokenizer", CliTest.vocab());
        assertEquals(2, noPrompts.code(), "no prompts is a usage error");
        assertTrue(noPrompts.err().contains("no prompts"), noPrompts.err());
        // Odd prompts are not errors.
        assertEquals(0, CliTest.run("tokenize", "--tokenizer", CliTest.vocab(), "\uD800 \u0000 " + "x".repeat(10_000)).code());
    }

    /** Library errors name no command-line flag, and still read clearly on the command line. */
    @Test
    void libraryMessagesSpeakLibraryTerms() {
        String sdxl = CliTest.ref("models/tiny-sdxl.safetensors");
        CliTest.Run encoder = CliTest.run("encode", "--model", sdxl, "--heads", "2,3", "--tokenizer", CliTest.vocab(), "--encoder", "3", "x");
        assertEquals(1, encoder.code());
        assertTrue(encoder.err().contains("text encoder 3 requested, but ") && encoder.err().contains("tiny-sdxl.safetensors has 2 text encoders"), encoder.err());
        CliTest.Run diff = CliTest.run("diff", "--encoder", "2", CliTest.ref("models/tiny-sd15.safetensors"), sdxl);
        assertEquals(1, diff.code());
        assertTrue(diff.err().contains("text encoder 2 requested, but ") && diff.err().contains("tiny-sd15.safetensors has 1 text encoder"), diff.err());
        CliTest.Run heads = CliTest.run("inspect", "--heads", "2,3,4", sdxl);
        assertEquals(1, heads.code());
        assertTrue(heads.err().contains("3 head counts given for 2 text encoders in ") && heads.err().contains("tiny-sdxl.safetensors"), heads.err());
        CliTest.Run skip = CliTest.run("encode", "--model", CliTest.ref("models/tiny-sd15.safetensors"), "--heads", "4", "--tokenizer", CliTest.vocab(), "--clip-skip", "5", "x");
        assertEquals(1, skip.code());
        assertTrue(skip.err().contains("clip skip 5 is out of range for 3 layers"), skip.err());
        for (CliTest.Run r : List.of(encoder, diff, heads, skip)) {
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(r.err().contains("--"), "no flag in a library message: " + r.err());
        }
    }
}
