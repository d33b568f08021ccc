package sdclip.engine;

import java.util.List;
import sdclip.engine.cpu.CpuBackend;
import sdclip.engine.opencl.OpenCl;
import sdclip.engine.opencl.OpenClBackend;
import sdclip.engine.reference.ReferenceBackend;

/**
 * Creates backends by name. The names:
 * <ul>
 *   <li>{@code cpu}: the Vector API backend, the fast one on a CPU;</li>
 *   <li>{@code reference}: the scalar oracle every fast path is tested against (slow);</li>
 *   <li>{@code opencl}: the first OpenCL GPU, else the first OpenCL device;
 *       {@code opencl:P:D}: device D of platform P (see {@link #openClDevices()});</li>
 *   <li>{@code auto}: an OpenCL GPU when there is one, else {@code cpu}. The choice is logged
 *       once, at level INFO, through {@link System.Logger} {@code sdclip.engine}.</li>
 * </ul>
 */
public final class Backends {
    private Backends() {}

    private static final System.Logger LOG = System.getLogger("sdclip.engine");
    private static volatile boolean announced;

    /** The names {@link #create} accepts, for messages and help texts. */
    public static final String NAMES = "cpu, reference, opencl, opencl:P:D, auto";

    /**
     * A new backend; the caller closes it.
     *
     * @param name    one of {@link #NAMES}
     * @param threads CPU threads for the CPU backends, 0 for every available processor
     * @return the backend
     * @throws IllegalArgumentException for an unknown name or a negative thread count
     * @throws IllegalStateException    when the named backend cannot run here (no OpenCL runtime
     *                                  or no such device), with a message saying what is missing
     */
    public static Backend create(String name, int threads) {
        if (threads < 0) throw new IllegalArgumentException("thread count must not be negative, got " + threads);
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        if (name.equals("opencl") || name.startsWith("opencl:")) return new OpenClBackend(name);
        return switch (name) {
            case "cpu" -> new CpuBackend(n);
            case "reference" -> new ReferenceBackend();
            case "auto" -> auto(n);
            default -> throw new IllegalArgumentException("unknown backend \"" + name + "\" (" + NAMES + ")");
        };
    }

    private static Backend auto(int threads) {
        OpenCl.Device gpu = null;
        try {
            gpu = OpenCl.devices().stream().filter(OpenCl.Device::gpu).findFirst().orElse(null);
        } catch (RuntimeException | LinkageError e) {
            // no OpenCL runtime: the CPU it is
        }
        Backend chosen = gpu != null ? new OpenClBackend(gpu) : new CpuBackend(threads);
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
     * @throws IllegalStateException when there is no OpenCL runtime; the message says what to install
     */
    public static List<OpenClDevice> openClDevices() {
        return OpenCl.devices().stream()
                .map(d -> new OpenClDevice("opencl:" + d.platform() + ":" + d.index(), d.gpu(), d.describe()))
                .toList();
    }

    /** {@return what to install for OpenCL, in one sentence} */
    public static String openClInstallHint() { return OpenCl.INSTALL_HINT; }
}
