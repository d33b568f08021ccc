package sdclip.engine.cpu;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import sdclip.engine.Backend;
import sdclip.engine.BackendContractTest;

/** The Vector API backend, on one thread and on two, against the reference. */
class CpuBackendTest extends BackendContractTest {
    private static final CpuBackend CPU1 = new CpuBackend(1), CPU2 = new CpuBackend(2);

    @Override
    protected List<Backend> fast() {
        return List.of(CPU1, CPU2);
    }

    @AfterAll
    static void close() {
        CPU1.close();
        CPU2.close();
    }
}
