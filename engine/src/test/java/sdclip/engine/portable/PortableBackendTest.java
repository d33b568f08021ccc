package sdclip.engine.portable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.BackendContractTest;
import sdclip.engine.Backends;
import sdclip.engine.DType;
import sdclip.engine.Device;
import sdclip.engine.QuantizedFixtures;
import sdclip.engine.Weights;
import sdclip.testdata.Seeded;

/**
 * The portable backend, on one thread and on three, against the reference; and bit for bit
 * against the Vector API backend where both sum in the same order (this test JVM has the module).
 */
class PortableBackendTest extends BackendContractTest {
    private static final PortableBackend P1 = new PortableBackend(1), P3 = new PortableBackend(3);

    @Override
    protected List<Backend> fast() {
        return List.of(P1, P3);
    }

    @AfterAll
    static void close() {
        P1.close();
        P3.close();
    }

    private static float[] linear(Backend b, Weights w, Weights bias, float[] x, int rows, int in, int out) {
        Activation xa = b.allocate(x.length), ya = b.allocate(rows * out);
        b.write(x, 0, xa, 0, x.length);
        b.linear(b.prepareLinear(w, bias, out, in), xa, rows, ya);
        float[] y = new float[rows * out];
        b.read(ya, 0, y, 0, y.length);
        return y;
    }

    @Test
    void linearEqualsTheVectorBackendBitForBit() {
        try (Backend cpu = Backends.create(Device.cpu(), 2)) {
            assertEquals("cpu", cpu.name(), "this test JVM runs with the Vector API module");
            // rows, in, out; the 256-multiples take the quantized formats too
            int[][] shapes = {{1, 64, 64}, {5, 70, 130}, {77, 768, 200}, {13, 3, 1}, {9, 301, 600}, {3, 512, 40}};
            for (int[] s : shapes) {
                int rows = s[0], in = s[1], out = s[2];
                for (DType dtype : DType.values()) {
                    if (in % dtype.blockSize() != 0) continue; // quantized rows are whole blocks
                    Seeded rnd = new Seeded(rows + in + out);
                    Weights w = QuantizedFixtures.random(dtype, rows + in + out, out * in, 0.2f);
                    Weights bias = Weights.rounded(dtype.quantized() ? DType.F32 : dtype, rnd.uniform(out, 0.1f));
                    float[] x = rnd.normal(rows * in, 1f);
                    assertArrayEquals(
                            linear(cpu, w, bias, x, rows, in, out),
                            linear(P3, w, bias, x, rows, in, out),
                            rows + "x" + in + "->" + out + " " + dtype);
                }
            }
        }
    }

    @Test
    void attentionAndActivationsEqualTheVectorBackendBitForBit() {
        try (Backend cpu = Backends.create(Device.cpu(), 2)) {
            // Head dims of every tower (24: tiny, 64, 80: ViT-H, 104: bigG), short and image-length sequences.
            int[][] shapes = {{77, 24}, {77, 64}, {257, 64}, {33, 80}, {21, 104}, {6, 16}, {1, 64}};
            for (int[] shape : shapes)
                for (boolean causal : new boolean[] {true, false}) {
                    int batch = 2, seq = shape[0], heads = 3, hd = shape[1], width = heads * hd;
                    float[] qkv = new Seeded(seq).normal(batch * seq * 3 * width, 1.5f);
                    float[][] outs = new float[2][];
                    int i = 0;
                    for (Backend b : List.of(cpu, P1)) {
                        Activation x = b.allocate(qkv.length), y = b.allocate(batch * seq * width);
                        b.write(qkv, 0, x, 0, qkv.length);
                        b.attention(x, batch, seq, heads, hd, causal, y);
                        outs[i] = new float[batch * seq * width];
                        b.read(y, 0, outs[i++], 0, outs[0].length);
                    }
                    assertArrayEquals(outs[0], outs[1], "seq " + seq + ", head dim " + hd + ", causal " + causal);
                }
            float[] v = new Seeded(3).normal(1001, 4f);
            for (boolean quick : new boolean[] {true, false}) {
                float[][] outs = new float[2][];
                int i = 0;
                for (Backend b : List.of(cpu, P3)) {
                    Activation a = b.allocate(v.length);
                    b.write(v, 0, a, 0, v.length);
                    if (quick) b.quickGelu(a, v.length);
                    else b.gelu(a, v.length);
                    outs[i] = new float[v.length];
                    b.read(a, 0, outs[i++], 0, v.length);
                }
                assertArrayEquals(outs[0], outs[1], quick ? "quick_gelu" : "gelu");
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadsOrWarmUp() {
        Seeded rnd = new Seeded(17);
        int rows = 30, in = 200, out = 300;
        Weights w = Weights.rounded(DType.F16, rnd.uniform(out * in, 0.1f)),
                bias = Weights.rounded(DType.F16, rnd.uniform(out, 0.1f));
        float[] x = rnd.normal(rows * in, 1f);
        float[] first = linear(P1, w, bias, x, rows, in, out);
        for (int round = 0; round < 200; round++)
            assertArrayEquals(first, linear(P3, w, bias, x, rows, in, out), "round " + round);
    }
}
