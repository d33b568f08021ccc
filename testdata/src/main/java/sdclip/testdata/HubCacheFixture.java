package sdclip.testdata;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Lays out a Hugging Face hub cache the way huggingface_hub does, for tests: a repository's
 * files copied into {@code blobs/<sha256>}, {@code snapshots/<commit>/<path>} as relative symbolic
 * links to them, and {@code refs/<name>} holding the commit.
 */
public final class HubCacheFixture {
    private HubCacheFixture() {}

    /**
     * Adds one snapshot of {@code org/name} to the cache at {@code cache}.
     *
     * @param files repository path (e.g. {@code text_encoder/model.safetensors}) to the file to copy in
     * @param refs the refs to point at {@code commit}
     * @return the snapshot folder
     */
    public static Path addSnapshot(
            Path cache, String org, String name, String commit, Map<String, Path> files, String... refs)
            throws IOException {
        Path repo = cache.resolve("models--" + org + "--" + name);
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        for (var e : files.entrySet()) {
            String sha = sha256(e.getValue());
            Path blob = repo.resolve("blobs").resolve(sha);
            Files.createDirectories(blob.getParent());
            if (!Files.exists(blob)) Files.copy(e.getValue(), blob, StandardCopyOption.REPLACE_EXISTING);
            Path link = snapshot.resolve(e.getKey());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, link.getParent().relativize(blob));
        }
        Files.createDirectories(snapshot);
        for (String ref : refs) {
            Path r = repo.resolve("refs").resolve(ref);
            Files.createDirectories(r.getParent());
            Files.writeString(r, commit);
        }
        return snapshot;
    }

    /** Every file under {@code folder}, keyed by its path relative to it with {@code /} separators. */
    public static Map<String, Path> filesOf(Path folder) throws IOException {
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile)
                    .collect(Collectors.toMap(
                            p -> folder.relativize(p).toString().replace(File.separatorChar, '/'),
                            p -> p,
                            (a, b) -> a,
                            TreeMap::new));
        }
    }

    /** The lower-case hex sha256 of a file. */
    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
