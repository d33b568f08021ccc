package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.prompt.PromptSyntax;

/**
 * A1111 schedules through {@link TextEncoder#encode}: each row is exactly the encode of its
 * scheduled text on its own, the schedule tensors say where it belongs, and a run without
 * editing, alternation or AND is today's output with the extra-network tags gone.
 */
class ScheduleEncodeTest {
    private static final EncodeRequest REQUEST =
            EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);

    private static PromptOptions a1111(int steps) {
        return PromptOptions.plain().withSyntax(PromptSyntax.A1111).withSteps(steps);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15", "tiny-sdxl"})
    void rowsAreThePlainEncodesOfTheScheduledTexts(String model) throws IOException {
        List<String> prompts = List.of(
                "a [(red:1.2):blue:0.5] fox AND a cat :0.5", "plain words <lora:detail:0.8>", "[cat|dog], masterpiece");
        // Four steps: prompt 1's first sub-prompt switches after step 2; alternation changes every step.
        List<String> texts = List.of(
                "a (red:1.2) fox",
                "a blue fox",
                " a cat",
                "plain words ",
                "cat, masterpiece",
                "dog, masterpiece",
                "cat, masterpiece",
                "dog, masterpiece");
        long[] prompt = {0, 0, 0, 1, 2, 2, 2, 2}, sub = {0, 0, 1, 0, 0, 0, 0, 0}, end = {2, 4, 4, 4, 1, 2, 3, 4};
        float[] weight = {1, 1, 0.5f, 1, 1, 1, 1, 1};
        try (TextEncoder enc = PromptSyntaxEncodeTest.open(model, heads(model))) {
            Encoding e = enc.encode(prompts, REQUEST.prompts(a1111(4)));
            assertArrayEquals(prompt, e.get("schedule_prompt").longs());
            assertArrayEquals(sub, e.get("schedule_subprompt").longs());
            assertArrayEquals(end, e.get("schedule_end_step").longs());
            assertArrayEquals(weight, e.get("subprompt_weight").floats());
            List<TensorSpec> specs = enc.outputs(prompts, REQUEST.prompts(a1111(4)));
            assertEquals(
                    List.copyOf(e.tensors().keySet()),
                    specs.stream().map(TensorSpec::name).toList());
            for (TensorSpec s : specs)
                assertArrayEquals(s.shape(), e.get(s.name()).shape(), s.name());
            for (int r = 0; r < texts.size(); r++) {
                Encoding one = enc.encode(List.of(texts.get(r)), REQUEST.prompts(a1111(4)));
                for (String name : List.of("conditioning", "pooled_output", "input_ids")) {
                    HostTensor all = e.get(name), mine = one.get(name);
                    int row = mine.size();
                    if (all.isFloat())
                        assertArrayEquals(
                                mine.floats(),
                                Arrays.copyOfRange(all.floats(), r * row, (r + 1) * row),
                                name + " row " + r);
                    else
                        assertArrayEquals(
                                mine.longs(),
                                Arrays.copyOfRange(all.longs(), r * row, (r + 1) * row),
                                name + " row " + r);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15", "tiny-sdxl"})
    void aRunWithNothingToScheduleIsTodaysOutputWithoutTags(String model) throws IOException {
        try (TextEncoder enc = PromptSyntaxEncodeTest.open(model, heads(model))) {
            Encoding tagged = enc.encode(
                    List.of("a <lora:detail:0.8>fox, [snow] <hypernet:x>", "a [cat:dog:30]"),
                    REQUEST.prompts(a1111(20)));
            Encoding plain = enc.encode(List.of("a fox, [snow] ", "a cat"), REQUEST.prompts(a1111(20)));
            assertEquals(plain.tensors().keySet(), tagged.tensors().keySet());
            assertFalse(tagged.tensors().containsKey("schedule_end_step"));
            for (String name : plain.tensors().keySet()) assertEquals(plain.get(name), tagged.get(name), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sd15"})
    void aBadStepNamesThePrompt(String model) throws IOException {
        try (TextEncoder enc = PromptSyntaxEncodeTest.open(model, heads(model))) {
            PromptException e = assertThrows(
                    PromptException.class,
                    () -> enc.encode(List.of("fine", "a [b:c:1e999] d"), REQUEST.prompts(a1111(20))));
            assertEquals(
                    "prompt 2 (\"a [b:c:1e999] d\"): step '1e999' is not a finite number (at character 8)",
                    e.getMessage());
        }
    }

    private static int[] heads(String model) {
        return model.equals("tiny-sd15") ? new int[] {4} : new int[] {2, 3};
    }

    /**
     * A scheduled run has more rows than prompts: {@code encode} sizes its tensors by the rows,
     * also when a first batch holds as many rows as there are prompts (it once took that batch for
     * the whole run).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 8})
    void encodeGathersEveryRowWhateverTheBatches(int batchSize) throws IOException {
        List<String> prompts = List.of("[a red:a blue:0.5] fox", "a cat");
        try (TextEncoder enc = TextEncoder.open(
                ModelConformanceTest.ref("models/tiny-sd15.safetensors"),
                ModelConformanceTest.options("cpu", new int[] {4}).withBatchSize(batchSize))) {
            Encoding e = enc.encode(prompts, REQUEST.prompts(a1111(4)));
            assertArrayEquals(new long[] {0, 0, 1}, e.get("schedule_prompt").longs());
            float[] streamed = new float[e.conditioning().floats().length];
            int[] at = {0};
            enc.stream(prompts, REQUEST.prompts(a1111(4)), (first, batch) -> {
                float[] c = batch.conditioning().floats();
                System.arraycopy(c, 0, streamed, at[0], c.length);
                at[0] += c.length;
            });
            assertEquals(streamed.length, at[0]);
            assertArrayEquals(streamed, e.conditioning().floats());
        }
    }
}
