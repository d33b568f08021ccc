package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.testdata.RawSafetensors;
import sdclip.testdata.ReferenceData;

/** Whatever the user feeds it: one line on stderr naming the file, exit 1, no stack trace, no output file. */
class BadInputTest {
    @TempDir
    Path dir;

    private void refused(Path model, String... expectedInMessage) {
        Path out = dir.resolve("out.safetensors");
        for (List<String> args : List.of(
                List.of("inspect", model.toString()),
                List.of(
                        "encode",
                        "--model",
                        model.toString(),
                        "--tokenizer",
                        CliTest.vocab(),
                        "--output",
                        out.toString(),
                        "a dog"))) {
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
        Files.write(dir.resolve("truncated.safetensors"), Arrays.copyOf(full, full.length / 2));
        refused(dir.resolve("truncated.safetensors"), "past the end");
        refused(RawSafetensors.write(dir.resolve("array.safetensors"), "[]", new byte[0]), "expected a JSON object");
        refused(
                RawSafetensors.write(dir.resolve("nested.safetensors"), "[".repeat(200_000), new byte[0]),
                "not valid JSON");
        refused(
                RawSafetensors.write(
                        dir.resolve("nomodel.safetensors"),
                        "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                        new byte[4]),
                "no CLIP text encoder",
                "x");
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
        assertEquals(
                0,
                CliTest.run("tokenize", "--tokenizer", CliTest.vocab(), "\uD800 \u0000 " + "x".repeat(10_000))
                        .code());
    }

    /** Library errors name no command-line flag, and still read clearly on the command line. */
    @Test
    void libraryMessagesSpeakLibraryTerms() throws Exception {
        // The CLI's own checks answer these first (exit 2, in its words); the library, called
        // directly as an embedding program would, says the same without naming a flag.
        Path sdxl = Path.of(CliTest.ref("models/tiny-sdxl.safetensors")),
                sd15 = Path.of(CliTest.ref("models/tiny-sd15.safetensors"));
        List<String> messages = new ArrayList<>();
        try (Checkpoint c = Checkpoint.open(sdxl, new int[] {2, 3})) {
            messages.add(assertThrows(IllegalArgumentException.class, () -> c.encoder(3))
                    .getMessage());
        }
        messages.add(assertThrows(IllegalArgumentException.class, () -> Checkpoint.open(sdxl, new int[] {2, 3, 4}))
                .getMessage());
        try (TextEncoder enc = TextEncoder.open(
                sd15, TextEncoder.Options.defaults().withHeads(4).withTokenizer(Path.of(CliTest.vocab())))) {
            messages.add(assertThrows(
                            IllegalArgumentException.class,
                            () -> enc.outputs(
                                    List.of("a"), EncodeRequest.standard().clipSkip(5)))
                    .getMessage());
        }
        assertTrue(
                messages.get(0).contains("text encoder 3 requested, but ")
                        && messages.get(0).contains("tiny-sdxl.safetensors has 2 text encoders"),
                messages.get(0));
        assertTrue(
                messages.get(1).contains("3 head counts given for 2 text encoders in ")
                        && messages.get(1).contains("tiny-sdxl.safetensors"),
                messages.get(1));
        assertTrue(messages.get(2).contains("clip skip 5") && messages.get(2).contains("3 layers"), messages.get(2));
        for (String m : messages) {
            assertEquals(1, m.strip().lines().count(), m);
            assertFalse(m.contains("--"), "no flag in a library message: " + m);
        }
    }
}
