package sdclip.spark;

import java.io.IOException;
import java.util.UUID;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Output files appear whole or not at all: each is written under a name no other attempt uses,
 * in the output's {@code _temporary} folder, then renamed to its final name, which an existing
 * file keeps (the attempt that finds it there deletes its own). Two attempts of one part (a
 * retry, a speculative copy, a rerun after a kill) write the same rows, so whichever copy is
 * published is the part; where a filesystem's rename replaces a file that appeared between the
 * check and the rename (the local one does), it is replaced by an equal one.
 */
final class Publisher {
    private Publisher() {}

    /** A name in {@code temporary} for writing {@code target}, unique to this attempt. */
    static Path temporary(Path temporary, Path target) {
        return new Path(temporary, target.getName() + "." + UUID.randomUUID() + ".tmp");
    }

    /**
     * Renames {@code written} to {@code target} unless {@code target} exists.
     *
     * @return whether this call published it (false: another attempt had)
     */
    static boolean publish(FileSystem fs, Path written, Path target) throws IOException {
        if (fs.exists(target)) {
            fs.delete(written, false);
            return false;
        }
        if (fs.rename(written, target)) return true;
        fs.delete(written, false);
        if (fs.exists(target)) return false;
        throw new IOException(target + ": could not rename " + written + " to it");
    }
}
