package sdclip.model.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache on disk, laid out as {@code huggingface_hub} lays it out:
 * {@code <root>/models--<org>--<name>/} holds {@code refs/<revision>} (a file holding a commit
 * hash), {@code blobs/<etag>} (file contents, named by their sha256 for LFS files, their git
 * sha1 otherwise) and {@code snapshots/<commit>/<path>} (relative symbolic links into
 * {@code blobs/}).
 */
public final class HubCache {
    private final Path root;

    /**
     * A cache at a given folder.
     *
     * @param root the cache folder (the one holding {@code models--*} folders)
     */
    public HubCache(Path root) {
        this.root = root;
    }

    /**
     * The cache the environment names: {@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE},
     * else {@code HF_HOME/hub}, else {@code XDG_CACHE_HOME/huggingface/hub}, else
     * {@code ~/.cache/huggingface/hub}. A leading {@code ~/} is the user's home.
     *
     * @param env environment variables (pass {@code System.getenv()} for the process's)
     * @return the cache (its folder need not exist)
     */
    public static HubCache fromEnvironment(Map<String, String> env) {
        String direct = first(env, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE");
        if (direct != null) return new HubCache(expand(direct));
        String home = first(env, "HF_HOME");
        if (home != null) return new HubCache(expand(home).resolve("hub"));
        String xdg = first(env, "XDG_CACHE_HOME");
        Path cache = xdg != null ? expand(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return new HubCache(cache.resolve("huggingface").resolve("hub"));
    }

    /**
     * Returns the cache folder.
     *
     * @return the cache folder
     */
    public Path root() {
        return root;
    }

    /**
     * Returns {@code <root>/models--<org>--<name>}.
     *
     * @param id a repository (its revision is ignored)
     * @return {@code <root>/models--<org>--<name>}
     */
    public Path repoFolder(RepoId id) {
        return root.resolve(id.cacheFolderName());
    }

    /**
     * Returns {@code blobs/<etag>} of the repository.
     *
     * @param id a repository
     * @param etag the file's blob id (sha256 for LFS files, git sha1 otherwise)
     * @return {@code blobs/<etag>} of the repository
     */
    public Path blob(RepoId id, String etag) {
        return repoFolder(id).resolve("blobs").resolve(etag);
    }

    /**
     * Returns {@code snapshots/<commit>} of the repository.
     *
     * @param id a repository
     * @param commit a full commit hash
     * @return {@code snapshots/<commit>} of the repository
     */
    public Path snapshot(RepoId id, String commit) {
        return repoFolder(id).resolve("snapshots").resolve(commit);
    }

    /**
     * Returns {@code refs/<revision>} of the repository.
     *
     * @param id a repository
     * @param revision a branch or tag name
     * @return {@code refs/<revision>} of the repository
     */
    public Path ref(RepoId id, String revision) {
        return repoFolder(id).resolve("refs").resolve(revision);
    }

    /**
     * The snapshot folder of a model id: the commit {@code refs/<revision>} names, or the
     * revision itself when it is a commit hash (a unique prefix of 7 or more hex digits also
     * selects a snapshot). With no {@code refs/main}, a repository holding exactly one snapshot
     * resolves to it.
     *
     * @param id the model id
     * @return the existing snapshot folder
     * @throws IllegalArgumentException (one line, naming the id and the cache) when the cache
     *     holds no such repository or revision, or when the revision is ambiguous
     */
    public Path resolve(RepoId id) {
        Path repo = repoFolder(id);
        if (!Files.isDirectory(repo))
            throw new IllegalArgumentException("Hugging Face model " + id.repo() + " is not in the hub cache " + root
                    + " (no " + id.cacheFolderName() + " there)");
        List<String> snapshots = children(repo.resolve("snapshots"));
        String rev = id.revision();
        if (id.revisionIsCommit()) return existing(id, rev, snapshots, "");
        Path ref = ref(id, rev);
        if (Files.isRegularFile(ref)) {
            String commit = read(ref);
            return existing(id, commit, snapshots, " (refs/" + rev + " names it)");
        }
        if (rev.matches("[0-9a-f]{7,39}")) {
            List<String> matches =
                    snapshots.stream().filter(s -> s.startsWith(rev)).toList();
            if (matches.size() == 1) return repo.resolve("snapshots").resolve(matches.getFirst());
            if (matches.size() > 1)
                throw new IllegalArgumentException("Hugging Face model " + id + " is ambiguous in " + repo
                        + ": snapshots " + String.join(", ", matches) + " all start with " + rev);
        }
        if (rev.equals(RepoId.DEFAULT_REVISION) && snapshots.size() == 1)
            return repo.resolve("snapshots").resolve(snapshots.getFirst());
        if (rev.equals(RepoId.DEFAULT_REVISION) && snapshots.size() > 1)
            throw new IllegalArgumentException("Hugging Face model " + id.repo() + " is ambiguous in " + repo
                    + ": no refs/main and " + snapshots.size() + " snapshots (" + String.join(", ", snapshots)
                    + "); name one as " + id.repo() + "@COMMIT");
        throw new IllegalArgumentException("Hugging Face model " + id.repo() + " has no revision '" + rev
                + "' in the hub cache " + repo + " (refs: " + listOrNone(children(repo.resolve("refs")))
                + "; snapshots: " + listOrNone(snapshots) + ")");
    }

    private Path existing(RepoId id, String commit, List<String> snapshots, String why) {
        if (snapshots.contains(commit)) return snapshot(id, commit);
        throw new IllegalArgumentException(
                "Hugging Face model " + id + ": snapshot " + commit + why + " is missing from "
                        + repoFolder(id).resolve("snapshots") + " (snapshots: " + listOrNone(snapshots) + ")");
    }

    private static String read(Path ref) {
        try {
            return Files.readString(ref, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(ref + ": " + e.getMessage(), e);
        }
    }

    private static List<String> children(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
        }
    }

    private static String listOrNone(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) return v;
        }
        return null;
    }

    private static Path expand(String path) {
        if (path.equals("~") || path.startsWith("~/"))
            return Path.of(System.getProperty("user.home") + path.substring(1));
        return Path.of(path);
    }
}
