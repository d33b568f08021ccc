package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.prompt.A1111Chunker;
import sdclip.model.prompt.Chunk;
import sdclip.model.prompt.ComfyChunker;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.prompt.TextualInversion;
import sdclip.testdata.RawSafetensors;

/**
 * {@link TextEncoder#encode(List, EncodeRequest, PromptOptions, ProgressListener)} end to end:
 * the chunked, weighted conditioning against a float64 computation from plain encodes of the
 * same chunks ({@link TextEncoder#encodeIds}), and textual inversion against the words its
 * vectors were copied from.
 */
class PromptSyntaxEncodeTest {
    /** max |got - want| / max |want|: the weighting in float32 against float64, chunks run in other batches. */
    static final double TOL = 1e-5;

    static final String FILLER = "a very long description of a quiet mountain lake at dawn, with pine trees, mist, "
            + "soft light on the water, small boats, distant birds, a wooden pier, rocks, reeds, ";

    static List<String> a1111Prompts() {
        return List.of(
                "a (red:1.3) fox, [[in the snow]], " + FILLER + FILLER + "(dramatic light:0.7), ((sharp focus))",
                "a cat BREAK (a dog:1.2) on a [sofa]",
                "plain words only");
    }

    static List<String> comfyPrompts() {
        return List.of(
                "a (red:1.3) fox, ((in the snow)), " + FILLER + FILLER + "(dramatic light:0.7)",
                "a cat on a (sofa:0.5)",
                "plain words only");
    }

    /** model, heads, clip skip, syntax. */
    static Stream<Arguments> weighted() {
        List<Arguments> out = new ArrayList<>();
        for (PromptSyntax s : List.of(PromptSyntax.A1111, PromptSyntax.COMFY)) {
            out.add(Arguments.of("tiny-sd15", new int[] {4}, 1, s));
            out.add(Arguments.of("tiny-sd15", new int[] {4}, 2, s));
            out.add(Arguments.of("tiny-sd21", new int[] {4}, 0, s));
            out.add(Arguments.of("tiny-sdxl", new int[] {2, 3}, 0, s));
            out.add(Arguments.of("tiny-sdxl", new int[] {2, 3}, 1, s)); // clip skip counted as on the plain path
            out.add(Arguments.of("tiny-sdxl", new int[] {2, 3}, 2, s));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: a short prompt's syntax encoding is its plain encoding")
    @ValueSource(strings = {"tiny-sdxl", "tiny-sd3"})
    void aShortUnweightedPromptEncodesAsThePlainPath(String model) throws IOException {
        // One chunk, no weights: conditioning, pooled vector (SD3's concatenation included) and
        // every per-encoder tensor as the plain path gives them.
        try (TextEncoder enc = open(model, new int[] {2, 3})) {
            List<String> prompts = List.of("a photo of a cat", "a dog");
            EncodeRequest request =
                    EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
            Encoding plain = enc.encode(prompts, request);
            Encoding chunked =
                    enc.encode(prompts, request.prompts(PromptOptions.plain().withSyntax(PromptSyntax.A1111)));
            assertTrue(
                    plain.has("pooled_output") && plain.has("encoder2.conditioning"),
                    plain.tensors().keySet().toString());
            for (String name : plain.tensors().keySet())
                assertEquals(plain.get(name), chunked.get(name), model + " " + name);
        }
    }

    /**
     * Streaming a syntax gives the in-memory encode's tensors bit for bit, group by group in
     * prompt order, whatever the batch size; {@code outputs} names and shapes them up front.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("streamCases")
    void streamingASyntaxEqualsTheInMemoryEncode(String model, PromptSyntax syntax) throws IOException {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 5; i++) prompts.addAll(syntax == PromptSyntax.A1111 ? a1111Prompts() : comfyPrompts());
        PromptOptions options = PromptOptions.plain().withSyntax(syntax);
        EncodeRequest request =
                EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
        int[] heads = model.equals("tiny-sd15") ? new int[] {4} : new int[] {2, 3};
        Encoding whole;
        try (TextEncoder enc = open(model, heads)) {
            whole = enc.encode(prompts, request.prompts(options));
            List<TensorSpec> specs = enc.outputs(prompts, request.prompts(options));
            assertEquals(
                    List.copyOf(whole.tensors().keySet()),
                    specs.stream().map(TensorSpec::name).toList());
            for (TensorSpec spec : specs)
                assertArrayEquals(whole.get(spec.name()).shape(), spec.shape(), spec.name());
        }
        for (int batch : new int[] {1, 3}) {
            TextEncoder.Options o = ModelConformanceTest.options("cpu", heads).withBatchSize(batch);
            try (TextEncoder enc = TextEncoder.open(ModelConformanceTest.ref("models/" + model + ".safetensors"), o)) {
                List<Integer> firsts = new ArrayList<>();
                int[] done = {0};
                enc.stream(prompts, request.prompts(options), (first, e) -> {
                    firsts.add(first);
                    int n = (int) e.get("input_ids").shape()[0];
                    for (String name : whole.tensors().keySet()) {
                        HostTensor w = whole.get(name), g = e.get(name);
                        int row = w.size() / prompts.size();
                        if (w.isFloat())
                            assertArrayEquals(
                                    Arrays.copyOfRange(w.floats(), first * row, (first + n) * row),
                                    g.floats(),
                                    name + " at " + first);
                        else
                            assertArrayEquals(
                                    Arrays.copyOfRange(w.longs(), first * row, (first + n) * row),
                                    g.longs(),
                                    name + " at " + first);
                    }
                    assertEquals(done[0], first);
                    done[0] += n;
                });
                assertEquals(prompts.size(), done[0]);
                assertTrue(firsts.size() > 1, "streamed in groups: " + firsts);
            }
        }
    }

    static Stream<Arguments> streamCases() {
        return Stream.of(
                Arguments.of("tiny-sd15", PromptSyntax.A1111),
                Arguments.of("tiny-sd15", PromptSyntax.COMFY),
                Arguments.of("tiny-sdxl", PromptSyntax.A1111),
                Arguments.of("tiny-sd3", PromptSyntax.COMFY));
    }

    static TextEncoder open(String model, int[] heads) throws IOException {
        return TextEncoder.open(
                ModelConformanceTest.ref("models/" + model + ".safetensors"),
                ModelConformanceTest.options("cpu", heads));
    }

    @ParameterizedTest(name = "{0} clip skip {2} {3}")
    @MethodSource("weighted")
    void weightingMatchesAFloat64ComputationFromPlainEncodes(
            String model, int[] heads, int clipSkip, PromptSyntax syntax) throws IOException {
        List<String> prompts = syntax == PromptSyntax.A1111 ? a1111Prompts() : comfyPrompts();
        try (TextEncoder enc = open(model, heads)) {
            EncodeRequest request = EncodeRequest.of(
                            TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS)
                    .clipSkip(clipSkip);
            Encoding e =
                    enc.encode(prompts, request.prompts(PromptOptions.plain().withSyntax(syntax)));
            int encoders = enc.configs().size(), k = 2;
            assertArrayEquals(
                    new long[] {2, syntax == PromptSyntax.A1111 ? 2 : 1, 1},
                    e.get("chunks").longs());
            int total = enc.configs().stream().mapToInt(c -> c.width()).sum();
            assertArrayEquals(
                    new long[] {3, 77L * k, total}, e.get("conditioning").shape());
            float[] cond = e.get("conditioning").floats();
            int offset = 0;
            for (int i = 0; i < encoders; i++) {
                int width = enc.configs().get(i).width();
                double[] want = expected(enc, i, encoders, prompts, k, clipSkip, syntax);
                double maxWant = 0, maxDiff = 0;
                for (int row = 0; row < 3 * k * 77; row++) {
                    for (int d = 0; d < width; d++) {
                        double w = want[row * width + d], g = cond[row * total + offset + d];
                        maxWant = Math.max(maxWant, Math.abs(w));
                        maxDiff = Math.max(maxDiff, Math.abs(g - w));
                    }
                }
                assertTrue(maxDiff / maxWant <= TOL, "encoder " + (i + 1) + ": relative error " + maxDiff / maxWant);
                offset += width;
            }
            // The pooled output is the first chunk's, unweighted: as the plain encode of that chunk.
            Chunk first =
                    chunker(enc, encoders - 1, syntax).apply(prompts.get(1)).getFirst();
            Encoding plain = enc.encodeIds(
                    List.of(first.ids()),
                    EncodeRequest.of(TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS)
                            .encoder(encoders == 1 ? 0 : encoders)
                            .clipSkip(clipSkip));
            assertClose(
                    plain.get("pooled_output").floats(),
                    Arrays.copyOfRange(
                            e.get("pooled_output").floats(),
                            plain.get("pooled_output").size(),
                            2 * plain.get("pooled_output").size()));
        }
    }

    /** Encoder {@code i}'s conditioning {@code [3, 77k, D]} in float64, from plain encodes of each chunk. */
    static double[] expected(
            TextEncoder enc, int i, int encoders, List<String> prompts, int k, int clipSkip, PromptSyntax syntax)
            throws IOException {
        int width = enc.configs().get(i).width(), rows = 77 * width;
        var chunker = chunker(enc, i, syntax);
        EncodeRequest plainRequest = EncodeRequest.of(TextOutput.CONDITIONING)
                .encoder(encoders == 1 ? 0 : i + 1)
                .clipSkip(clipSkip);
        Chunk emptyChunk =
                Chunk.empty(49406, 49407, enc.checkpoint().encoders().get(i).padId());
        float[] empty = enc.encodeIds(List.of(emptyChunk.ids()), plainRequest)
                .get("conditioning")
                .floats();
        double[] out = new double[prompts.size() * k * rows];
        for (int p = 0; p < prompts.size(); p++) {
            List<Chunk> chunks = chunker.apply(prompts.get(p));
            for (int c = 0; c < k; c++) {
                double[] z = new double[rows];
                if (c >= chunks.size()) {
                    for (int j = 0; j < rows; j++) z[j] = empty[j];
                } else {
                    float[] plain = enc.encodeIds(List.of(chunks.get(c).ids()), plainRequest)
                            .get("conditioning")
                            .floats();
                    z = syntax == PromptSyntax.A1111
                            ? emphasis(plain, chunks.get(c).weights(), width)
                            : comfy(plain, empty, chunks.get(c).weights(), width);
                }
                System.arraycopy(z, 0, out, (p * k + c) * rows, rows);
            }
        }
        return out;
    }

    static Function<String, List<Chunk>> chunker(TextEncoder enc, int i, PromptSyntax syntax) throws IOException {
        int padId = enc.checkpoint().encoders().get(i).padId();
        if (syntax == PromptSyntax.A1111) return new A1111Chunker(enc.tokenizer(), padId, List.of())::chunk;
        return new ComfyChunker(enc.tokenizer(), padId, List.of(), ComfyChunker.Grouping.SEGMENTS)::chunk;
    }

    /** A1111's "original": z * w, then scaled so the mean of the chunk is what it was. */
    static double[] emphasis(float[] z, float[] weights, int width) {
        double[] out = new double[z.length];
        double before = 0, after = 0;
        for (int j = 0; j < z.length; j++) {
            out[j] = (double) z[j] * weights[j / width];
            before += z[j];
            after += out[j];
        }
        double scale = (before / z.length) / (after / z.length);
        for (int j = 0; j < z.length; j++) out[j] *= scale;
        return out;
    }

    /** ComfyUI: (z - z_empty) * w + z_empty where w != 1. */
    static double[] comfy(float[] z, float[] empty, float[] weights, int width) {
        double[] out = new double[z.length];
        for (int j = 0; j < z.length; j++) {
            double w = weights[j / width];
            out[j] = w == 1 ? z[j] : ((double) z[j] - empty[j]) * w + empty[j];
        }
        return out;
    }

    static void assertClose(float[] want, float[] got) {
        assertEquals(want.length, got.length);
        double maxWant = 0, maxDiff = 0;
        for (int j = 0; j < want.length; j++) {
            maxWant = Math.max(maxWant, Math.abs(want[j]));
            maxDiff = Math.max(maxDiff, Math.abs(got[j] - want[j]));
        }
        assertTrue(maxDiff / maxWant <= TOL, "relative error " + maxDiff / maxWant);
    }

    @Test
    void noNormOnlyMultiplies() throws IOException {
        try (TextEncoder enc = open("tiny-sd15", new int[] {4})) {
            String prompt = "a (red:1.5) fox";
            EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING);
            float[] got = enc.encode(
                            List.of(prompt),
                            request.prompts(PromptOptions.plain()
                                    .withSyntax(PromptSyntax.A1111)
                                    .withEmphasis(Emphasis.NO_NORM)))
                    .get("conditioning")
                    .floats();
            Chunk chunk = new A1111Chunker(enc.tokenizer(), 49407, List.of())
                    .chunk(prompt)
                    .getFirst();
            float[] plain = enc.encodeIds(List.of(chunk.ids()), request)
                    .get("conditioning")
                    .floats();
            float[] want = new float[plain.length];
            for (int j = 0; j < plain.length; j++) want[j] = plain[j] * chunk.weight(j / 64);
            assertClose(want, got);
            assertEquals(1.5f, chunk.weight(2));
        }
    }

    @Test
    void aLongPromptTakesTwoChunks() throws IOException {
        try (TextEncoder enc = open("tiny-sd15", new int[] {4})) {
            String prompt = "cat ".repeat(150);
            Encoding e = enc.encode(
                    List.of(prompt),
                    EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS)
                            .prompts(PromptOptions.plain().withSyntax(PromptSyntax.A1111)));
            assertArrayEquals(new long[] {1, 154, 64}, e.get("conditioning").shape());
            assertArrayEquals(new long[] {2}, e.get("chunks").longs());
            assertArrayEquals(new long[] {1, 154}, e.get("input_ids").shape());
        }
    }

    // ---- textual inversion: the trigger encodes exactly as the words whose embeddings it holds

    /** model, heads, file, trigger, the words written out; on every backend (the override is written into backend memory). */
    static Stream<Arguments> inversions() {
        return ModelConformanceTest.backends()
                .flatMap(backend -> Stream.of(
                                Arguments.of("tiny-sd15", new int[] {4}, "redfox-a1111.pt", "redfox-a1111", "red fox"),
                                Arguments.of(
                                        "tiny-sd15",
                                        new int[] {4},
                                        "redfox-kohya.safetensors",
                                        "redfox-kohya",
                                        "red fox"),
                                Arguments.of("tiny-sd15", new int[] {4}, "learned_embeds.bin", "learned_embeds", "fox"),
                                Arguments.of("tiny-sd15", new int[] {4}, "learned_embeds.bin", "<fox-token>", "fox"),
                                Arguments.of(
                                        "tiny-sdxl", new int[] {2, 3}, "redfox-xl.safetensors", "redfox-xl", "red fox"))
                        .map(a -> Arguments.of(backend, a.get()[0], a.get()[1], a.get()[2], a.get()[3], a.get()[4])));
    }

    @ParameterizedTest(name = "{0} {1} {4}")
    @MethodSource("inversions")
    void anEmbeddingEncodesAsTheWordsItWasCopiedFrom(
            String backend, String model, int[] heads, String file, String trigger, String words) throws IOException {
        Path embedding = ModelConformanceTest.ref("embeddings/" + file);
        EncodeRequest request =
                EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
        try (TextEncoder enc = TextEncoder.open(
                ModelConformanceTest.ref("models/" + model + ".safetensors"),
                ModelConformanceTest.options(backend, heads))) {
            PromptOptions a1111 =
                    PromptOptions.plain().withSyntax(PromptSyntax.A1111).withEmbeddings(List.of(embedding));
            PromptOptions comfy = a1111.withSyntax(PromptSyntax.COMFY);
            String comfyTrigger = trigger.startsWith("<") ? trigger : "embedding:" + trigger;
            String[][] cases = {
                {"a photo of " + trigger + " in the snow", "a photo of " + words + " in the snow"},
                {"a photo of (" + trigger + ":1.3), in the [snow]", "a photo of (" + words + ":1.3), in the [snow]"},
            };
            for (String[] c : cases)
                assertSame(
                        enc.encode(List.of(c[0]), request.prompts(a1111)),
                        enc.encode(List.of(c[1]), request.prompts(a1111)),
                        c[0]);
            String[][] comfyCases = {
                {"a photo of " + comfyTrigger + " in the snow", "a photo of " + words + " in the snow"},
                {"a photo of (" + comfyTrigger + ":1.3), in the snow", "a photo of (" + words + ":1.3), in the snow"},
            };
            if (!trigger.startsWith("<")) {
                for (String[] c : comfyCases)
                    assertSame(
                            enc.encode(List.of(c[0]), request.prompts(comfy)),
                            enc.encode(List.of(c[1]), request.prompts(comfy)),
                            c[0]);
            }
        }
    }

    static void assertSame(Encoding a, Encoding b, String prompt) {
        for (String name : List.of("conditioning", "pooled_output"))
            assertArrayEquals(b.get(name).floats(), a.get(name).floats(), prompt + ": " + name);
        if (b.has("text_embeds"))
            assertArrayEquals(
                    b.get("text_embeds").floats(), a.get("text_embeds").floats(), prompt + ": text_embeds");
        assertArrayEquals(b.get("chunks").longs(), a.get("chunks").longs());
    }

    @Test
    void embeddingsThatDoNotFitAreRefusedNamingTheFile() throws IOException {
        EncodeRequest request =
                EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
        PromptOptions a1111 = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        try (TextEncoder sd15 = open("tiny-sd15", new int[] {4});
                TextEncoder sdxl = open("tiny-sdxl", new int[] {2, 3})) {
            var narrow = assertThrows(
                    PromptException.class,
                    () -> sd15.encode(
                            List.of("x"),
                            request.prompts(a1111.withEmbeddings(
                                    List.of(ModelConformanceTest.ref("embeddings/redfox-xl.safetensors"))))));
            assertTrue(
                    narrow.getMessage().contains("redfox-xl.safetensors")
                            && narrow.getMessage().contains("width 32")
                            && narrow.getMessage().contains("width 64"),
                    narrow.getMessage());
            var single = assertThrows(
                    PromptException.class,
                    () -> sdxl.encode(
                            List.of("x"),
                            request.prompts(a1111.withEmbeddings(
                                    List.of(ModelConformanceTest.ref("embeddings/redfox-kohya.safetensors"))))));
            assertTrue(
                    single.getMessage().contains("redfox-kohya.safetensors")
                            && single.getMessage().contains("clip_l and clip_g"),
                    single.getMessage());
            Path missing = ModelConformanceTest.ref("embeddings/nope.pt");
            var absent = assertThrows(
                    IOException.class,
                    () -> sd15.encode(List.of("x"), request.prompts(a1111.withEmbeddings(List.of(missing)))));
            assertTrue(absent.getMessage().contains("nope.pt"), absent.getMessage());
            var plain = assertThrows(
                    IllegalArgumentException.class,
                    () -> sd15.encode(
                            List.of("x"),
                            request.prompts(PromptOptions.plain()
                                    .withEmbeddings(List.of(
                                            ModelConformanceTest.ref("embeddings/redfox-kohya.safetensors"))))));
            assertTrue(plain.getMessage().contains("syntax"), plain.getMessage());
        }
    }

    @Test
    void aMixedFolderKeepsTheEmbeddingsThatFitEachModel() throws IOException {
        EncodeRequest request =
                EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
        PromptOptions plain = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        PromptOptions folder = plain.withEmbeddings(List.of(ModelConformanceTest.ref("embeddings")));
        try (TextEncoder sd15 = open("tiny-sd15", new int[] {4});
                TextEncoder sdxl = open("tiny-sdxl", new int[] {2, 3})) {
            String fits = "a photo of redfox-a1111 in the snow", misfit = "a photo of redfox-xl in the snow";
            assertSame(
                    sd15.encode(List.of(fits), request.prompts(folder)),
                    sd15.encode(List.of("a photo of red fox in the snow"), request.prompts(plain)),
                    fits);
            // The SDXL file is left out on SD 1.x: its name stays plain words.
            assertSame(
                    sd15.encode(List.of(misfit), request.prompts(folder)),
                    sd15.encode(List.of(misfit), request.prompts(plain)),
                    misfit);
            assertSame(
                    sdxl.encode(List.of(misfit), request.prompts(folder)),
                    sdxl.encode(List.of("a photo of red fox in the snow"), request.prompts(plain)),
                    misfit);
            assertSame(
                    sdxl.encode(List.of(fits), request.prompts(folder)),
                    sdxl.encode(List.of(fits), request.prompts(plain)),
                    fits);
        }
    }

    @Test
    void aNameTakenByAMisfitGoesToTheNextFileThatFits(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("a-sd15"));
        Files.createDirectories(dir.resolve("b-sdxl"));
        Files.copy(ModelConformanceTest.ref("embeddings/redfox-a1111.pt"), dir.resolve("a-sd15/fox.pt"));
        Files.copy(ModelConformanceTest.ref("embeddings/redfox-xl.safetensors"), dir.resolve("b-sdxl/fox.safetensors"));
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT);
        PromptOptions plain = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        PromptOptions folder = plain.withEmbeddings(List.of(dir));
        try (TextEncoder sd15 = open("tiny-sd15", new int[] {4});
                TextEncoder sdxl = open("tiny-sdxl", new int[] {2, 3})) {
            for (TextEncoder enc : List.of(sd15, sdxl)) {
                assertSame(
                        enc.encode(List.of("a fox cub"), request.prompts(folder)),
                        enc.encode(List.of("a red fox cub"), request.prompts(plain)),
                        "a fox cub");
            }
            // Named on its own, the file that does not fit is still refused, naming it and both widths.
            var named = assertThrows(
                    PromptException.class,
                    () -> sd15.encode(
                            List.of("x"),
                            request.prompts(
                                    plain.withEmbeddings(List.of(dir, dir.resolve("b-sdxl/fox.safetensors"))))));
            assertTrue(
                    named.getMessage().startsWith(dir.resolve("b-sdxl/fox.safetensors") + ": ")
                            && named.getMessage().contains("width 32")
                            && named.getMessage().contains("width 64"),
                    named.getMessage());
        }
    }

    @Test
    void aLinkedEmbeddingsFolderIsFollowed(@TempDir Path dir) throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("embeddings"), ModelConformanceTest.ref("embeddings"));
        Path nested = Files.createDirectories(dir.resolve("models"));
        Files.createSymbolicLink(nested.resolve("embeddings"), ModelConformanceTest.ref("embeddings"));
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT);
        PromptOptions plain = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        try (TextEncoder sd15 = open("tiny-sd15", new int[] {4})) {
            Encoding want = sd15.encode(List.of("a photo of red fox in the snow"), request.prompts(plain));
            for (Path folder : List.of(link, nested)) {
                Encoding got = sd15.encode(
                        List.of("a photo of redfox-kohya in the snow"),
                        request.prompts(plain.withEmbeddings(List.of(folder))));
                assertSame(got, want, folder.toString());
            }
            // A link back up the tree is a loop: one line naming the folder, no endless walk.
            Path loop = Files.createDirectories(dir.resolve("loop/inner"));
            Files.createSymbolicLink(loop.resolve("up"), dir.resolve("loop"));
            var e = assertThrows(
                    IOException.class,
                    () -> sd15.encode(
                            List.of("x"), request.prompts(plain.withEmbeddings(List.of(dir.resolve("loop"))))));
            assertTrue(
                    e.getMessage().startsWith(dir.resolve("loop") + ": symbolic links form a loop")
                            && !e.getMessage().contains("\n"),
                    e.getMessage());
        }
    }

    /** A folder's other files are reported by the library, not printed: the caller reads them first, then encodes with what was read. */
    @Test
    void aFolderIsReadOnceAndItsOtherFilesAreListedAsSkipped(@TempDir Path dir) throws IOException {
        Files.copy(
                ModelConformanceTest.ref("embeddings/redfox-kohya.safetensors"),
                dir.resolve("redfox-kohya.safetensors"));
        RawSafetensors.write(
                dir.resolve("lora.safetensors"),
                "{\"lora_unet_down.alpha\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"lora_unet_down.lora_up.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                new byte[8]);
        Files.writeString(dir.resolve("broken.pt"), "");
        // One tensor whose key names a network weight, not a token: no trigger "lora_up.weight".
        RawSafetensors.write(
                dir.resolve("one-weight.safetensors"),
                "{\"lora_up.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
                new byte[16]);
        Files.writeString(dir.resolve("notes.md"), "# not looked at\n");
        EmbeddingFiles files = EmbeddingFiles.load(List.of(dir));
        assertEquals(
                List.of("redfox-kohya"),
                files.inversions().stream().map(TextualInversion::name).toList());
        assertEquals(
                List.of(
                        dir.resolve("broken.pt"),
                        dir.resolve("lora.safetensors"),
                        dir.resolve("one-weight.safetensors")),
                files.skipped().stream().map(EmbeddingFiles.Skipped::file).toList());
        assertEquals(
                "not a textual inversion embedding (expected string_to_param, emb_params, clip_l and clip_g, or one tensor; found "
                        + "lora_unet_down.alpha, lora_unet_down.lora_up.weight)",
                files.skipped().get(1).reason());
        assertEquals(
                "not a textual inversion embedding (expected string_to_param, emb_params, clip_l and clip_g, or one tensor; found "
                        + "lora_up.weight)",
                files.skipped().get(2).reason());
        // The reason leaves the file name to the caller; a .pt that is no checkpoint says so, not what the safetensors
        // reader saw.
        assertEquals(
                "is neither a PyTorch checkpoint (zip archive or legacy pickle) nor a safetensors or GGUF file",
                files.skipped().get(0).reason());
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT);
        PromptOptions plain = PromptOptions.plain().withSyntax(PromptSyntax.A1111);
        try (TextEncoder sd15 = open("tiny-sd15", new int[] {4})) {
            assertSame(
                    sd15.encode(List.of("a redfox-kohya cub"), request.prompts(plain.withEmbeddings(files))),
                    sd15.encode(List.of("a red fox cub"), request.prompts(plain)),
                    "embeddings already read");
        }
    }

    @Test
    void plainSyntaxIsTheExistingEncode() throws IOException {
        try (TextEncoder enc = open("tiny-sd15", new int[] {4})) {
            List<String> prompts = List.of("a (red:1.3) fox", "cat ".repeat(100));
            Encoding want = enc.encode(prompts, EncodeRequest.standard());
            Encoding got = enc.encode(prompts, EncodeRequest.standard().prompts(PromptOptions.plain()));
            assertEquals(want.tensors().keySet(), got.tensors().keySet());
            assertArrayEquals(
                    want.get("conditioning").floats(), got.get("conditioning").floats());
        }
    }
}
