package sdclip.engine;

/**
 * A backend cannot run here: no OpenCL runtime or device, no native access for JOCL, a kernel
 * that does not build on the device. The message says what is missing.
 */
public final class DeviceException extends SdclipException {
    private static final long serialVersionUID = 1L;

    /**
     * A device error.
     *
     * @param message what is missing, in one line
     */
    public DeviceException(String message) {
        super(message);
    }

    /**
     * A device error with its cause.
     *
     * @param message what is missing, in one line
     * @param cause   the underlying error
     */
    public DeviceException(String message, Throwable cause) {
        super(message, cause);
    }
}
