package sdclip.engine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import sdclip.engine.Activation;

/** Device selection and its errors. */
class OpenClSelectionTest {

    @Test
    void selectsByIndexAndRefusesWhatIsNotThere() {
        OpenCl.Device d = OpenClSupport.requireDevice();
        OpenCl.Device same = OpenCl.select("opencl:" + d.platform() + ":" + d.index());
        assertEquals(d.name(), same.name());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> OpenCl.select("opencl:99:0"));
        assertTrue(missing.getMessage().contains("no OpenCL device opencl:99:0"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpenCl.select("opencl:x:y"));
        assertThrows(IllegalArgumentException.class, () -> OpenCl.select("opencl:1"));
        assertTrue(d.describe().startsWith("opencl:" + d.platform() + ":" + d.index()));
    }

    @Test
    void closeReleasesAndIsIdempotent() {
        OpenClBackend b = new OpenClBackend(OpenClSupport.requireDevice());
        Activation a = b.allocate(10);
        b.write(new float[10], 0, a, 0, 10);
        b.release(a);
        assertThrows(IllegalStateException.class, () -> b.read(a, 0, new float[10], 0, 10));
        b.close();
        b.close();
    }
}
