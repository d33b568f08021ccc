package sdclip.cli.output;

import java.io.IOException;

import sdclip.model.Encoding;

/**
 * Where {@code encode} puts its results, batch by batch as they finish. {@link #finish} makes
 * the output whole (renames a file into place); {@link #close} without it discards everything.
 */
public interface ResultWriter extends AutoCloseable {
    /** One batch: prompts {@code [first, first + batch.prompts())}. */
    void write(int first, Encoding batch) throws IOException;

    /** Completes the output. */
    void finish() throws IOException;

    /** Discards an unfinished output and its temporary files. */
    @Override
    void close();
}
