package sdclip.model.hub;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A Hugging Face model id, {@code org/name[@revision]}: the repository and the branch, tag or
 * commit to use (default {@code main}).
 *
 * @param org the owner (user or organisation), e.g. {@code openai}
 * @param name the repository name, e.g. {@code clip-vit-large-patch14}
 * @param revision a branch, tag or commit hash; {@code main} when none was given
 */
public record RepoId(String org, String name, String revision) {
    /** The revision when an id names none. */
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    // Names ending so are files typed by hand, never repositories.
    private static final String[] FILE_ENDINGS = {".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".json", ".gz", ".txt"
    };

    /**
     * Checks the parts.
     *
     * @throws IllegalArgumentException when a part is not a valid Hugging Face name
     */
    public RepoId {
        if (org == null
                || !PART.matcher(org).matches()
                || name == null
                || !PART.matcher(name).matches())
            throw new IllegalArgumentException("not a Hugging Face model id: " + org + "/" + name);
        if (revision == null || revision.isBlank() || revision.contains("..") || revision.startsWith("/"))
            throw new IllegalArgumentException("not a revision: '" + revision + "'");
    }

    /**
     * Whether {@code text} has the shape of a model id ({@code org/name} or
     * {@code org/name@revision}) rather than of a file name: one slash, name characters only, and
     * no model-file extension at the end.
     *
     * @param text what the user typed
     * @return true when {@link #parse} accepts it
     */
    public static boolean looksLikeId(String text) {
        int at = text.indexOf('@');
        String repo = at < 0 ? text : text.substring(0, at);
        int slash = repo.indexOf('/');
        if (slash < 0 || slash != repo.lastIndexOf('/')) return false;
        if (!PART.matcher(repo.substring(0, slash)).matches()
                || !PART.matcher(repo.substring(slash + 1)).matches()) return false;
        if (at >= 0 && at == text.length() - 1) return false;
        String lower = repo.toLowerCase(Locale.ROOT);
        for (String e : FILE_ENDINGS) if (lower.endsWith(e)) return false;
        return true;
    }

    /**
     * Parses {@code org/name} or {@code org/name@revision}.
     *
     * @param text the id
     * @return the id, revision {@code main} when none is given
     * @throws IllegalArgumentException when {@code text} is not an id
     */
    public static RepoId parse(String text) {
        if (!looksLikeId(text))
            throw new IllegalArgumentException("not a Hugging Face model id (org/name[@revision]): \"" + text + "\"");
        int at = text.indexOf('@'), slash = text.indexOf('/');
        String repo = at < 0 ? text : text.substring(0, at);
        return new RepoId(
                repo.substring(0, slash),
                repo.substring(slash + 1),
                at < 0 ? DEFAULT_REVISION : text.substring(at + 1));
    }

    /**
     * The same repository at another revision.
     *
     * @param other a branch, tag or commit hash
     * @return the id with that revision
     */
    public RepoId withRevision(String other) {
        return new RepoId(org, name, other);
    }

    /**
     * Returns {@code org/name}, without the revision.
     *
     * @return {@code org/name}, without the revision
     */
    public String repo() {
        return org + "/" + name;
    }

    /**
     * Returns the repository's folder name in the hub cache, {@code models--org--name}.
     *
     * @return the repository's folder name in the hub cache, {@code models--org--name}
     */
    public String cacheFolderName() {
        return "models--" + org + "--" + name;
    }

    /**
     * Returns whether the revision is a full 40-digit commit hash.
     *
     * @return whether the revision is a full 40-digit commit hash
     */
    public boolean revisionIsCommit() {
        return isCommit(revision);
    }

    /**
     * Whether a string is a full git commit hash.
     *
     * @param s any string
     * @return true for 40 lower-case hex digits
     */
    public static boolean isCommit(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    /**
     * Returns {@code org/name} or {@code org/name@revision} when the revision is not {@code main}.
     *
     * @return {@code org/name} or {@code org/name@revision} when the revision is not {@code main}
     */
    @Override
    public String toString() {
        return revision.equals(DEFAULT_REVISION) ? repo() : repo() + "@" + revision;
    }
}
