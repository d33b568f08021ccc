package sdclip.cli.command;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import sdclip.cli.Environment;
import sdclip.cli.UsageException;
import sdclip.cli.hub.DownloadProgress;
import sdclip.cli.hub.HubDownloader;
import sdclip.cli.option.QuietOption;
import sdclip.model.hub.HubCache;
import sdclip.model.hub.RepoId;

/**
 * {@code sdclip pull}: downloads a Hugging Face model into the local hub cache, the one command
 * that uses the network. Afterwards {@code --model org/name} finds it offline.
 */
@Command(
        name = "pull",
        mixinStandardHelpOptions = true,
        description = {
            // One short line per place: picocli breaks long lines at '.' and '/', inside the paths.
            "Download a Hugging Face model (org/name) into the local hub cache.",
            "Cache: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub,",
            "else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.",
            "Server: $HF_ENDPOINT (default https://huggingface.co), with $HF_TOKEN if set."
        })
public final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG/NAME[@REVISION]", description = "The model id.")
    String model;

    @Option(names = "--revision", paramLabel = "R", description = "Branch, tag or commit (default: main).")
    String revision;

    @Option(
            names = "--include",
            paramLabel = "GLOB",
            description =
                    "Only files matching this pattern (fnmatch: * also matches /; repeatable), e.g. 'text_encoder/*' or '*.json'.")
    List<String> include = new ArrayList<>();

    @Mixin
    QuietOption quiet;

    @Override
    public Integer call() throws Exception {
        RepoId id = repoId();
        Map<String, String> env = Environment.get();
        if (offline(env.get("HF_HUB_OFFLINE")))
            throw new IllegalStateException("HF_HUB_OFFLINE is set: not downloading " + id + " (unset it to pull)");
        URI endpoint = endpoint(env.get("HF_ENDPOINT"));
        HubCache cache = HubCache.fromEnvironment(env);
        PrintWriter out = spec.commandLine().getOut();
        try (HttpClient http = HubDownloader.client()) {
            HubDownloader hub = new HubDownloader(
                    http,
                    endpoint,
                    env.get("HF_TOKEN"),
                    cache,
                    new DownloadProgress(spec.commandLine().getErr(), quiet.quiet()),
                    HubDownloader.stallLimit(env));
            HubDownloader.RepoInfo info = hub.info(id);
            List<String> files = info.files().stream().filter(this::included).toList();
            if (files.isEmpty())
                throw new IllegalArgumentException(id + " at " + info.commit() + ": none of its "
                        + info.files().size() + " file(s) matches --include " + String.join(" ", include));
            int width = files.stream().mapToInt(String::length).max().orElse(0);
            for (String f : files) {
                HubDownloader.Fetched got = hub.fetch(id, info.commit(), f);
                String how = !got.downloaded()
                        ? "already in the cache"
                        : got.resumedAt() > 0 ? "resumed at " + DownloadProgress.size(got.resumedAt()) : "downloaded";
                out.printf(Locale.ROOT, "%-" + width + "s  %10s  %s%n", f, DownloadProgress.size(got.bytes()), how);
            }
            if (!id.revisionIsCommit()) writeRef(cache.ref(id, id.revision()), info.commit());
            out.printf(
                    Locale.ROOT,
                    "%s: commit %s, %d file(s) in %s%n",
                    id,
                    info.commit(),
                    files.size(),
                    cache.snapshot(id, info.commit()));
            out.flush();
        }
        return 0;
    }

    private RepoId repoId() {
        RepoId id;
        try {
            id = RepoId.parse(model);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (revision == null) return id;
        if (model.contains("@") && !id.revision().equals(revision))
            throw new UsageException("two revisions: " + model + " and --revision " + revision);
        try {
            return id.withRevision(revision);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private boolean included(String file) {
        if (include.isEmpty()) return true;
        for (String g : include) if (fnmatch(g, file)) return true;
        return false;
    }

    /** Python's fnmatch, as huggingface_hub filters with it: {@code *} matches {@code /} too; a trailing {@code /} means the whole folder. */
    static boolean fnmatch(String glob, String name) {
        String g = glob.endsWith("/") ? glob + "*" : glob;
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*') re.append(".*");
            else if (c == '?') re.append('.');
            else if (c == '[' && g.indexOf(']', i + 2) > 0) {
                int end = g.indexOf(']', i + 2);
                String set = g.substring(i + 1, end)
                        .replace("\\", "\\\\")
                        .replace("[", "\\[")
                        .replace("&", "\\&");
                if (set.startsWith("!")) set = "^" + set.substring(1);
                else if (set.startsWith("^")) set = "\\" + set;
                re.append('[').append(set).append(']');
                i = end;
            } else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(name).matches();
    }

    static boolean offline(String value) {
        return value != null
                && List.of("1", "ON", "YES", "TRUE").contains(value.strip().toUpperCase(Locale.ROOT));
    }

    private static URI endpoint(String value) {
        String v = value == null || value.isBlank() ? "https://huggingface.co" : value.strip();
        try {
            URI u = URI.create(v);
            if ((u.getScheme() == null || !u.getScheme().matches("https?")) || u.getHost() == null)
                throw new IllegalArgumentException();
            return u;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("HF_ENDPOINT is not an http(s) address: " + v);
        }
    }

    /** {@code refs/<revision>} = commit, written beside and renamed into place. */
    private static void writeRef(Path ref, String commit) throws IOException {
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(
                "." + ref.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
