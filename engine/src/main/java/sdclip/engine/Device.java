package sdclip.engine;

/**
 * Which backend runs a model, as a value rather than a string:
 * <ul>
 *   <li>{@link #auto()}: an OpenCL GPU when there is one and native access allows it, else {@link #cpu()};
 *   <li>{@link #cpu()}: the Vector API backend (the {@link #portable()} one on a JVM without
 *       {@code jdk.incubator.vector});
 *   <li>{@link #portable()}: plain Java loops, for any JVM;
 *   <li>{@link #reference()}: the scalar oracle every fast path is tested against (slow);
 *   <li>{@link #openCl()}: the first OpenCL GPU, else the first OpenCL device;
 *       {@link #openCl(int, int)} device D of platform P (see {@link Backends#openClDevices()}).
 * </ul>
 * Each device's {@code toString()} gives the name {@link #parse} reads back.
 */
public sealed interface Device {
    /** {@return auto selection: an OpenCL GPU, else the CPU} */
    static Device auto() {
        return Named.AUTO;
    }

    /** {@return the Vector API CPU backend (portable without the module)} */
    static Device cpu() {
        return Named.CPU;
    }

    /** {@return the plain-Java CPU backend} */
    static Device portable() {
        return Named.PORTABLE;
    }

    /** {@return the scalar reference backend} */
    static Device reference() {
        return Named.REFERENCE;
    }

    /** {@return the first OpenCL GPU, else the first OpenCL device} */
    static Device openCl() {
        return new OpenClSelection(-1, -1);
    }

    /**
     * One OpenCL device.
     *
     * @param platform the platform index, from 0
     * @param device   the device index within the platform, from 0
     * @return the device
     * @throws IllegalArgumentException for a negative index
     */
    static Device openCl(int platform, int device) {
        if (platform < 0 || device < 0)
            throw new IllegalArgumentException(
                    "OpenCL platform and device indexes start at 0, got " + platform + ":" + device);
        return new OpenClSelection(platform, device);
    }

    /**
     * A device by name: {@code auto}, {@code cpu}, {@code portable}, {@code reference},
     * {@code opencl} or {@code opencl:P:D} ({@link Backends#NAMES}).
     *
     * @param name the name
     * @return the device
     * @throws IllegalArgumentException for any other name
     */
    static Device parse(String name) {
        for (Named n : Named.values()) if (n.id.equals(name)) return n;
        if (name.equals("opencl")) return openCl();
        String[] p = name.split(":", -1);
        if (p.length == 3 && p[0].equals("opencl") && p[1].matches("\\d{1,4}") && p[2].matches("\\d{1,4}")) {
            return openCl(Integer.parseInt(p[1]), Integer.parseInt(p[2]));
        }
        throw new IllegalArgumentException("unknown backend \"" + name + "\" (" + Backends.NAMES + ")");
    }

    /** The devices that need no index. */
    enum Named implements Device {
        /** {@link Device#auto()}. */
        AUTO("auto"),
        /** {@link Device#cpu()}. */
        CPU("cpu"),
        /** {@link Device#portable()}. */
        PORTABLE("portable"),
        /** {@link Device#reference()}. */
        REFERENCE("reference");

        private final String id;

        Named(String id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /**
     * An OpenCL device.
     *
     * @param platform the platform index, or -1 with {@code device} -1 for the first GPU (else the first device)
     * @param device   the device index within the platform, or -1
     */
    record OpenClSelection(int platform, int device) implements Device {
        @Override
        public String toString() {
            return platform < 0 ? "opencl" : "opencl:" + platform + ":" + device;
        }
    }
}
