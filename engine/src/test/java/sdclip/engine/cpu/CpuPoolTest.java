package sdclip.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import sdclip.engine.Activation;

/** The CPU backend's pool of released activations keeps at most its cap; the rest goes to the GC. */
class CpuPoolTest {

    @Test
    void releasingMoreThanTheCapRetainsOnlyTheCap() {
        try (CpuBackend b = new CpuBackend(1)) {
            int size = 1 << 20;
            int fit = (int) (CpuBackend.MAX_FREE_FLOATS / size);
            List<Activation> all = new ArrayList<>();
            for (int i = 0; i < fit + 3; i++) all.add(b.allocate(size));
            assertEquals(0, b.pooledFloats());
            for (Activation a : all) b.release(a);
            assertEquals(
                    (long) fit * size, b.pooledFloats(), "the first " + fit + " are kept, the 3 past the cap are not");
            Activation reused = b.allocate(size);
            assertSame(all.get(fit - 1), reused, "the last one kept comes back first");
            assertEquals((long) (fit - 1) * size, b.pooledFloats());
            b.release(all.get(fit)); // one past the cap fits again now that one was handed out
            assertEquals((long) fit * size, b.pooledFloats());
            b.release(all.get(fit + 1)); // and the next does not
            assertEquals((long) fit * size, b.pooledFloats());
            assertSame(all.get(fit), b.allocate(size));
        }
    }
}
