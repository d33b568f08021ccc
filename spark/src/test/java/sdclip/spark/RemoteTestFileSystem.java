package sdclip.spark;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * A Hadoop filesystem that stands in for HDFS or S3 in the tests: the local disk under another
 * scheme ({@code sdclip-remote:///abs/path}), so a model given as such a URI takes the remote
 * path (copied to the executor, then mapped), and every open is counted per file. Registered
 * through META-INF/services, as Hadoop finds its filesystems.
 */
public final class RemoteTestFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "sdclip-remote";
    static final Map<String, AtomicInteger> OPENS = new ConcurrentHashMap<>();

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        OPENS.computeIfAbsent(f.toUri().getPath(), k -> new AtomicInteger()).incrementAndGet();
        return super.open(f, bufferSize);
    }

    /** {@return how many times a file (its absolute local path) was opened through this scheme} */
    static int opens(java.nio.file.Path file) {
        AtomicInteger n = OPENS.get(file.toAbsolutePath().toString());
        return n == null ? 0 : n.get();
    }

    /** {@return the URI this filesystem gives a local file} */
    static String uri(java.nio.file.Path file) {
        return SCHEME + "://" + file.toAbsolutePath().toUri().getRawPath();
    }
}
