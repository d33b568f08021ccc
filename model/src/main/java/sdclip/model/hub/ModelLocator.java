package sdclip.model.hub;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns what a user typed for a model into a path, before
 * {@link sdclip.model.checkpoint.Checkpoint#open} sees it. In order:
 * <ol>
 * <li>a path that exists is that path;
 * <li>a Hugging Face id {@code org/name[@revision]} is its snapshot folder in the local hub cache
 *     ({@link HubCache#resolve});
 * <li>a bare name (no separator) is looked up in the models folders ({@code SDCLIP_MODELS}, or
 *     the folder given to the constructor) as ComfyUI and A1111 lay them out: {@link #FOLDERS}
 *     under each folder, with or without one of {@link #EXTENSIONS}, directly or one subfolder
 *     deep;
 * <li>anything else is returned as a path, for the checkpoint reader to report missing.
 * </ol>
 * No network: ids resolve only from what is already in the cache.
 */
public final class ModelLocator {
    /** The file extensions a bare name may leave off, in lookup order. */
    public static final List<String> EXTENSIONS = List.of(".safetensors", ".ckpt", ".pt", ".pth", ".bin");

    /** The folders searched under each models folder (besides the folder itself), ComfyUI's and A1111's. */
    public static final List<String> FOLDERS = List.of(
            "models/checkpoints",
            "models/clip",
            "models/text_encoders",
            "models/Stable-diffusion",
            "models/diffusers",
            "models/embeddings",
            "embeddings");

    /** The folders searched for textual inversion names: A1111's (at its root, or under models/) and ComfyUI's. */
    public static final List<String> EMBEDDING_FOLDERS = List.of("embeddings", "models/embeddings");

    /** The folders LoRA names are looked up in: A1111's {@code models/Lora} and {@code models/LyCORIS}, ComfyUI's {@code models/loras}. */
    public static final List<String> LORA_FOLDERS = List.of("models/Lora", "models/LyCORIS", "models/loras");

    /** The file extensions an embedding name may leave off, in lookup order. */
    public static final List<String> EMBEDDING_EXTENSIONS = List.of(".safetensors", ".pt", ".bin");

    /**
     * What a bare name is looked up as.
     *
     * @param folders the folders under each models folder, besides any the lookup adds
     * @param withRoot whether the models folder itself is searched too
     * @param extensions the extensions a name may leave off
     * @param noun what is named, for messages
     * @param anyFolder whether any folder of that name counts (an embeddings subfolder), not only a model folder
     */
    private record Lookup(
            List<String> folders, boolean withRoot, List<String> extensions, String noun, boolean anyFolder) {}

    private static final Lookup MODEL = new Lookup(FOLDERS, true, EXTENSIONS, "model", false);
    private static final Lookup EMBEDDING =
            new Lookup(EMBEDDING_FOLDERS, false, EMBEDDING_EXTENSIONS, "embedding", true);

    private final HubCache hub;
    private final List<Path> modelsDirs;

    /**
     * A locator over the hub cache the environment names ({@link HubCache#fromEnvironment}) and
     * the models folders.
     *
     * @param env environment variables: the hub cache variables and {@code SDCLIP_MODELS} (folders
     *     separated by the platform's path separator)
     * @param modelsDir a models folder that replaces {@code SDCLIP_MODELS}, or null
     */
    public ModelLocator(Map<String, String> env, Path modelsDir) {
        this(
                HubCache.fromEnvironment(env),
                modelsDir != null ? List.of(modelsDir) : splitPaths(env.get("SDCLIP_MODELS")));
    }

    /**
     * A locator over a given hub cache and models folders.
     *
     * @param hub the hub cache
     * @param modelsDirs ComfyUI / A1111 install folders (or their {@code models} folders), searched in order
     */
    public ModelLocator(HubCache hub, List<Path> modelsDirs) {
        this.hub = hub;
        this.modelsDirs = List.copyOf(modelsDirs);
    }

    /**
     * Returns the hub cache ids resolve in.
     *
     * @return the hub cache ids resolve in
     */
    public HubCache hubCache() {
        return hub;
    }

    /**
     * Returns the models folders bare names are looked up in (empty when none is set).
     *
     * @return the models folders bare names are looked up in (empty when none is set)
     */
    public List<Path> modelsDirs() {
        return modelsDirs;
    }

    /**
     * The path a model argument means.
     *
     * @param argument a path, a Hugging Face id or a bare model name
     * @return an existing path, or {@code argument} as a path when nothing else fits
     * @throws IllegalArgumentException (one line naming what was looked for and where) when an
     *     id is not in the cache, or a name is in no models folder or in several
     */
    public Path locate(String argument) {
        Path asPath = pathOrNull(argument);
        if (asPath != null && Files.exists(asPath)) return asPath;
        String slashed = argument.replace(File.separatorChar, '/');
        boolean named = !modelsDirs.isEmpty() && isName(slashed);
        if (RepoId.looksLikeId(slashed)) {
            try {
                return hub.resolve(RepoId.parse(slashed));
            } catch (IllegalArgumentException notInHub) {
                String hubMiss = notInHub.getMessage();
                if (!named)
                    throw new IllegalArgumentException("no file or folder " + argument + ", and " + hubMiss, notInHub);
                try {
                    return byName(argument, MODEL);
                } catch (IllegalArgumentException notNamed) {
                    throw new IllegalArgumentException(
                            "no file or folder " + argument + ", " + hubMiss + ", and " + notNamed.getMessage(),
                            notNamed);
                }
            }
        }
        return named ? byNameOrMiss(argument, MODEL) : asPathOrMiss(argument, asPath);
    }

    /**
     * The path a textual inversion argument means: a path that exists, else a bare name in the
     * embeddings folders of the models folders ({@link #EMBEDDING_FOLDERS}; a file with or
     * without one of {@link #EMBEDDING_EXTENSIONS}, or a subfolder, directly or one subfolder
     * deep), as A1111 and ComfyUI find embeddings by name. No hub lookup.
     *
     * @param argument a path or a bare embedding name
     * @return an existing path, or {@code argument} as a path when nothing else fits
     * @throws IllegalArgumentException (one line naming what was looked for and where) when a
     *     name is in no embeddings folder or in several
     */
    public Path locateEmbedding(String argument) {
        Path asPath = pathOrNull(argument);
        if (asPath != null && Files.exists(asPath)) return asPath;
        boolean named = !modelsDirs.isEmpty() && isName(argument.replace(File.separatorChar, '/'));
        return named ? byNameOrMiss(argument, EMBEDDING) : asPathOrMiss(argument, asPath);
    }

    /**
     * The LoRA folders of the models folders that exist ({@link #LORA_FOLDERS} under each, or
     * without {@code models/} when a models folder is itself the {@code models} folder), in
     * order, for LoRA names ({@code Lora.find}) and A1111's {@code <lora:NAME>} tags.
     *
     * @return the folders; empty when no models folder has one
     */
    public List<Path> loraFolders() {
        List<Path> out = new ArrayList<>();
        for (Path dir : modelsDirs) {
            for (String f : LORA_FOLDERS) {
                for (Path p : List.of(dir.resolve(f), dir.resolve(f.substring("models/".length()))))
                    if (Files.isDirectory(p) && !out.contains(p.normalize())) out.add(p.normalize());
            }
        }
        return out;
    }

    private Path byNameOrMiss(String argument, Lookup lookup) {
        try {
            return byName(argument, lookup);
        } catch (IllegalArgumentException notNamed) {
            if (notNamed instanceof Ambiguous) throw notNamed;
            throw new IllegalArgumentException(
                    "no file or folder " + argument + ", and " + notNamed.getMessage(), notNamed);
        }
    }

    private static Path asPathOrMiss(String argument, Path asPath) {
        if (asPath == null) throw new IllegalArgumentException("not a valid path: " + argument);
        return asPath;
    }

    /** A name, or a name one subfolder deep ({@code SD15/dreamshaper}), as ComfyUI lists them. */
    private static boolean isName(String s) {
        if (s.isEmpty() || s.startsWith("/") || s.startsWith(".") || s.contains(":")) return false;
        String[] parts = s.split("/", -1);
        if (parts.length > 2) return false;
        for (String p : parts) if (p.isEmpty() || p.equals("..")) return false;
        return true;
    }

    private Path byName(String name, Lookup lookup) {
        List<Path> searched = new ArrayList<>();
        Set<Path> found = new LinkedHashSet<>();
        for (Path dir : modelsDirs) {
            for (Path folder : folders(dir, lookup)) {
                searched.add(folder);
                matches(folder, name, lookup, found);
            }
        }
        if (found.size() == 1) return found.iterator().next();
        if (found.size() > 1) {
            List<String> all = found.stream().map(Path::toString).toList();
            throw new Ambiguous(lookup.noun() + " name " + name + " is ambiguous: " + String.join(", ", all));
        }
        String where = searched.isEmpty()
                ? (lookup.withRoot()
                        ? "none of the models folders " + modelsDirs + " exists"
                        : "no " + String.join(" or ", lookup.folders()) + " folder in " + modelsDirs)
                : "looked in "
                        + String.join(
                                ", ", searched.stream().map(Path::toString).toList()) + ", with or without "
                        + String.join(" ", lookup.extensions()) + ", and one subfolder deep";
        throw new IllegalArgumentException(
                "no " + lookup.noun() + " named " + name + " in the models folders (" + where + ")");
    }

    /** The existing folders to search under one models folder: itself (for models), then the lookup's folders. */
    private static List<Path> folders(Path dir, Lookup lookup) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        if (lookup.withRoot()) out.add(dir);
        for (String f : lookup.folders()) {
            Path p = dir.resolve(f);
            if (Files.isDirectory(p)) out.add(p);
            // The models folder itself may be the one given: checkpoints/ directly under it.
            if (f.startsWith("models/") && Files.isDirectory(dir.resolve(f.substring(7))))
                out.add(dir.resolve(f.substring(7)));
        }
        return out.stream().distinct().toList();
    }

    /** Adds to {@code found} every file of {@code folder}, or of its subfolders, that {@code name} names. */
    private static void matches(Path folder, String name, Lookup lookup, Set<Path> found) {
        candidates(folder, name, lookup, found);
        if (name.indexOf('/') >= 0 || name.indexOf(File.separatorChar) >= 0) return;
        try (Stream<Path> s = Files.list(folder)) {
            for (Path sub : s.filter(Files::isDirectory).sorted().toList()) candidates(sub, name, lookup, found);
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": " + e.getMessage(), e);
        }
    }

    private static void candidates(Path folder, String name, Lookup lookup, Set<Path> found) {
        Path exact = folder.resolve(name);
        // A model folder counts only when it is the models folder's own subject (a diffusers or HF folder), not a
        // category; an embeddings subfolder is itself a set of embeddings.
        boolean folderCounts = Files.isDirectory(exact) && (lookup.anyFolder() || isModelFolder(exact));
        if (Files.isRegularFile(exact) || folderCounts) found.add(exact.normalize());
        for (String ext : lookup.extensions()) {
            Path p = folder.resolve(name + ext);
            if (Files.isRegularFile(p)) found.add(p.normalize());
        }
    }

    private static boolean isModelFolder(Path dir) {
        return Files.exists(dir.resolve("model_index.json"))
                || Files.exists(dir.resolve("config.json"))
                || Files.isDirectory(dir.resolve("text_encoder"));
    }

    private static Path pathOrNull(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static List<Path> splitPaths(String value) {
        if (value == null || value.isBlank()) return List.of();
        List<Path> out = new ArrayList<>();
        for (String p : value.split(File.pathSeparator)) if (!p.isBlank()) out.add(Path.of(p));
        return out;
    }

    /** Several models answer to one name: reported as is, never folded into a miss. */
    private static final class Ambiguous extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Ambiguous(String message) {
            super(message);
        }
    }
}
