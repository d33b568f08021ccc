package sdclip.cli.output;

import java.io.IOException;

/**
 * Standard output's reader has gone ({@code sdclip ... | head}): like other Unix tools the CLI
 * then stops at once and says nothing, where a full disk or another write error is reported.
 */
public final class ReaderGoneException extends IOException {
    private static final long serialVersionUID = 1L;

    ReaderGoneException(String message, IOException cause) {
        super(message, cause);
    }
}
