package sdclip.engine.opencl;

import java.util.List;

import org.junit.jupiter.api.Assumptions;

/** Finds an OpenCL device for tests: skips with the reason when there is none, fails instead under CI. */
public final class OpenClSupport {
    private OpenClSupport() {}

    public static OpenCl.Device requireDevice() {
        String why;
        try {
            List<OpenCl.Device> devices = OpenCl.devices();
            if (!devices.isEmpty()) return OpenCl.select("opencl");
            why = "no OpenCL platform or device";
        } catch (RuntimeException | LinkageError e) {
            why = e.getMessage();
        }
        why = "OpenCL tests need a device: " + why + " (" + OpenCl.INSTALL_HINT + ")";
        if ("true".equalsIgnoreCase(System.getenv("CI")))
            throw new IllegalStateException(why + "; CI must have one (.ci/run installs PoCL)");
        Assumptions.assumeTrue(false, why);
        return null;
    }
}
