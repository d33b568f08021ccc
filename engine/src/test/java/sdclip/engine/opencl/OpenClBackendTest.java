package sdclip.engine.opencl;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import sdclip.engine.Backend;
import sdclip.engine.BackendContractTest;

/**
 * The OpenCL backend against the reference on whatever device is there (PoCL's CPU device in
 * CI). Skipped, with the reason, only where no OpenCL platform exists; under CI that is a failure.
 */
class OpenClBackendTest extends BackendContractTest {
    private static OpenClBackend cl;

    @BeforeAll
    static void open() {
        cl = new OpenClBackend(OpenClSupport.requireDevice());
    }

    @Override
    protected List<Backend> fast() {
        return List.of(cl);
    }

    @AfterAll
    static void close() {
        if (cl != null) cl.close();
    }
}
