package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every usage error exits 2 with one line on stderr in the CLI's words (the flag and the value),
 * no stack trace, and no output file: each case end to end through {@link Main#run}.
 */
class UsageErrorTest {
    @TempDir
    Path dir;

    static String sd15() {
        return CliTest.ref("models/tiny-sd15.safetensors");
    }

    static String sdxl() {
        return CliTest.ref("models/tiny-sdxl.safetensors");
    }

    /** {@code encode} on a model with args, writing to out.safetensors unless args name an output. */
    private CliTest.Run encode(String model, String... args) {
        List<String> all =
                new ArrayList<>(List.of("encode", "--model", model, "--tokenizer", CliTest.vocab(), "--quiet"));
        if (!List.of(args).contains("--output"))
            all.addAll(List.of("--output", dir.resolve("out.safetensors").toString()));
        all.addAll(List.of(args));
        return CliTest.run(all.toArray(String[]::new));
    }

    /** Exit 2, one line starting "sdclip: " that says each of {@code expected}, no trace, no output. */
    private void usage(CliTest.Run r, String... expected) throws Exception {
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("sdclip: "), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String s : expected) assertTrue(r.err().contains(s), "says '" + s + "': " + r.err());
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of(),
                    files.filter(p -> p.getFileName().toString().contains("out"))
                            .toList(),
                    "no output written");
        }
        assertEquals("", r.out());
    }

    @Test
    void negativeThreads() throws Exception {
        usage(encode(sd15(), "--heads", "4", "--threads", "-3", "a dog"), "--threads -3");
    }

    @Test
    void clipSkipBelowOne() throws Exception {
        usage(encode(sd15(), "--heads", "4", "--clip-skip", "-1", "a dog"), "--clip-skip -1");
        usage(encode(sd15(), "--heads", "4", "--clip-skip", "0", "a dog"), "--clip-skip 0");
    }

    @Test
    void clipSkipPastTheLayers() throws Exception {
        usage(encode(sd15(), "--heads", "4", "--clip-skip", "9", "a dog"), "--clip-skip 9", "3 layers");
    }

    @Test
    void zeroHeads() throws Exception {
        usage(encode(sd15(), "--heads", "0", "a dog"), "--heads 0", "positive");
    }

    @Test
    void fewerHeadsThanEncoders() throws Exception {
        usage(encode(sdxl(), "--heads", "2", "a dog"), "--heads 2", "2 text encoder(s)", "tiny-sdxl.safetensors");
        usage(encode(sd15(), "--heads", "4,4", "a dog"), "--heads 4,4", "1 text encoder(s)");
        usage(CliTest.run("inspect", "--heads", "2", sdxl()), "--heads 2");
    }

    /** A head count that does not divide a width, found on opening the model, in every command that takes --heads. */
    @Test
    void headsThatDoNotDivideTheWidth() throws Exception {
        usage(
                encode(sd15(), "--heads", "5", "a dog"),
                sd15() + ": CLIP-L text encoder: 5 heads do not divide the width 64 (see 'sdclip encode --help')");
        usage(
                encode(sdxl(), "--heads", "2,5", "a dog"),
                sdxl()
                        + ": encoder 2 (OpenCLIP bigG): 5 heads do not divide the width 48 (see 'sdclip encode --help')");
        usage(
                CliTest.run("inspect", "--heads", "5", sd15()),
                sd15() + ": CLIP-L text encoder: 5 heads do not divide the width 64 (see 'sdclip inspect --help')");
        usage(
                CliTest.run(
                        "extract",
                        "--model",
                        sd15(),
                        "--heads",
                        "5",
                        "--output",
                        dir.resolve("out").toString()),
                "5 heads do not divide the width 64",
                "'sdclip extract --help'");
        usage(
                CliTest.run(
                        "similarity",
                        "--model",
                        CliTest.ref("models/tiny-sd21.safetensors"),
                        "--heads",
                        "4",
                        "--against",
                        sdxl(),
                        "--against-heads",
                        "2,9",
                        "--encoder",
                        "2",
                        "--quiet",
                        "--tokenizer",
                        CliTest.vocab(),
                        "x"),
                sdxl() + ": encoder 2 (OpenCLIP bigG): 9 heads do not divide the width 48",
                "'sdclip similarity --help'");
        usage(
                CliTest.run("bench", "--model", sd15(), "--heads", "5", "--seconds", "0.05"),
                "5 heads do not divide the width 64",
                "'sdclip bench --help'");
    }

    /** synth writes safetensors or GGUF: another extension is refused before the half-gigabyte write. */
    @Test
    void synthWritesSafetensorsOrGguf() throws Exception {
        Path npy = dir.resolve("out.npy");
        usage(
                CliTest.run("synth", "--output", npy.toString()),
                "sdclip: " + npy + ": unknown output format (use .safetensors or .gguf) (see 'sdclip synth --help')");
        for (String type : List.of("q8_0", "Q4_K", "q4_0"))
            usage(
                    CliTest.run(
                            "synth", "--output", dir.resolve("out.safetensors").toString(), "--dtype", type),
                    "sdclip: --dtype " + type + " writes GGUF: name the output .gguf (see 'sdclip synth --help')");
        usage(
                CliTest.run("synth", "--output", dir.resolve("out.gguf").toString(), "--dtype", "q5_0"),
                "Invalid value for option '--dtype': expected one of [f32, f16, q8_0, q4_0, q4_k] (case-insensitive)"
                        + " but was 'q5_0'");
        usage(
                CliTest.run("bench", "--dtype", "bf16"),
                "Invalid value for option '--dtype': expected one of [f32, f16, q8_0, q4_0, q4_k]",
                "(see 'sdclip bench --help')");
    }

    /** convert's type flag has two names: an error names the one typed, and echoes the value as typed. */
    @Test
    void convertNamesTheTypeFlagAsTyped() throws Exception {
        String in = sd15();
        Path gguf = dir.resolve("out.gguf"), st = dir.resolve("out.safetensors");
        usage(CliTest.run("convert", in, gguf.toString(), "--type", "bogus"), "Invalid value for option '--type':");
        usage(CliTest.run("convert", in, gguf.toString(), "--type=q9"), "Invalid value for option '--type':");
        usage(CliTest.run("convert", in, gguf.toString(), "--dtype", "bogus"), "Invalid value for option '--dtype':");
        usage(
                CliTest.run("convert", in, st.toString(), "--type", "Q8_0"),
                "sdclip: --type Q8_0 writes GGUF: name the output .gguf (see 'sdclip convert --help')");
        usage(
                CliTest.run("convert", in, st.toString(), "--type=Q4_K"),
                "sdclip: --type Q4_K writes GGUF: name the output .gguf (see 'sdclip convert --help')");
        usage(
                CliTest.run("convert", in, st.toString(), "--dtype", "q4_k"),
                "sdclip: --dtype q4_k writes GGUF: name the output .gguf");
        usage(CliTest.run("convert", in, gguf.toString(), "--type"), "Missing required parameter for option '--type'");
        usage(
                CliTest.run("convert", in, gguf.toString(), "--type", "q8_0", "--dtype", "f16"),
                "option '--dtype' (<dtype>) should be specified only once (--type and --dtype are the same option)");
    }

    /** An empty path is no path (as a Path it is the current folder): a usage error naming the option. */
    @Test
    void emptyPathsAreUsageErrors() throws Exception {
        usage(encode("", "--heads", "4", "a dog"), "sdclip: Invalid value for option '--model': an empty path");
        usage(encode(sd15(), "--heads", "4", "--output", "", "a dog"), "'--output': an empty path");
        usage(CliTest.run("encode", "--model", sd15(), "--tokenizer", "", "a dog"), "'--tokenizer': an empty path");
        usage(CliTest.run("encode", "--models-dir", "", "--model", "sd15", "a dog"), "'--models-dir': an empty path");
        usage(CliTest.run("inspect", ""), "(MODEL): an empty path", "(see 'sdclip inspect --help')");
        usage(encode(sd15(), "--heads", "4", "--lora", "", "a dog"), "'--lora': an empty path");
        String clip = CliTest.ref("models/tiny-clip.safetensors");
        usage(CliTest.run("encode-image", "--model", clip, "--vision-heads", "4", ""), "IMAGE: an empty path");
    }

    @Test
    void benchDtypeIsTheFormulaModels() throws Exception {
        usage(
                CliTest.run("bench", "--model", sd15(), "--dtype", "q4_k", "--seconds", "0.1"),
                "--dtype picks the storage of the formula model, not of --model");
    }

    @Test
    void encoderPastTheModel() throws Exception {
        usage(encode(sd15(), "--heads", "4", "--encoder", "3", "a dog"), "--encoder 3", "has 1 text encoder");
        usage(encode(sdxl(), "--heads", "2,3", "--encoder", "3", "a dog"), "--encoder 3", "has 2 text encoders");
    }

    @Test
    void encoderZero() throws Exception {
        usage(encode(sdxl(), "--heads", "2,3", "--encoder", "0", "a dog"), "--encoder 0", "from 1");
    }

    @Test
    void unknownBackend() throws Exception {
        usage(
                encode(sd15(), "--heads", "4", "--backend", "bogus", "a dog"),
                "--backend bogus",
                "cpu, portable, reference");
        usage(encode(sd15(), "--heads", "4", "--backend", "opencl:x", "a dog"), "--backend opencl:x");
    }

    @Test
    void unknownOutputExtension() throws Exception {
        usage(
                encode(
                        sd15(),
                        "--heads",
                        "4",
                        "--output",
                        dir.resolve("out.txt").toString(),
                        "a dog"),
                "out.txt",
                ".safetensors, .npy, .json or .jsonl");
    }

    @Test
    void noPrompts() throws Exception {
        usage(encode(sd15(), "--heads", "4"), "no prompts");
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        usage(encode(sd15(), "--heads", "4", "--prompts", empty.toString()), "no prompts", "empty.txt");
        usage(CliTest.run("tokenize", "--tokenizer", CliTest.vocab()), "no prompts");
    }

    @Test
    void unknownTensor() throws Exception {
        usage(
                encode(
                        sd15(),
                        "--heads",
                        "4",
                        "--output",
                        dir.resolve("out.npy").toString(),
                        "--tensor",
                        "bogus",
                        "a dog"),
                "no tensor \"bogus\"",
                "last_hidden_state");
        // tiny-sd15 has no projection: text_embeds is not an output of it.
        usage(
                encode(
                        sd15(),
                        "--heads",
                        "4",
                        "--output",
                        dir.resolve("out.npy").toString(),
                        "--tensor",
                        "text_embeds",
                        "a dog"),
                "no tensor \"text_embeds\"");
        // SDXL's per-encoder tensors are outputs, and they do work.
        CliTest.Run ok = encode(
                sdxl(),
                "--heads",
                "2,3",
                "--output",
                dir.resolve("e1.npy").toString(),
                "--tensor",
                "encoder1.last_hidden_state",
                "a dog");
        assertEquals(0, ok.code(), ok.err());
        assertTrue(Files.size(dir.resolve("e1.npy")) > 77 * 32 * 4);
    }

    @Test
    void similarityAndDiffAndExtractToo() throws Exception {
        usage(
                CliTest.run(
                        "similarity",
                        "--model",
                        sd15(),
                        "--against",
                        sd15(),
                        "--against-heads",
                        "0",
                        "--tokenizer",
                        CliTest.vocab(),
                        "x"),
                "--against-heads 0");
        usage(CliTest.run("diff", "--encoder-b", "2", sd15(), sd15()), "--encoder-b 2", "has 1 text encoder");
        usage(CliTest.run("diff", "--encoder", "0", sd15(), sd15()), "--encoder 0");
        usage(
                CliTest.run(
                        "extract",
                        "--model",
                        sd15(),
                        "--encoder",
                        "2",
                        "--output",
                        dir.resolve("out").toString()),
                "--encoder 2");
        usage(CliTest.run("encode", "--model", sd15(), "--threads", "x", "a dog"), "--threads", "'x'");
    }

    @Test
    void benchSecondsBelowOrAtZero() throws Exception {
        usage(CliTest.run("bench", "--seconds", "0"), "--seconds 0", "(see 'sdclip bench --help')");
        usage(CliTest.run("bench", "--seconds", "-1"), "--seconds -1");
    }

    @Test
    void benchSecondsWithNoSaneMeaning() throws Exception {
        for (String s : List.of("3600.5", "1e9")) {
            // Accepted, such a value would measure for years: the timeout turns that into a failure.
            usage(
                    Assertions.assertTimeoutPreemptively(
                            Duration.ofSeconds(30), () -> CliTest.run("bench", "--seconds", s)),
                    "--seconds " + s + ": ",
                    "at most 3600");
        }
        // Java's own number forms are no decimal a user meant: NaN, infinity, hex floats, suffixes.
        for (String s : List.of("NaN", "Infinity", "0x1p2", "2.5f")) {
            usage(
                    Assertions.assertTimeoutPreemptively(
                            Duration.ofSeconds(30), () -> CliTest.run("bench", "--seconds", s)),
                    "--seconds " + s + ": not a decimal number");
        }
    }

    @Test
    void zeroThreadsMeansEveryProcessorAndMoreAreCapped() {
        CliTest.Run zero = encode(
                sd15(),
                "--heads",
                "4",
                "--threads",
                "0",
                "--output",
                dir.resolve("z.npy").toString(),
                "a dog");
        assertEquals(0, zero.code(), zero.err());
        assertFalse(zero.err().contains("capped"), zero.err());
        int many = Runtime.getRuntime().availableProcessors() + 5;
        CliTest.Run capped = encode(
                sd15(),
                "--heads",
                "4",
                "--threads",
                String.valueOf(many),
                "--output",
                dir.resolve("c.npy").toString(),
                "a dog");
        assertEquals(0, capped.code(), capped.err());
        List<String> lines = capped.err().lines().toList();
        assertEquals(
                "sdclip: --threads " + many + " capped to the "
                        + Runtime.getRuntime().availableProcessors() + " available processor(s)",
                lines.getFirst());
        assertEquals(2, lines.size(), "the note, then 'wrote': " + capped.err());
        // the image commands too (score runs both towers: still one note)
        String clip = CliTest.ref("models/tiny-clip.safetensors"), img = CliTest.ref("images/CLIP.png");
        for (String[] args : new String[][] {
            {
                "encode-image",
                "--model",
                clip,
                "--vision-heads",
                "4",
                "--output",
                dir.resolve("i.npy").toString(),
                "--threads",
                String.valueOf(many),
                img
            },
            {
                "score",
                "--model",
                clip,
                "--vision-heads",
                "4",
                "--heads",
                "4",
                "--tokenizer",
                CliTest.vocab(),
                "--threads",
                String.valueOf(many),
                "--text",
                "a dog",
                img
            }
        }) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(0, r.code(), r.err());
            assertEquals(
                    1, r.err().lines().filter(l -> l.contains("capped to the")).count(), args[0] + ": " + r.err());
        }
    }

    @Test
    void runtimeErrorsStayExitOne() {
        CliTest.Run r = encode(dir.resolve("missing.safetensors").toString(), "a dog");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("missing.safetensors"), r.err());
    }

    /** Options a command would ignore are refused: A1111's emphasis without its syntax, text-tower options on the vision tower. */
    @Test
    void optionsThatWouldBeIgnoredAreRefused() throws Exception {
        usage(
                encode(sd15(), "--heads", "4", "--emphasis", "no-norm", "a dog"),
                "--emphasis is A1111's weighting",
                "(see 'sdclip encode --help')");
        usage(
                encode(sd15(), "--heads", "4", "--syntax", "comfy", "--emphasis", "no-norm", "a dog"),
                "--emphasis is A1111's weighting");
        String clip = CliTest.ref("models/tiny-clip.safetensors"), img = CliTest.ref("images/CLIP.png");
        usage(
                CliTest.run("encode-image", "--model", clip, "--vision-heads", "4", "--heads", "7", img),
                "--heads is for text encoders",
                "--vision-heads");
        usage(
                CliTest.run("encode-image", "--model", clip, "--vision-heads", "4", "--tokenizer", "nope", img),
                "--tokenizer is for text encoders");
        // with no value too (they are hidden options that only refuse: no internal name shows)
        usage(CliTest.run("encode-image", "--model", clip, img, "--heads"), "--heads is for text encoders");
        usage(CliTest.run("encode-image", "--model", clip, img, "--tokenizer"), "--tokenizer is for text encoders");
    }

    /** A prompt that cannot be read says which it is, among many. */
    @Test
    void aBadPromptIsNamed() throws Exception {
        CliTest.Run r = CliTest.run("tokenize", "--syntax", "a1111", "--tokenizer", CliTest.vocab(), "ok", "(x:1.2.3)");
        assertEquals(1, r.code(), r.err());
        assertEquals(
                "sdclip: prompt 2 (\"(x:1.2.3)\"): weight '1.2.3' is not a number (at character 3)",
                r.err().strip());
        CliTest.Run e = encode(sd15(), "--heads", "4", "--syntax", "a1111", "ok", "fine", "(x:1.2.3)");
        assertEquals(1, e.code(), e.err());
        assertEquals(
                "sdclip: prompt 3 (\"(x:1.2.3)\"): weight '1.2.3' is not a number (at character 3)",
                e.err().strip());
    }
}
