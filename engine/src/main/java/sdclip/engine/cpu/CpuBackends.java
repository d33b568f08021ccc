package sdclip.engine.cpu;

import sdclip.engine.Backend;

/**
 * The one door to {@link CpuBackend} from outside this package, with no Vector API type in its
 * signature: {@code Backends} calls it only once it knows {@code jdk.incubator.vector} is
 * there, so a JVM without that module never loads a Vector API class.
 */
public final class CpuBackends {
    private CpuBackends() {}

    /** A new Vector API backend on {@code threads} threads. */
    public static Backend create(int threads) {
        return new CpuBackend(threads);
    }
}
