package sdclip.engine.opencl;

import static org.jocl.CL.*;

import java.util.ArrayList;
import java.util.List;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;
import sdclip.engine.DeviceException;

/** OpenCL discovery through JOCL: platforms, devices and their limits, with a clear error when there is no runtime. */
public final class OpenCl {
    private OpenCl() {}

    /** What to install when there is no OpenCL runtime. */
    public static final String INSTALL_HINT =
            "install an OpenCL ICD loader and a driver (on Debian: ocl-icd-opencl-dev, and pocl-opencl-icd for a CPU device; "
                    + "for NVIDIA GPUs the driver's libnvidia-opencl with an ICD file)";

    /** One OpenCL device and what sdclip needs to know of it. */
    public record Device(
            int platform,
            int index,
            String platformName,
            String name,
            String vendor,
            boolean gpu,
            long globalMemory,
            int computeUnits,
            long maxWorkGroupSize,
            cl_platform_id platformId,
            cl_device_id id) {
        public String describe() {
            return String.format(
                    "opencl:%d:%d  %s  [%s, %s]  %d compute units, %d MiB, max work-group %d",
                    platform,
                    index,
                    name,
                    platformName,
                    gpu ? "GPU" : "CPU/other",
                    computeUnits,
                    globalMemory >> 20,
                    maxWorkGroupSize);
        }
    }

    /** Every device of every platform; an empty list when a runtime is installed but has no platform. */
    public static List<Device> devices() {
        try {
            CL.setExceptionsEnabled(true);
            int[] n = new int[1];
            try {
                clGetPlatformIDs(0, null, n);
            } catch (CLException e) {
                if (e.getStatus() == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */) return List.of();
                throw e;
            }
            cl_platform_id[] platforms = new cl_platform_id[n[0]];
            clGetPlatformIDs(platforms.length, platforms, null);
            List<Device> out = new ArrayList<>();
            for (int p = 0; p < platforms.length; p++) {
                int[] count = new int[1];
                try {
                    clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, null, count);
                } catch (CLException e) {
                    continue; // CL_DEVICE_NOT_FOUND
                }
                cl_device_id[] ids = new cl_device_id[count[0]];
                clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, ids.length, ids, null);
                String platformName = platformString(platforms[p], CL_PLATFORM_NAME);
                for (int d = 0; d < ids.length; d++) {
                    long type = deviceLong(ids[d], CL_DEVICE_TYPE);
                    out.add(new Device(
                            p,
                            d,
                            platformName,
                            deviceString(ids[d], CL_DEVICE_NAME),
                            deviceString(ids[d], CL_DEVICE_VENDOR),
                            (type & CL_DEVICE_TYPE_GPU) != 0,
                            deviceLong(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE),
                            (int) deviceInt(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS),
                            deviceSize(ids[d], CL_DEVICE_MAX_WORK_GROUP_SIZE),
                            platforms[p],
                            ids[d]));
                }
            }
            return out;
        } catch (LinkageError e) {
            throw new DeviceException("no OpenCL runtime (" + e.getMessage() + "): " + INSTALL_HINT, e);
        }
    }

    /**
     * Picks a device: {@code opencl} takes the first GPU, else the first device;
     * {@code opencl:P:D} names platform P's device D.
     */
    public static Device select(String spec) {
        List<Device> all = devices();
        if (all.isEmpty()) throw new DeviceException("no OpenCL platform or device found: " + INSTALL_HINT);
        if (spec.equals("opencl"))
            return all.stream().filter(Device::gpu).findFirst().orElse(all.getFirst());
        String[] parts = spec.split(":");
        if (parts.length != 3)
            throw new IllegalArgumentException("backend \"" + spec + "\": expected opencl or opencl:PLATFORM:DEVICE");
        int p, d;
        try {
            p = Integer.parseInt(parts[1]);
            d = Integer.parseInt(parts[2]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("backend \"" + spec + "\": platform and device must be numbers");
        }
        return all.stream()
                .filter(x -> x.platform() == p && x.index() == d)
                .findFirst()
                .orElseThrow(() -> new DeviceException("no OpenCL device " + spec + "; present: "
                        + String.join(
                                ", ",
                                all.stream()
                                        .map(x -> "opencl:" + x.platform() + ":" + x.index())
                                        .toList())));
    }

    /** A clGet*Info call: (value size, value, size returned). */
    private interface InfoQuery {
        void query(long size, Pointer value, long[] sizeRet);
    }

    /** A string-valued info query: size first, then the bytes, without the trailing NUL. */
    private static String infoString(InfoQuery q) {
        long[] size = new long[1];
        q.query(0, null, size);
        byte[] b = new byte[(int) size[0]];
        q.query(b.length, Pointer.to(b), null);
        return new String(b, 0, Math.max(0, b.length - 1)).strip();
    }

    private static String platformString(cl_platform_id p, int param) {
        return infoString((n, v, r) -> clGetPlatformInfo(p, param, n, v, r));
    }

    private static String deviceString(cl_device_id d, int param) {
        return infoString((n, v, r) -> clGetDeviceInfo(d, param, n, v, r));
    }

    private static long deviceLong(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.cl_long, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceInt(cl_device_id d, int param) {
        int[] v = new int[1];
        clGetDeviceInfo(d, param, Sizeof.cl_int, Pointer.to(v), null);
        return v[0];
    }

    private static long deviceSize(cl_device_id d, int param) {
        long[] v = new long[1];
        clGetDeviceInfo(d, param, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }
}
