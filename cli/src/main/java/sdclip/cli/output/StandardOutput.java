package sdclip.cli.output;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Standard output as a {@link PrintWriter} that remembers why a write failed: PrintWriter
 * swallows I/O errors and keeps only a flag, so a full disk or a reader that went away
 * ({@code | head}) would pass unnoticed. {@link #check} turns the flag into one IOException, a
 * {@link ReaderGoneException} when the reader went away.
 */
public final class StandardOutput extends PrintWriter {
    private final Recorder recorder;

    private StandardOutput(Recorder recorder) {
        super(new OutputStreamWriter(recorder, StandardCharsets.UTF_8), true);
        this.recorder = recorder;
    }

    /** Over {@code out}, flushing at each println. */
    public StandardOutput(OutputStream out) {
        this(new Recorder(out));
    }

    /** The process's standard output. */
    public static StandardOutput open() {
        return new StandardOutput(new FileOutputStream(FileDescriptor.out));
    }

    /**
     * Flushes {@code w} and throws {@link #failed} when a write to it failed, so a closed pipe
     * stops the work at once.
     */
    public static void check(Writer w) throws IOException {
        if (w instanceof PrintWriter p) {
            if (p.checkError()) throw failed(p instanceof StandardOutput s ? s.recorder.error : null);
            return;
        }
        try {
            w.flush();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /**
     * The one-line error, with the system's reason when it is known; a {@link ReaderGoneException}
     * when the reader has gone (EPIPE, which Java tells only in its words, "Broken pipe").
     */
    static IOException failed(IOException cause) {
        String reason = cause != null ? WriteErrors.reason(cause) : "write error";
        String message = "cannot write to standard output (" + reason + ")";
        return reason.equals("broken pipe") ? new ReaderGoneException(message, cause) : new IOException(message, cause);
    }

    /** Passes bytes on, keeping the first failure. */
    private static final class Recorder extends FilterOutputStream {
        IOException error;

        Recorder(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                if (error == null) error = e;
                throw e;
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                if (error == null) error = e;
                throw e;
            }
        }
    }
}
