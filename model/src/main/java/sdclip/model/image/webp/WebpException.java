package sdclip.model.image.webp;

/** A WebP file that cannot be decoded: the message says what is wrong, in words that follow a file name. */
public final class WebpException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * A decoding failure.
     *
     * @param problem what is wrong, as a clause ("its VP8 data ends before the last macroblock")
     */
    public WebpException(String problem) {
        super(problem);
    }
}
