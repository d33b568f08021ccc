package sdclip.spark;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * A model on a Hadoop filesystem ({@code hdfs://}, {@code s3a://}...), copied to this JVM's local
 * disk so it can be memory-mapped: once per JVM and version of the file (its URI, length and
 * modification time), by the first task that needs it while the others wait. The copy goes to
 * the application's scratch folder (Spark's {@code SparkFiles} root, removed with the
 * application) under a name derived from that version, through a temporary name and an atomic
 * rename, so executors sharing a disk never see half a file and a rerun after a change copies
 * anew.
 */
final class RemoteCopy {
    private RemoteCopy() {}

    /** One version of a remote file or folder: what the copy is keyed by. */
    private record Version(String uri, long length, long modified) {}

    static Path local(URI uri, Configuration conf) {
        Version version;
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs;
        try {
            fs = FileSystem.get(uri, conf);
            FileStatus status = fs.getFileStatus(remote);
            ContentSummary size = status.isDirectory() ? fs.getContentSummary(remote) : null;
            version = new Version(
                    uri.toString(), size != null ? size.getLength() : status.getLen(), status.getModificationTime());
        } catch (IOException e) {
            throw new IllegalArgumentException(uri + ": cannot be read (" + oneLine(e) + ")", e);
        }
        Path copy = ModelCache.get(version, () -> copy(fs, remote, version));
        if (Files.exists(copy)) return copy;
        // The application that made it ended and took its scratch folder along: copy again.
        ModelCache.forget(version);
        return ModelCache.get(version, () -> copy(fs, remote, version));
    }

    private static Path copy(FileSystem fs, org.apache.hadoop.fs.Path remote, Version version) throws IOException {
        Path dir = scratch().resolve("sdclip-models").resolve(digest(version));
        Path target = dir.resolve(remote.getName().isEmpty() ? "model" : remote.getName());
        if (Files.exists(target)) return target; // another JVM on this disk copied it
        Files.createDirectories(dir);
        Path temp = dir.resolve(".copy-" + UUID.randomUUID());
        try {
            FileUtil.copy(fs, remote, temp.toFile(), false, fs.getConf());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException lost) {
                if (!Files.exists(target)) throw lost;
            }
            return target;
        } catch (IOException e) {
            throw new IOException(remote + ": cannot be copied to " + dir + " (" + oneLine(e) + ")", e);
        } finally {
            if (Files.exists(temp)) FileUtil.fullyDelete(temp.toFile());
        }
    }

    /** This application's scratch folder on an executor (or the driver), else the temporary folder. */
    private static Path scratch() {
        return SparkEnv.get() != null
                ? Path.of(SparkFiles.getRootDirectory())
                : Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static String digest(Version v) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((v.uri() + "\n" + v.length() + "\n" + v.modified()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
