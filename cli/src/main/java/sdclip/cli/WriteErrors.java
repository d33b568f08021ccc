package sdclip.cli;

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
final class WriteErrors {
    private WriteErrors() {}

    /** The one-line error for a failure while writing {@code target}. */
    static IOException cannotWrite(Path target, IOException e) {
        return new IOException("cannot write " + target + ": " + reason(e), e);
    }

    static String reason(IOException e) {
        String r = e instanceof FileSystemException f ? f.getReason() : null;
        if (r == null || r.isBlank()) {
            if (e instanceof AccessDeniedException) r = "permission denied";
            else if (e instanceof NoSuchFileException) r = "no such file or folder";
            else if (e instanceof FileSystemException) r = e.getClass().getSimpleName().replace("Exception", "").toLowerCase(Locale.ROOT);
            else r = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return r.isEmpty() ? r : Character.toLowerCase(r.charAt(0)) + r.substring(1);
    }

    /**
     * Checks before any work that {@code target} can be written: not a folder, in a folder that
     * exists and is writable.
     */
    static void checkWritable(Path target) throws IOException {
        if (java.nio.file.Files.isDirectory(target)) throw new IOException("cannot write " + target + ": it is a folder");
        Path dir = target.toAbsolutePath().getParent();
        if (!java.nio.file.Files.isDirectory(dir)) throw new IOException("cannot write " + target + ": no folder " + dir);
        if (!java.nio.file.Files.isWritable(dir)) throw new IOException("cannot write " + target + ": folder " + dir + " is not writable");
    }
}
