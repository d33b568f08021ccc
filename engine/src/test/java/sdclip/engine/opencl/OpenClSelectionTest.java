package sdclip.engine.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.DeviceException;
import sdclip.engine.Weights;

/** Device selection and its errors. */
class OpenClSelectionTest {

    @Test
    void selectsByIndexAndRefusesWhatIsNotThere() {
        OpenCl.Device d = OpenClSupport.requireDevice();
        OpenCl.Device same = OpenCl.select("opencl:" + d.platform() + ":" + d.index());
        assertEquals(d.name(), same.name());
        DeviceException missing = assertThrows(DeviceException.class, () -> OpenCl.select("opencl:99:0"));
        assertTrue(missing.getMessage().contains("no OpenCL device opencl:99:0"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpenCl.select("opencl:x:y"));
        assertThrows(IllegalArgumentException.class, () -> OpenCl.select("opencl:1"));
        assertTrue(d.describe().startsWith("opencl:" + d.platform() + ":" + d.index()));
    }

    /** Every buffer the backend created is freed by close: weights, pooled activations and ones never released. */
    @Test
    void closeReleasesAndIsIdempotent() {
        OpenClBackend b = new OpenClBackend(OpenClSupport.requireDevice());
        assertEquals(0, b.liveBuffers());
        Backend.Linear l =
                b.prepareLinear(Weights.ofFloats(new float[] {1, 2, 3, 4, 5, 6}), Weights.ofFloats(new float[3]), 3, 2);
        assertEquals(2, b.liveBuffers(), "weight and bias");
        Backend.Embedding e =
                b.prepareEmbedding(Weights.ofFloats(new float[10 * 2]), Weights.ofFloats(new float[4 * 2]), 10, 4, 2);
        assertEquals(4, b.liveBuffers(), "plus token and position tables");
        Activation a = b.allocate(10), kept = b.allocate(2), y = b.allocate(3);
        assertEquals(7, b.liveBuffers());
        b.write(new float[10], 0, a, 0, 10);
        b.release(a);
        assertThrows(IllegalStateException.class, () -> b.read(a, 0, new float[10], 0, 10));
        assertEquals(7, b.liveBuffers(), "a released buffer waits in the pool");
        Activation again = b.allocate(10);
        assertEquals(7, b.liveBuffers(), "and is handed out again");
        b.release(again);
        b.write(new float[] {1, 1}, 0, kept, 0, 2);
        b.linear(l, kept, 1, y);
        float[] out = new float[3];
        b.read(y, 0, out, 0, 3);
        assertArrayEquals(new float[] {3, 7, 11}, out);
        Activation rows = b.allocate(2 * 2);
        b.embed(e, new int[] {1, 2}, 1, 2, rows);
        assertEquals(8, b.liveBuffers(), "embed's id buffer is freed at once");
        b.close(); // kept, y and rows were never released
        assertEquals(0, b.liveBuffers());
        b.close();
        assertEquals(0, b.liveBuffers());
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> b.allocate(4));
        assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> b.read(kept, 0, new float[2], 0, 2));
        assertThrows(IllegalStateException.class, () -> b.linear(l, kept, 1, y));
        assertThrows(
                IllegalStateException.class,
                () -> b.prepareNorm(Weights.ofFloats(new float[2]), Weights.ofFloats(new float[2]), 2, 1e-5f));
        b.release(kept); // after close: nothing left to free, and nothing pooled
        assertEquals(0, b.liveBuffers());
    }
}
