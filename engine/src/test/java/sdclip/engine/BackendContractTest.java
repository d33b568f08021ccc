package sdclip.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.engine.reference.ReferenceBackend;
import sdclip.testdata.Seeded;

/**
 * The contract every fast backend meets: each operation against {@link ReferenceBackend} on
 * seeded random inputs. Subclasses say which backends to check. Tolerances are
 * {@code max |d| / max |expected|}: F32 accumulation over K terms against double accumulation
 * stays near sqrt(K) * 2^-24, so 2e-5 bounds K up to 3072 with margin; elementwise kernels get
 * 1e-6 (a few ulp).
 */
public abstract class BackendContractTest {
    static final double LINEAR_TOL = 2e-5;
    static final double ELEMENTWISE_TOL = 1e-6;

    static final ReferenceBackend REF = new ReferenceBackend();

    /** For the backends' subclasses, in their own packages. */
    protected BackendContractTest() {}

    /** The backends under test. */
    protected abstract List<Backend> fast();

    /** One of them, for the tests that need only one. */
    Backend any() {
        return fast().getLast();
    }

    static float[] run(Backend backend, float[] input, int outSize, BiConsumer<Activation, Activation> op) {
        Activation x = backend.allocate(input.length), y = backend.allocate(outSize);
        backend.write(input, 0, x, 0, input.length);
        op.accept(x, y);
        float[] out = new float[outSize];
        backend.read(y, 0, out, 0, outSize);
        return out;
    }

    static Stream<Arguments> linearShapes() {
        int[][] shapes = { // rows, in, out
            {1, 32, 32},
            {3, 64, 48},
            {4, 100, 37},
            {5, 33, 70},
            {7, 768, 96},
            {77, 64, 256},
            {77, 768, 768},
            {8, 3072, 768},
            {13, 300, 2304 / 8},
            {2, 17, 1},
            {77, 768, 3072},
            // several K blocks, runs of many panels ending in a partial one, a short last row block
            {30, 600, 1000},
        };
        Stream<Arguments> plain = Stream.of(shapes)
                .flatMap(s -> Stream.of(DType.F32, DType.F16, DType.BF16).map(d -> Arguments.of(s[0], s[1], s[2], d)));
        // Quantized rows are whole blocks (of 256 for the K formats); 3072 inputs span twelve CPU K blocks.
        int[][] quantShapes = {{1, 256, 32}, {7, 512, 96}, {77, 768, 200}, {8, 3072, 64}, {30, 1024, 1000}};
        Stream<Arguments> quantized = Stream.of(quantShapes)
                .flatMap(s ->
                        Stream.of(DType.values()).filter(DType::quantized).map(d -> Arguments.of(s[0], s[1], s[2], d)));
        return Stream.concat(plain, quantized);
    }

    @ParameterizedTest(name = "linear {0}x{1}->{2} {3}")
    @MethodSource("linearShapes")
    void linearMatchesReference(int rows, int in, int out, DType dtype) {
        Seeded rnd = new Seeded(1000L * rows + 31L * in + out + dtype.ordinal());
        Weights w = QuantizedFixtures.random(dtype, 7L * rows + in + out, out * in, (float) (1 / Math.sqrt(in)));
        Weights b = Weights.rounded(dtype.quantized() ? DType.F32 : dtype, rnd.uniform(out, 0.1f));
        float[] x = rnd.normal(rows * in, 1f);
        float[] expected =
                run(REF, x, rows * out, (xa, ya) -> REF.linear(REF.prepareLinear(w, b, out, in), xa, rows, ya));
        for (Backend cpu : fast()) {
            float[] actual =
                    run(cpu, x, rows * out, (xa, ya) -> cpu.linear(cpu.prepareLinear(w, b, out, in), xa, rows, ya));
            double err = Seeded.relativeError(actual, expected);
            assertTrue(err <= LINEAR_TOL, cpu.name() + ": relative error " + err);
        }
    }

    /**
     * With the identity as input, {@code y = x W^T} is {@code W^T} itself: every weight the panels
     * dequantize must be ggml's float exactly (as the reference reads it), in every position of a
     * panel and of a K block, over two Q4_K superblocks.
     */
    @ParameterizedTest(name = "{0} dequantizes exactly")
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedPanelsDequantizeExactly(String name) {
        DType t = DType.valueOf(name);
        int in = 512, out = 40;
        Weights w = QuantizedFixtures.random(t, name.hashCode(), out * in, 0.5f);
        float[] eye = new float[in * in];
        for (int i = 0; i < in; i++) eye[i * in + i] = 1;
        float[] expected = new float[in * out];
        for (int k = 0; k < in; k++)
            for (int o = 0; o < out; o++) expected[k * out + o] = w.get((long) o * in + k) + 0f;
        for (Backend b : fast()) {
            float[] y =
                    run(b, eye, in * out, (xa, ya) -> b.linear(b.prepareLinear(List.of(w), List.of(), in), xa, in, ya));
            for (int i = 0; i < y.length; i++) y[i] += 0f; // -0 and 0 are the same weight
            assertArrayEquals(expected, y, b.name() + " " + t);
        }
    }

    @Test
    void fusedLinearEqualsSeparateLinears() {
        Seeded rnd = new Seeded(7);
        int rows = 9, in = 48;
        int[] outs = {48, 48, 16};
        List<Weights> ws = new ArrayList<>(), bs = new ArrayList<>();
        for (int o : outs) {
            ws.add(Weights.rounded(DType.F16, rnd.uniform(o * in, 0.2f)));
            bs.add(Weights.rounded(DType.F16, rnd.uniform(o, 0.1f)));
        }
        float[] x = rnd.normal(rows * in, 1f);
        int total = 112;
        float[] fused =
                run(any(), x, rows * total, (xa, ya) -> any().linear(any().prepareLinear(ws, bs, in), xa, rows, ya));
        int col = 0;
        for (int part = 0; part < outs.length; part++) {
            int o = outs[part], c0 = col;
            Weights w = ws.get(part), b = bs.get(part);
            float[] alone = run(REF, x, rows * o, (xa, ya) -> REF.linear(REF.prepareLinear(w, b, o, in), xa, rows, ya));
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < o; j++)
                    assertEquals(alone[r * o + j], fused[r * total + c0 + j], 2e-5f, "row " + r + " col " + (c0 + j));
            }
            col += o;
        }
    }

    @Test
    void linearWithoutBias() {
        Seeded rnd = new Seeded(11);
        int rows = 6, in = 40, out = 50;
        Weights w = Weights.ofFloats(rnd.uniform(out * in, 0.3f));
        float[] x = rnd.normal(rows * in, 1f);
        float[] expected = run(
                REF, x, rows * out, (xa, ya) -> REF.linear(REF.prepareLinear(List.of(w), List.of(), in), xa, rows, ya));
        float[] actual = run(
                any(),
                x,
                rows * out,
                (xa, ya) -> any().linear(any().prepareLinear(List.of(w), List.of(), in), xa, rows, ya));
        assertTrue(Seeded.relativeError(actual, expected) <= LINEAR_TOL);
    }

    @ParameterizedTest(name = "layer norm dim {0}")
    @ValueSource(ints = {1, 15, 32, 50, 64, 768, 1280, 3072})
    void layerNormMatchesReference(int dim) {
        Seeded rnd = new Seeded(dim);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) { // norms are never quantized
            for (int rows : new int[] {1, 77}) {
                float[] gamma = rnd.uniform(dim, 0.5f), beta = rnd.uniform(dim, 0.5f);
                for (int i = 0; i < dim; i++) gamma[i] += 1;
                Weights g = Weights.rounded(dtype, gamma), b = Weights.rounded(dtype, beta);
                float[] x = rnd.normal(rows * dim, 3f);
                for (int i = 0; i < x.length; i++) x[i] += 10; // an offset makes one-pass variance fail
                float[] expected = run(
                        REF, x, x.length, (xa, ya) -> REF.layerNorm(REF.prepareNorm(g, b, dim, 1e-5f), xa, rows, ya));
                for (Backend cpu : fast()) {
                    float[] actual = run(
                            cpu,
                            x,
                            x.length,
                            (xa, ya) -> cpu.layerNorm(cpu.prepareNorm(g, b, dim, 1e-5f), xa, rows, ya));
                    double err = Seeded.relativeError(actual, expected);
                    assertTrue(err <= 1e-5, dtype + " rows " + rows + ": relative error " + err);
                }
            }
        }
    }

    @Test
    void layerNormOfAConstantRowIsTheBias() {
        int dim = 40;
        float[] beta = new Seeded(3).uniform(dim, 1f);
        Weights g = Weights.ofFloats(new Seeded(4).uniform(dim, 2f)), b = Weights.ofFloats(beta);
        float[] x = new float[dim];
        Arrays.fill(x, 7.25f);
        for (Backend backend : List.of(REF, any())) {
            float[] y = run(
                    backend, x, dim, (xa, ya) -> backend.layerNorm(backend.prepareNorm(g, b, dim, 1e-5f), xa, 1, ya));
            assertArrayEquals(beta, y, backend.name());
        }
    }

    @ParameterizedTest(name = "elementwise n={0}")
    @ValueSource(ints = {1, 15, 16, 17, 100, 77 * 3072})
    void elementwiseMatchReference(int n) {
        float[] x = new Seeded(n).normal(n, 4f);
        x[0] = -30f; // deep in the left tail
        for (Backend cpu : fast()) {
            check(x, REF::quickGelu, cpu::quickGelu, cpu, ELEMENTWISE_TOL);
            check(x, REF::gelu, cpu::gelu, cpu, 1.5e-6); // see ErfTest for the GELU tail
        }
    }

    private interface InPlace {
        void apply(Activation x, int n);
    }

    private static void check(float[] x, InPlace ref, InPlace fast, Backend backend, double relTol) {
        float[] expected = inPlace(REF, x, ref), actual = inPlace(backend, x, fast);
        for (int i = 0; i < x.length; i++) {
            double tol = relTol * Math.abs(expected[i]) + 1e-12;
            assertEquals(expected[i], actual[i], tol, "x = " + x[i]);
        }
    }

    private static float[] inPlace(Backend backend, float[] x, InPlace op) {
        Activation a = backend.allocate(x.length);
        backend.write(x, 0, a, 0, x.length);
        op.apply(a, x.length);
        float[] out = new float[x.length];
        backend.read(a, 0, out, 0, x.length);
        return out;
    }

    @Test
    void addMatchesReference() {
        int n = 100_003;
        float[] a = new Seeded(5).normal(n, 1f), b = new Seeded(6).normal(n, 1f);
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) expected[i] = a[i] + b[i];
        Backend fast = any();
        Activation acc = fast.allocate(n), x = fast.allocate(n);
        fast.write(a, 0, acc, 0, n);
        fast.write(b, 0, x, 0, n);
        fast.add(acc, x, n);
        float[] out = new float[n];
        fast.read(acc, 0, out, 0, n);
        assertArrayEquals(expected, out);
    }

    @Test
    void embeddingMatchesReference() {
        int vocab = 300, context = 77, dim = 64; // rows of whole Q8_0 and Q4_0 blocks
        Seeded rnd = new Seeded(9);
        for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0}) {
            Weights tok = Weights.rounded(dtype, rnd.uniform(vocab * dim, 0.1f));
            Weights pos = Weights.rounded(dtype, rnd.uniform(context * dim, 0.05f));
            int batch = 3, seq = 77;
            int[] ids = new int[batch * seq];
            for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(vocab);
            float[] expected = run(
                    REF,
                    new float[0],
                    batch * seq * dim,
                    (x, y) -> REF.embed(REF.prepareEmbedding(tok, pos, vocab, context, dim), ids, batch, seq, y));
            float[] actual = run(
                    any(),
                    new float[0],
                    batch * seq * dim,
                    (x, y) -> any().embed(any().prepareEmbedding(tok, pos, vocab, context, dim), ids, batch, seq, y));
            assertArrayEquals(expected, actual, dtype.name());
        }
    }

    static Stream<Arguments> attentionShapes() {
        // Head dims of every released tower (64; ViT-H 80, bigG 104) and the tiny models' (16, 24);
        // 257 is a ViT-L/14 image's sequence (256 patches and the class token).
        return Stream.of(
                        Arguments.of(1, 1, 1, 8),
                        Arguments.of(1, 7, 4, 16),
                        Arguments.of(2, 77, 4, 16),
                        Arguments.of(1, 77, 12, 64),
                        Arguments.of(3, 9, 2, 20),
                        Arguments.of(2, 13, 3, 16),
                        Arguments.of(1, 33, 5, 80),
                        Arguments.of(2, 77, 20, 64),
                        Arguments.of(2, 19, 2, 24),
                        Arguments.of(1, 21, 2, 104),
                        Arguments.of(1, 257, 4, 16))
                .flatMap(a -> Stream.of(true, false)
                        .map(causal -> Arguments.of(a.get()[0], a.get()[1], a.get()[2], a.get()[3], causal)));
    }

    @ParameterizedTest(name = "attention batch {0} seq {1} heads {2} dim {3} causal {4}")
    @MethodSource("attentionShapes")
    void attentionMatchesReference(int batch, int seq, int heads, int headDim, boolean causal) {
        int width = heads * headDim;
        float[] qkv = new Seeded(seq * 100 + heads).normal(batch * seq * 3 * width, 1.5f);
        float[] expected =
                run(REF, qkv, batch * seq * width, (x, y) -> REF.attention(x, batch, seq, heads, headDim, causal, y));
        for (Backend cpu : fast()) {
            float[] actual = run(
                    cpu, qkv, batch * seq * width, (x, y) -> cpu.attention(x, batch, seq, heads, headDim, causal, y));
            double err = Seeded.relativeError(actual, expected);
            assertTrue(err <= 1e-5, cpu.name() + ": relative error " + err);
        }
    }

    @Test
    void fullAttentionSeesLaterTokens() {
        // Without the mask, changing the last token changes the first token's output, and a
        // sequence whose keys are all equal averages the values uniformly.
        int seq = 6, heads = 2, hd = 16, width = heads * hd;
        for (Backend b : fast()) {
            float[] qkv = new Seeded(22).normal(seq * 3 * width, 1f);
            float[] before = run(b, qkv, seq * width, (x, y) -> b.attention(x, 1, seq, heads, hd, false, y));
            for (int i = 0; i < 3 * width; i++) qkv[(seq - 1) * 3 * width + i] += 5;
            float[] after = run(b, qkv, seq * width, (x, y) -> b.attention(x, 1, seq, heads, hd, false, y));
            assertTrue(before[0] != after[0], b.name() + ": the first output ignored the last token");
            for (int t = 0; t < seq; t++)
                for (int i = 0; i < width; i++) qkv[t * 3 * width + width + i] = 0.25f; // equal keys
            float[] uniform = run(b, qkv, seq * width, (x, y) -> b.attention(x, 1, seq, heads, hd, false, y));
            for (int d = 0; d < width; d++) {
                double mean = 0;
                for (int t = 0; t < seq; t++) mean += qkv[t * 3 * width + 2 * width + d];
                assertEquals(mean / seq, uniform[d], 1e-5, b.name() + " dim " + d);
            }
        }
    }

    @Test
    void attentionIsCausal() {
        // Changing the last token must not change any earlier output.
        int seq = 10, heads = 2, hd = 16, width = heads * hd;
        float[] qkv = new Seeded(21).normal(seq * 3 * width, 1f);
        float[] before = run(any(), qkv, seq * width, (x, y) -> any().attention(x, 1, seq, heads, hd, true, y));
        for (int i = 0; i < 3 * width; i++) qkv[(seq - 1) * 3 * width + i] += 5;
        float[] after = run(any(), qkv, seq * width, (x, y) -> any().attention(x, 1, seq, heads, hd, true, y));
        for (int i = 0; i < (seq - 1) * width; i++) assertEquals(before[i], after[i]);
        // the first token attends only to itself: its output is its own value vector
        for (int h = 0; h < heads; h++) {
            for (int d = 0; d < hd; d++) assertEquals(qkv[2 * width + h * hd + d], before[h * hd + d], 1e-6f);
        }
    }
}
