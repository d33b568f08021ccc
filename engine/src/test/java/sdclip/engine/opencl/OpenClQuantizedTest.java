package sdclip.engine.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.DType;
import sdclip.engine.QuantizedFixtures;
import sdclip.engine.Weights;
import sdclip.engine.reference.ReferenceBackend;
import sdclip.testdata.Seeded;

/**
 * Quantized weights stay in their ggml blocks on the device: a linear's and a token table's
 * device buffers hold exactly the stored bytes (never F32's four bytes a value), and a fused
 * linear over several quantized parts reads each part's blocks where they are.
 */
class OpenClQuantizedTest {
    private static OpenClBackend cl;

    @BeforeAll
    static void open() {
        cl = new OpenClBackend(OpenClSupport.requireDevice());
    }

    @AfterAll
    static void close() {
        if (cl != null) cl.close();
    }

    private static float[] linear(Backend b, Backend.Linear l, float[] x, int rows, int out) {
        Activation xa = b.allocate(x.length), ya = b.allocate(rows * out);
        b.write(x, 0, xa, 0, x.length);
        b.linear(l, xa, rows, ya);
        float[] y = new float[rows * out];
        b.read(ya, 0, y, 0, y.length);
        b.release(xa);
        b.release(ya);
        return y;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DType.class,
            names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void fusedQuantizedLinearHoldsTheStoredBlocks(DType t) {
        int in = 512, rows = 5;
        int[] outs = {24, 8, 16};
        List<Weights> parts = List.of(
                QuantizedFixtures.random(t, 1, outs[0] * in, 0.05f),
                QuantizedFixtures.random(t, 2, outs[1] * in, 0.05f),
                QuantizedFixtures.random(t, 3, outs[2] * in, 0.05f));
        Backend.Linear fused = cl.prepareLinear(parts, List.of(), in);
        long stored = parts.stream().mapToLong(w -> w.segment().byteSize()).sum();
        assertEquals(stored, cl.weightBytes(fused), t + " device buffer");
        assertTrue(stored * 3 < 48L * in * 4, "well under F32's size");

        float[] x = new Seeded(t.ordinal()).normal(rows * in, 1f);
        float[] y = linear(cl, fused, x, rows, 48);
        ReferenceBackend ref = new ReferenceBackend();
        int col = 0;
        for (int p = 0; p < parts.size(); p++) {
            int o = outs[p];
            float[] alone = linear(cl, cl.prepareLinear(List.of(parts.get(p)), List.of(), in), x, rows, o);
            float[] expected = linear(ref, ref.prepareLinear(List.of(parts.get(p)), List.of(), in), x, rows, o);
            assertTrue(Seeded.relativeError(alone, expected) <= 2e-5, t + " part " + p + " against the reference");
            for (int r = 0; r < rows; r++) {
                float[] got = new float[o], want = new float[o];
                System.arraycopy(y, r * 48 + col, got, 0, o);
                System.arraycopy(alone, r * o, want, 0, o);
                assertArrayEquals(want, got, t + " part " + p + " row " + r);
            }
            col += o;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DType.class,
            names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void quantizedTokenTableHoldsTheStoredBlocks(DType t) {
        int vocab = 64, context = 5, dim = 64;
        Weights tokens = QuantizedFixtures.random(t, 4, vocab * dim, 0.1f);
        Weights positions = Weights.rounded(DType.F16, new Seeded(5).uniform(context * dim, 0.05f));
        Backend.Embedding e = cl.prepareEmbedding(tokens, positions, vocab, context, dim);
        assertEquals(tokens.segment().byteSize(), cl.tokenBytes(e), t + " token table on the device");
        int[] ids = {63, 0, 17, 40, 9};
        Activation out = cl.allocate(context * dim);
        cl.embed(e, ids, 1, context, out);
        float[] y = new float[context * dim];
        cl.read(out, 0, y, 0, y.length);
        cl.release(out);
        for (int r = 0; r < context; r++)
            for (int i = 0; i < dim; i++)
                assertEquals(
                        tokens.get((long) ids[r] * dim + i) + positions.get((long) r * dim + i),
                        y[r * dim + i],
                        t + " row " + r + " value " + i);
    }
}
