package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library API: requests, typed results, the streaming encode, output specs, SDXL naming. */
class TextEncoderApiTest {
    static TextEncoder open(String model, int... heads) throws IOException {
        return TextEncoder.open(
                ModelConformanceTest.ref("models/" + model), ModelConformanceTest.options("cpu", heads));
    }

    @Test
    void streamingBatchesJoinToTheInMemoryResultBitForBit() throws IOException {
        List<String> prompts = ModelConformanceTest.prompts();
        EncodeRequest request = EncodeRequest.standard().with(TextOutput.HIDDEN_STATES);
        try (TextEncoder enc = open("tiny-sdxl.safetensors", 2, 3);
                TextEncoder small = TextEncoder.open(
                        ModelConformanceTest.ref("models/tiny-sdxl.safetensors"),
                        ModelConformanceTest.options("cpu", 2, 3).withBatchSize(3))) {
            Encoding whole = enc.encode(prompts, request);
            List<Integer> firsts = new ArrayList<>();
            List<Encoding> parts = new ArrayList<>();
            small.stream(prompts, request, (first, batch) -> {
                firsts.add(first);
                parts.add(batch);
            });
            assertEquals(List.of(0, 3, 6, 9), firsts, "batches of 3, in order");
            Encoding joined = small.encode(prompts, request);
            assertEquals(whole.tensors().keySet(), joined.tensors().keySet());
            for (String name : whole.tensors().keySet())
                assertEquals(whole.get(name), joined.get(name), name + " identical whatever the batching");
            // batch 2 holds prompts 6..8: its hidden_states are [L+1, 3, 77, D]
            HostTensor h = parts.get(2).get("encoder2.hidden_states");
            assertArrayEquals(new long[] {5, 3, 77, 48}, h.shape());
            float[] all = whole.get("encoder2.hidden_states").floats();
            int row = 77 * 48;
            assertArrayEquals(
                    Arrays.copyOfRange(all, (4 * 12 + 6) * row, (4 * 12 + 9) * row),
                    Arrays.copyOfRange(h.floats(), 4 * 3 * row, 5 * 3 * row),
                    "last layer of prompts 6..8");
        }
    }

    @Test
    void outputsListWhatEncodeProduces() throws IOException {
        List<String> prompts = ModelConformanceTest.prompts().subList(0, 5);
        for (String model : List.of("tiny-sdxl.safetensors", "tiny-sd15.safetensors")) {
            try (TextEncoder enc = model.contains("sdxl") ? open(model, 2, 3) : open(model, 4)) {
                for (EncodeRequest r : List.of(
                        EncodeRequest.standard().with(TextOutput.HIDDEN_STATES),
                        EncodeRequest.pooledOnly(),
                        EncodeRequest.of())) {
                    List<TensorSpec> specs = enc.outputs(prompts, r);
                    Encoding e = enc.encode(prompts, r);
                    assertEquals(
                            specs.stream().map(TensorSpec::name).toList(),
                            List.copyOf(e.tensors().keySet()),
                            model + " " + r);
                    for (TensorSpec s : specs) {
                        assertArrayEquals(s.shape(), e.get(s.name()).shape(), s.name());
                        assertEquals(s.dtype(), e.get(s.name()).dtype(), s.name());
                        assertEquals(s.elements(), e.get(s.name()).size(), s.name());
                    }
                }
            }
        }
    }

    @Test
    void sdxlNamesEveryPerEncoderTensorIncludingConditioning() throws IOException {
        try (TextEncoder enc = open("tiny-sdxl.safetensors", 2, 3)) {
            Encoding e = enc.encode(List.of("a dog", "a cat"));
            assertEquals(
                    List.of(
                            "input_ids",
                            "pooled_index",
                            "conditioning",
                            "pooled_output",
                            "text_embeds",
                            "encoder1.input_ids",
                            "encoder1.pooled_index",
                            "encoder1.conditioning",
                            "encoder1.last_hidden_state",
                            "encoder1.pooled_output",
                            "encoder2.input_ids",
                            "encoder2.pooled_index",
                            "encoder2.conditioning",
                            "encoder2.last_hidden_state",
                            "encoder2.pooled_output",
                            "encoder2.text_embeds"),
                    List.copyOf(e.tensors().keySet()));
            assertEquals(2, e.encoderCount());
            assertEquals(e.get("encoder2.input_ids"), e.inputIds(), "top-level ids are encoder 2's");
            assertEquals(e.get("encoder1.pooled_output"), e.encoder(1).pooledOutput());
            assertEquals(e.textEmbeds(), e.encoder(2).textEmbeds());
            float[] c = e.conditioning().floats(),
                    c1 = e.encoder(1).conditioning().floats(),
                    c2 = e.encoder(2).conditioning().floats();
            for (int r = 0; r < 2 * 77; r++) {
                assertArrayEquals(
                        Arrays.copyOfRange(c1, r * 32, r * 32 + 32), Arrays.copyOfRange(c, r * 80, r * 80 + 32));
                assertArrayEquals(
                        Arrays.copyOfRange(c2, r * 48, r * 48 + 48), Arrays.copyOfRange(c, r * 80 + 32, r * 80 + 80));
            }
            Map<String, String> copies = new HashMap<>();
            for (TensorSpec s : enc.outputs(Collections.nCopies(2, ""), EncodeRequest.standard()))
                if (s.copyOf() != null) copies.put(s.name(), s.copyOf());
            assertEquals(
                    Map.of(
                            "encoder1.conditioning",
                            "conditioning",
                            "encoder1.pooled_index",
                            "pooled_index",
                            "encoder2.conditioning",
                            "conditioning",
                            "encoder2.input_ids",
                            "input_ids",
                            "encoder2.pooled_index",
                            "pooled_index",
                            "encoder2.pooled_output",
                            "pooled_output",
                            "encoder2.text_embeds",
                            "text_embeds"),
                    copies);
            // What the spec claims: encoder 1's end tokens stand where encoder 2's do (its ids differ by their
            // padding).
            assertEquals(e.pooledIndex(), e.get("encoder1.pooled_index"));
            assertNotEquals(e.inputIds(), e.get("encoder1.input_ids"));
            assertEquals(0, e.encoder(2).encoderCount(), "one encoder's own encoding");
        }
    }

    @Test
    void lastHiddenStateIsMarkedACopyOnlyWhereItIsOne() throws IOException {
        try (TextEncoder sd15 = open("tiny-sd15.safetensors", 4);
                TextEncoder sd21 = open("tiny-sd21.safetensors", 4)) {
            assertEquals(
                    "conditioning",
                    spec(sd15.outputs(Collections.nCopies(1, ""), EncodeRequest.standard()), "last_hidden_state")
                            .copyOf());
            assertNull(spec(
                            sd15.outputs(
                                    Collections.nCopies(1, ""),
                                    EncodeRequest.standard().clipSkip(2)),
                            "last_hidden_state")
                    .copyOf());
            assertNull(
                    spec(sd21.outputs(Collections.nCopies(1, ""), EncodeRequest.standard()), "last_hidden_state")
                            .copyOf(),
                    "SD 2.x conditions on the penultimate block");
            Encoding e = sd15.encode(List.of("a dog"));
            assertArrayEquals(e.conditioning().floats(), e.lastHiddenState().floats());
        }
    }

    @Test
    void pooledOnlyComputesOnlyPooledOutputs() throws IOException {
        try (TextEncoder enc = open("tiny-clip.safetensors", 4)) {
            Encoding fast = enc.encode(List.of("a dog", "a diagram of a cat"), EncodeRequest.pooledOnly());
            assertEquals(
                    List.of("input_ids", "pooled_index", "pooled_output", "text_embeds"),
                    List.copyOf(fast.tensors().keySet()));
            assertTrue(EncodeRequest.pooledOnly().isPooledOnly());
            assertFalse(EncodeRequest.of(TextOutput.TEXT_EMBEDS, TextOutput.LAST_HIDDEN_STATE)
                    .isPooledOnly());
            Encoding full = enc.encode(List.of("a dog", "a diagram of a cat"));
            assertEquals(full.textEmbeds(), fast.textEmbeds());
            assertThrows(IllegalArgumentException.class, fast::conditioning);
        }
    }

    @Test
    void messagesNameTheModelNotFlags() throws IOException {
        try (TextEncoder enc = open("tiny-sdxl.safetensors", 2, 3)) {
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> enc.encode(List.of("x"), EncodeRequest.standard().encoder(3)));
            assertTrue(
                    e.getMessage().startsWith("text encoder 3 requested, but ")
                            && e.getMessage().endsWith("tiny-sdxl.safetensors has 2 text encoders"),
                    e.getMessage());
            IllegalArgumentException skip = assertThrows(
                    IllegalArgumentException.class,
                    () -> enc.outputs(
                            Collections.nCopies(1, ""), EncodeRequest.standard().clipSkip(9)));
            assertFalse(skip.getMessage().contains("--"), skip.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> EncodeRequest.standard().clipSkip(-1));
        }
    }

    @Test
    void sizesAreLongsAndTooLargeForTheHeapIsRefusedUpFront(@TempDir Path dir) throws IOException {
        // The vocabulary is loaded on first use: a broken one shows whether any prompt was tokenized.
        Path broken = Files.writeString(dir.resolve("bpe_simple_vocab_16e6.txt.gz"), "not a vocabulary");
        try (TextEncoder enc = TextEncoder.open(
                ModelConformanceTest.ref("models/tiny-sd15.safetensors"),
                ModelConformanceTest.options("cpu", 4).withTokenizer(broken))) {
            EncodeRequest hidden = EncodeRequest.standard().with(TextOutput.HIDDEN_STATES);
            TensorSpec h = spec(enc.outputs(Collections.nCopies(40_000, ""), hidden), "hidden_states");
            assertEquals(4L * 40_000 * 77 * 64 * 4, h.bytes(), "3.15 GB, past an int");
            assertEquals(1, h.batchAxis());
            List<String> many = Collections.nCopies(200_000, "a dog");
            List<Integer> batches = new ArrayList<>();
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> enc.encode(
                            many,
                            EncodeRequest.of(TextOutput.HIDDEN_STATES).progress((done, total) -> batches.add(done))));
            assertTrue(
                    e.getMessage().startsWith("200000 prompts give hidden_states [4, 200000, 77, 64]")
                            && e.getMessage().contains("stream"),
                    e.getMessage());
            assertEquals(List.of(), batches, "refused before any batch ran");
            // Before any prompt was tokenized, too: the broken vocabulary is refused once something reads it.
            ModelFormatException read = assertThrows(ModelFormatException.class, () -> enc.encode(List.of("a dog")));
            assertTrue(read.getMessage().contains(broken.toString()), read.getMessage());
        }
    }

    private static TensorSpec spec(List<TensorSpec> specs, String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    /** Specs compare by value (shape included), and print their shape, not an array's identity. */
    @Test
    void tensorSpecsCompareAndPrintByValue() {
        TensorSpec a = new TensorSpec("conditioning", "F32", new long[] {2, 77, 64}, 0, null);
        TensorSpec b = new TensorSpec("conditioning", "F32", new long[] {2, 77, 64}, 0, null);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new TensorSpec("conditioning", "F32", new long[] {3, 77, 64}, 0, null));
        assertEquals("conditioning F32[2, 77, 64]", a.toString());
    }
}
