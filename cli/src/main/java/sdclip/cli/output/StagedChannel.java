package sdclip.cli.output;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import sdclip.model.safetensors.SafetensorsWriter;

/**
 * A temporary file (see {@link TempFiles}) open as a channel, for the writers that fill a file
 * in place as batches come: it becomes the target with {@link #commit}, or is deleted with
 * {@link #discard}. Failures read {@code cannot write <path>: <reason>}.
 */
final class StagedChannel {
    final Path tmp;
    final FileChannel ch;

    private StagedChannel(Path tmp, FileChannel ch) {
        this.tmp = tmp;
        this.ch = ch;
    }

    /**
     * Creates a temporary file beside {@code near}, opens it with {@code options} and writes
     * {@code head} (when non-null) at its start; on failure nothing is left and the error names
     * {@code reportAs}.
     */
    static StagedChannel open(Path near, Path reportAs, byte[] head, StandardOpenOption... options) throws IOException {
        Path t = null;
        FileChannel c = null;
        try {
            t = TempFiles.newFile(near);
            c = FileChannel.open(t, options);
            if (head != null) SafetensorsWriter.writeFully(c, ByteBuffer.wrap(head));
            return new StagedChannel(t, c);
        } catch (IOException e) {
            if (c != null) c.close();
            if (t != null) TempFiles.delete(t);
            throw WriteErrors.cannotWrite(reportAs, e);
        }
    }

    /** Forces the data to disk, closes, and renames the file over {@code target}. */
    void commit(Path target) throws IOException {
        try {
            ch.force(false);
            ch.close();
            SafetensorsWriter.moveAtomically(tmp, target);
            TempFiles.forget(tmp);
        } catch (IOException e) {
            throw WriteErrors.cannotWrite(target, e);
        }
    }

    /** Closes and deletes the file; for a writer that did not finish. */
    void discard() {
        try {
            ch.close();
        } catch (IOException e) {
            // deleting it anyway
        }
        TempFiles.delete(tmp);
    }
}
