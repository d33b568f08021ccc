package sdclip.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.BackendContractTest;
import sdclip.engine.Weights;
import sdclip.testdata.Seeded;

/**
 * The Vector API backend, on one thread and on two, against the reference; and with the GEMM
 * micro-kernel shaped for the register count this CPU does not have, so both shapes are checked
 * on every machine.
 */
class CpuBackendTest extends BackendContractTest {
    private static final CpuBackend CPU1 = new CpuBackend(1),
            CPU2 = new CpuBackend(2),
            OTHER_SHAPES = new CpuBackend(2, Gemm.REGISTERS == 16 ? 32 : 16);

    @Override
    protected List<Backend> fast() {
        return List.of(CPU1, CPU2, OTHER_SHAPES);
    }

    @AfterAll
    static void close() {
        CPU1.close();
        CPU2.close();
        OTHER_SHAPES.close();
    }

    /** Each output sums the same terms in the same order whichever kernel shape computes it: the same bits. */
    @ParameterizedTest(name = "{0} rows")
    @ValueSource(ints = {1, 3, 4, 5, 8, 11, 12, 13, 16, 17, 24, 77})
    void bothKernelsGiveTheSameBits(int rows) {
        int in = 600, out = 70; // three K blocks, a partial last panel
        Seeded rnd = new Seeded(rows);
        Weights w = Weights.ofFloats(rnd.normal(out * in, 0.05f)), b = Weights.ofFloats(rnd.uniform(out, 0.1f));
        float[] x = rnd.normal(rows * in, 1f);
        assertArrayEquals(linear(CPU2, w, b, x, rows, in, out), linear(OTHER_SHAPES, w, b, x, rows, in, out));
    }

    private static float[] linear(CpuBackend cpu, Weights w, Weights b, float[] x, int rows, int in, int out) {
        Activation xa = cpu.allocate(rows * in), ya = cpu.allocate(rows * out);
        cpu.write(x, 0, xa, 0, x.length);
        cpu.linear(cpu.prepareLinear(w, b, out, in), xa, rows, ya);
        float[] y = new float[rows * out];
        cpu.read(ya, 0, y, 0, y.length);
        return y;
    }
}
