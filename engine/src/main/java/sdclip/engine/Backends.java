package sdclip.engine;

import java.util.List;

import org.jocl.CL;
import sdclip.engine.cpu.CpuBackends;
import sdclip.engine.opencl.OpenCl;
import sdclip.engine.opencl.OpenClBackend;
import sdclip.engine.portable.PortableBackend;
import sdclip.engine.reference.ReferenceBackend;

/**
 * Creates backends for a {@link Device}:
 * <ul>
 *   <li>{@code cpu}: the Vector API backend, the fast one on a CPU; on a JVM without the
 *       {@code jdk.incubator.vector} module (see {@link #vectorApiAvailable()}), {@code portable}
 *       instead, which is logged once at level INFO through {@link System.Logger}
 *       {@code sdclip.engine};</li>
 *   <li>{@code portable}: plain Java loops that the JIT vectorizes itself, for any JVM (slower);</li>
 *   <li>{@code reference}: the scalar oracle every fast path is tested against (slow);</li>
 *   <li>{@code opencl}: the first OpenCL GPU, else the first OpenCL device;
 *       {@code opencl:P:D}: device D of platform P (see {@link #openClDevices()}); both need
 *       native access for JOCL's module (see {@link #openClNativeAccess()});</li>
 *   <li>{@code auto}: an OpenCL GPU when there is one and native access allows it, else
 *       {@code cpu} (which may be {@code portable}). The choice is logged once, at level INFO,
 *       through {@link System.Logger} {@code sdclip.engine}.</li>
 * </ul>
 */
public final class Backends {
    private Backends() {}

    private static final System.Logger LOG = System.getLogger("sdclip.engine");
    private static volatile boolean announced, fellBack;

    /** The names {@link Device#parse} accepts, for messages and help texts. */
    public static final String NAMES = "cpu, portable, reference, opencl, opencl:P:D, auto";

    /**
     * A new backend; the caller closes it.
     *
     * @param device  which backend
     * @param threads CPU threads for the CPU backends, 0 for every available processor
     * @return the backend
     * @throws IllegalArgumentException for a negative thread count
     * @throws DeviceException          when the backend cannot run here (no OpenCL runtime, no
     *                                  such device, no native access), saying what is missing
     */
    public static Backend create(Device device, int threads) {
        if (threads < 0) throw new IllegalArgumentException("thread count must not be negative, got " + threads);
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case Device.OpenClSelection s -> {
                requireNativeAccess();
                yield new OpenClBackend(s.toString());
            }
            case Device.Named named ->
                switch (named) {
                    case CPU -> cpu(n);
                    case PORTABLE -> new PortableBackend(n);
                    case REFERENCE -> new ReferenceBackend();
                    case AUTO -> auto(n);
                };
        };
    }

    /**
     * Whether this JVM has the {@code jdk.incubator.vector} module, which the {@code cpu}
     * backend needs; without it {@code cpu} means {@code portable}. Works on the module path
     * and on the class path alike (it looks at the module layer, not at a class).
     *
     * @return true when {@code jdk.incubator.vector} is in this module's layer (or the boot layer)
     */
    public static boolean vectorApiAvailable() {
        ModuleLayer layer = Backends.class.getModule().getLayer();
        return (layer != null ? layer : ModuleLayer.boot())
                .findModule("jdk.incubator.vector")
                .isPresent();
    }

    /**
     * Whether the JVM grants native access to JOCL's module (the unnamed module on the class
     * path), which OpenCL needs to load its native library; without it the JVM would print a
     * warning, so the OpenCL backends refuse instead and {@code auto} skips OpenCL.
     *
     * @return true when native access is enabled for JOCL's module; false also when JOCL is not on the path
     */
    public static boolean openClNativeAccess() {
        try {
            return CL.class.getModule().isNativeAccessEnabled(); // loads CL, runs no native code
        } catch (LinkageError e) {
            return false; // no JOCL on the path
        }
    }

    private static void requireNativeAccess() {
        if (openClNativeAccess()) return;
        Module jocl;
        try {
            jocl = CL.class.getModule();
        } catch (LinkageError e) {
            throw new DeviceException("OpenCL needs the JOCL library, which is not on the class path");
        }
        throw new DeviceException(
                "OpenCL needs native access for " + (jocl.isNamed() ? "module " + jocl.getName() : "the unnamed module")
                        + " (JOCL loads a native library), and this JVM does not enable it");
    }

    private static Backend cpu(int threads) {
        if (vectorApiAvailable()) return CpuBackends.create(threads);
        if (!fellBack) {
            fellBack = true;
            LOG.log(
                    System.Logger.Level.INFO,
                    "the Vector API module jdk.incubator.vector is not available; backend cpu is the portable backend");
        }
        return new PortableBackend(threads);
    }

    private static Backend auto(int threads) {
        OpenCl.Device gpu = null;
        if (openClNativeAccess()) {
            try {
                gpu = OpenCl.devices().stream()
                        .filter(OpenCl.Device::gpu)
                        .findFirst()
                        .orElse(null);
            } catch (RuntimeException | LinkageError e) {
                // no OpenCL runtime: the CPU it is
            }
        }
        Backend chosen = gpu != null ? new OpenClBackend(gpu) : cpu(threads);
        if (!announced) {
            announced = true;
            LOG.log(System.Logger.Level.INFO, "backend auto: {0}", chosen.name());
        }
        return chosen;
    }

    /**
     * One OpenCL device.
     *
     * @param id          the backend name that selects it, {@code opencl:P:D}
     * @param gpu         whether the device reports itself as a GPU
     * @param description one line: id, name, platform, kind, compute units, memory, work-group limit
     */
    public record OpenClDevice(String id, boolean gpu, String description) {}

    /**
     * Every OpenCL device of every platform.
     *
     * @return the devices, empty when a runtime is installed but offers none
     * @throws DeviceException when there is no OpenCL runtime or no native access; the
     *                               message says what is missing
     */
    public static List<OpenClDevice> openClDevices() {
        requireNativeAccess();
        return OpenCl.devices().stream()
                .map(d -> new OpenClDevice("opencl:" + d.platform() + ":" + d.index(), d.gpu(), d.describe()))
                .toList();
    }

    /** {@return what to install for OpenCL, in one sentence} */
    public static String openClInstallHint() {
        return OpenCl.INSTALL_HINT;
    }
}
