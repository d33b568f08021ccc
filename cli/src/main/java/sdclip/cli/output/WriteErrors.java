package sdclip.cli.output;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * I/O errors of an output, told in the user's terms: {@code cannot write PATH: reason}, naming
 * the path they gave, never a temporary file, and the system's reason in words.
 */
public final class WriteErrors {
    private WriteErrors() {}

    /** What the system says when a disk has no room left (ENOSPC), sometimes after a temporary file's name. */
    private static final String DISK_FULL = "no space left on device";

    /** The one-line error for a failure while writing {@code target}; an error already told that way is kept. */
    public static IOException cannotWrite(Path target, IOException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot write ")) return e;
        boolean full = e.getMessage() != null
                && e.getMessage().toLowerCase(Locale.ROOT).contains(DISK_FULL);
        return new IOException(
                "cannot write " + target + ": " + (full ? "the disk is full (" + DISK_FULL + ")" : reason(e)), e);
    }

    static String reason(IOException e) {
        String r = e instanceof FileSystemException f ? f.getReason() : null;
        if (r == null || r.isBlank()) {
            if (e instanceof AccessDeniedException) r = "permission denied";
            else if (e instanceof NoSuchFileException) r = "no such file or folder";
            else if (e instanceof FileSystemException)
                r = e.getClass().getSimpleName().replace("Exception", "").toLowerCase(Locale.ROOT);
            else r = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return r.isEmpty() ? r : Character.toLowerCase(r.charAt(0)) + r.substring(1);
    }
}
