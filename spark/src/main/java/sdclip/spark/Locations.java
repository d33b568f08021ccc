package sdclip.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;
import sdclip.model.hub.ModelLocator;

/**
 * What a model, tokenizer or embeddings location means on this JVM: a local path, a {@code file:}
 * URI, any other Hadoop filesystem URI ({@code hdfs://}, {@code s3a://}...: copied once to this
 * JVM's disk, {@link RemoteCopy}), or a Hugging Face id or bare model name, found offline as the
 * command line's {@code --model} finds it ({@link ModelLocator}, from this JVM's environment:
 * {@code HF_HUB_CACHE}, {@code SDCLIP_MODELS}...). Resolved where it is used, on the executor,
 * whose disks and environment may differ from the driver's.
 */
final class Locations {
    private Locations() {}

    /** A URI scheme: two letters or more (one letter is a Windows drive), then {@code ://} or {@code :/}. */
    private static final Pattern SCHEME = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]+):/.*");

    /** {@return the location's URI scheme in lower case, or null for a path, id or name} */
    static String scheme(String location) {
        var m = SCHEME.matcher(location);
        return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
    }

    /**
     * Refuses, on the driver, a location no executor could read: an empty one, a malformed URI,
     * or a URI whose scheme has no Hadoop filesystem on the driver's class path (an executor
     * would fail the same way, later). Whether the file exists is for the executors to say: the
     * driver may not see their disks.
     */
    static void check(String what, String location) {
        if (location == null || location.isBlank()) throw new IllegalArgumentException("the " + what + " is empty");
        String scheme = scheme(location);
        if (scheme == null) return;
        URI uri = uri(what, location);
        if (scheme.equals("file")) return;
        try {
            FileSystem.getFileSystemClass(scheme, hadoopConf());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(
                    "the " + what + " " + uri + ": no Hadoop filesystem for " + scheme
                            + ": on this class path (for s3a: add hadoop-aws and its SDK to the job's jars)",
                    e);
        }
    }

    /**
     * The local path a location names on this JVM, copying a remote file or folder here first
     * (once per JVM and file version).
     *
     * @throws IllegalArgumentException (one line) when an id or name resolves to nothing, or a
     *     remote location cannot be read
     */
    static Path local(String location) {
        String scheme = scheme(location);
        if (scheme == null) return new ModelLocator(System.getenv(), null).locate(location);
        URI uri = uri("location", location);
        if (scheme.equals("file")) return Path.of(uri);
        return RemoteCopy.local(uri, hadoopConf());
    }

    private static URI uri(String what, String location) {
        try {
            URI uri = new URI(location);
            if (uri.getScheme().equalsIgnoreCase("file")) Path.of(uri);
            return uri;
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the " + what + " " + location + " is not a URI sdclip can read (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The Hadoop configuration of this JVM's Spark: the active session's on the driver; on an
     * executor, a default configuration with the job's {@code spark.hadoop.*} settings, as Spark
     * builds its own.
     */
    static Configuration hadoopConf() {
        var session = SparkSession.getActiveSession();
        if (session.isDefined()) return session.get().sparkContext().hadoopConfiguration();
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env == null) return conf;
        SparkConf spark = env.conf();
        for (Tuple2<String, String> kv : spark.getAllWithPrefix("spark.hadoop.")) conf.set(kv._1(), kv._2());
        return conf;
    }
}
