package sdclip.model.image;

import java.nio.file.Path;

import sdclip.engine.SdclipException;

/** An image that cannot be decoded or is refused; the message starts with the file (or the name given for bytes) and is one line. */
public final class ImageException extends SdclipException {
    private static final long serialVersionUID = 1L;

    /**
     * An image problem.
     *
     * @param file    the image file
     * @param problem what is wrong, without the file name; line breaks are folded into spaces
     */
    public ImageException(Path file, String problem) {
        super(file + ": " + oneLine(problem));
    }

    /**
     * An image problem caused by another exception.
     *
     * @param file    the image file
     * @param problem what is wrong, without the file name; line breaks are folded into spaces
     * @param cause   the decoder's exception
     */
    public ImageException(Path file, String problem, Throwable cause) {
        super(file + ": " + oneLine(problem), cause);
    }

    /**
     * An image problem, for an image named by something other than a file (bytes in memory).
     *
     * @param source  what the image is called: a path or URI it came from, a row key
     * @param problem what is wrong, without the name; line breaks are folded into spaces
     */
    public ImageException(String source, String problem) {
        super(source + ": " + oneLine(problem));
    }

    /**
     * An image problem caused by another exception, for an image named by something other than a file.
     *
     * @param source  what the image is called: a path or URI it came from, a row key
     * @param problem what is wrong, without the name; line breaks are folded into spaces
     * @param cause   the decoder's exception
     */
    public ImageException(String source, String problem, Throwable cause) {
        super(source + ": " + oneLine(problem), cause);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
