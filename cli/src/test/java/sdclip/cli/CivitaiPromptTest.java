package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.cli.CliTest.ref;
import static sdclip.cli.CliTest.run;
import static sdclip.cli.CliTest.vocab;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.Lora;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.tokenizer.ClipTokenizer;

/**
 * The last word: a prompt as copied from Civitai, with a LoRA tag, prompt editing,
 * alternation, {@code AND} with a weight, emphasis and a hypernetwork tag, encodes from the
 * command line and the library without a token of that syntax in any row, the LoRA applied as
 * {@code --lora} with its weight would apply it, and each sub-prompt's weight as written.
 */
class CivitaiPromptTest {
    @TempDir
    Path dir;

    private static final String PROMPT =
            "masterpiece, <lora:tiny:0.8> a cat [sitting:standing:0.4] on a [red|blue] sofa"
                    + " AND (detailed:1.2) a dog <hypernet:foo:1> :0.6";
    private static final int STEPS = 5;

    /**
     * The rows A1111 gives at 5 steps: the edit switches after step 2 (0.4 of 5), the alternation
     * every step; the second sub-prompt one row, weight 0.6. Written plainly (tags and brackets gone).
     */
    private static final List<String> PLAIN = List.of(
            "masterpiece, a cat sitting on a red sofa",
            "masterpiece, a cat sitting on a blue sofa",
            "masterpiece, a cat standing on a red sofa",
            "masterpiece, a cat standing on a blue sofa",
            "masterpiece, a cat standing on a red sofa",
            "detailed a dog");

    /** The same texts with their emphasis, to encode on their own. */
    private static final List<String> EMPHASIZED =
            List.of(PLAIN.get(0), PLAIN.get(1), PLAIN.get(2), PLAIN.get(3), PLAIN.get(4), "(detailed:1.2) a dog");

    private static String[] encode(String... more) {
        List<String> args = new ArrayList<>(List.of("--syntax", "a1111", "--steps", String.valueOf(STEPS)));
        args.addAll(List.of(more));
        return CliTest.encodeTinySd15(args.toArray(String[]::new));
    }

    private static TextEncoder open() throws IOException {
        return TextEncoder.open(
                Path.of(ref("models/tiny-sd15.safetensors")),
                TextEncoder.Options.defaults().withHeads(4).withTokenizer(Path.of(vocab())));
    }

    @Test
    void noSyntaxLeaksTheLoraAppliesAndTheWeightsAreAsWritten() throws IOException {
        Path lora = LoraCliTest.lora(dir.resolve("Lora/tiny.safetensors"));
        Path tagged = dir.resolve("tagged.safetensors");
        CliTest.Run r = run(encode("--loras", dir.resolve("Lora").toString(), "--output", tagged.toString(), PROMPT));
        assertEquals(0, r.code(), r.err());
        assertEquals(
                List.of(
                        "sdclip: warning: <hypernet:...> tags are removed from the prompt and ignored: hypernetworks change the UNet, not the text encoder",
                        "wrote " + tagged),
                r.err().lines().toList());
        ClipTokenizer tok = ClipTokenizer.load(Path.of(vocab()));
        // Every token a piece of the syntax could leave: brackets, separators, tag names and numbers, AND.
        Set<Long> syntax = new HashSet<>();
        for (String piece : List.of(
                "<",
                ">",
                "lora",
                "tiny",
                "0.8",
                "[",
                "]",
                "|",
                ":",
                "0.4",
                "AND",
                "(",
                ")",
                "1.2",
                "hypernet",
                "foo",
                "0.6",
                "<lora",
                ":0.8>")) for (int id : tok.encode(piece)) syntax.add((long) id);
        // Sub-word pieces a plain text has too ("lora" ends in "a") are no sign of a leak.
        for (String plain : PLAIN) for (int id : tok.encode(plain)) syntax.remove((long) id);
        for (String mark : List.of("<", ">", "[", "]", "|", ":", "AND", "(", ")", "lora", "hypernet"))
            assertTrue(syntax.contains((long) tok.encode(mark)[1]), mark + " is looked for");
        float[] cond, pooled;
        try (SafetensorsFile f = SafetensorsFile.open(tagged)) {
            long[] ids = f.longs("input_ids");
            assertEquals(PLAIN.size() * 77, ids.length);
            for (int row = 0; row < PLAIN.size(); row++) {
                long[] mine = Arrays.copyOfRange(ids, row * 77, (row + 1) * 77);
                long[] want = Arrays.stream(tok.encode(PLAIN.get(row), 77, tok.encode("")[1]))
                        .asLongStream()
                        .toArray();
                assertArrayEquals(want, mine, "row " + row + ": " + PLAIN.get(row));
                for (long id : mine) assertFalse(syntax.contains(id), "row " + row + " holds syntax token " + id);
            }
            assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0}, f.longs("schedule_prompt"));
            assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1}, f.longs("schedule_subprompt"));
            assertArrayEquals(new long[] {1, 2, 3, 4, 5, 5}, f.longs("schedule_end_step"));
            assertArrayEquals(new float[] {1, 1, 1, 1, 1, 0.6f}, f.floats("subprompt_weight"));
            cond = f.floats("conditioning");
            pooled = f.floats("pooled_output");
        }

        // The tag is --lora with the same weight: the same prompt without it and the flag, bit for bit.
        String untagged = PROMPT.replace("<lora:tiny:0.8>", "");
        Path flagged = dir.resolve("flagged.safetensors");
        r = run(encode("--lora", lora + ":0.8", "--output", flagged.toString(), untagged));
        assertEquals(0, r.code(), r.err());
        Path bare = dir.resolve("bare.safetensors");
        r = run(encode("--output", bare.toString(), untagged));
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile f = SafetensorsFile.open(flagged);
                SafetensorsFile b = SafetensorsFile.open(bare)) {
            assertArrayEquals(cond, f.floats("conditioning"));
            assertArrayEquals(pooled, f.floats("pooled_output"));
            assertFalse(Arrays.equals(cond, b.floats("conditioning")), "the LoRA changes the conditioning");
        }

        // The library gives the same rows, each the encode of its emphasized text alone with the LoRA.
        PromptOptions a1111 =
                PromptOptions.plain().withSyntax(PromptSyntax.A1111).withSteps(STEPS);
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT);
        try (TextEncoder enc = open()) {
            Encoding e =
                    enc.encode(List.of(PROMPT), request.prompts(a1111.withLoraFolders(List.of(dir.resolve("Lora")))));
            assertArrayEquals(cond, e.conditioning().floats());
            assertArrayEquals(
                    new float[] {1, 1, 1, 1, 1, 0.6f}, e.get("subprompt_weight").floats());
            Encoding alone = enc.encode(EMPHASIZED, request.prompts(a1111.withLoras(List.of(new Lora(lora, 0.8)))));
            assertArrayEquals(cond, alone.conditioning().floats());
            assertArrayEquals(pooled, alone.pooledOutput().floats());
            assertTrue(
                    enc
                            .notes(
                                    List.of(PROMPT),
                                    request.prompts(a1111.withLoraFolders(List.of(dir.resolve("Lora")))))
                            .stream()
                            .anyMatch(n -> n.contains("<hypernet:...>")));
        }
    }
}
