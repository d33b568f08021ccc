package sdclip.cli.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import sdclip.cli.ErrorLine;
import sdclip.model.hub.HubCache;
import sdclip.model.hub.RepoId;
import sdclip.model.json.Json;

/**
 * Downloads a Hugging Face model repository into the hub cache, as huggingface_hub does: the
 * file list from {@code /api/models/{repo}/revision/{rev}}, each file from
 * {@code /{repo}/resolve/{commit}/{file}} into {@code blobs/<etag>.incomplete} (resumed with a
 * {@code Range} header), checked against its etag (sha256 for LFS files, git sha1 otherwise),
 * renamed to {@code blobs/<etag>}, and linked from {@code snapshots/<commit>/<file>}.
 */
public final class HubDownloader {
    /** What the API says a revision holds. */
    public record RepoInfo(String commit, List<String> files) {}

    /** One file's outcome: its size, whether it was fetched (or already cached), and from which byte. */
    public record Fetched(String file, long bytes, boolean downloaded, long resumedAt) {}

    private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}"), SHA1 = Pattern.compile("[0-9a-f]{40}");

    private final HttpClient http;
    private final URI endpoint;
    private final String token;
    private final HubCache cache;
    private final DownloadProgress progress;

    /** How long a body may send nothing before the download is given up (kept, to resume). */
    private final Duration stallLimit;

    public HubDownloader(
            HttpClient http,
            URI endpoint,
            String token,
            HubCache cache,
            DownloadProgress progress,
            Duration stallLimit) {
        this.http = http;
        this.endpoint = endpoint;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.cache = cache;
        this.progress = progress;
        this.stallLimit = stallLimit;
    }

    /** Seconds a download may stall, as huggingface_hub reads it: {@code HF_HUB_DOWNLOAD_TIMEOUT}, default 10. */
    public static Duration stallLimit(Map<String, String> env) {
        String v = env.get("HF_HUB_DOWNLOAD_TIMEOUT");
        if (v == null || v.isBlank()) return Duration.ofSeconds(10);
        // Plain decimal seconds (no hex, no type suffixes, which Java's parser would take).
        if (v.strip().matches("[0-9]{1,6}(\\.[0-9]{1,3})?|\\.[0-9]{1,3}")) {
            double s = Double.parseDouble(v.strip());
            if (s >= 0.1 && s <= 86_400) return Duration.ofMillis(Math.round(s * 1000));
        }
        throw new IllegalArgumentException(
                "HF_HUB_DOWNLOAD_TIMEOUT is not a number of seconds from 0.1 to 86400: " + v);
    }

    public static HttpClient client() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(20))
                .build();
    }

    /** The commit a revision names and the files it holds. */
    public RepoInfo info(RepoId id) throws IOException {
        URI uri = at("api/models/" + id.org() + "/" + id.name() + "/revision/" + encode(id.revision(), false));
        HttpResponse<InputStream> r = send("GET", uri, Map.of(), true);
        String body;
        StallGuard in = new StallGuard(r.body(), stallLimit);
        try (in) {
            body = new String(in.readNBytes(64 << 20), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException(uri + ": " + (in.stalled() ? quiet() : ErrorLine.describe(e)), e);
        }
        check(r, id.toString());
        Map<String, Object> o = Json.parseObject(body);
        if (!(o.get("sha") instanceof String sha) || !RepoId.isCommit(sha))
            throw new IOException(uri + ": the answer names no commit (\"sha\")");
        List<String> files = new ArrayList<>();
        if (o.get("siblings") instanceof List<?> siblings)
            for (Object s : siblings)
                if (s instanceof Map<?, ?> m && m.get("rfilename") instanceof String f) files.add(safeName(f, uri));
        return new RepoInfo(sha, files);
    }

    /** Brings {@code file} of {@code commit} into the cache; on return its blob and snapshot link exist. */
    public Fetched fetch(RepoId id, String commit, String file) throws IOException, InterruptedException {
        URI url = at(id.org() + "/" + id.name() + "/resolve/" + commit + "/" + encode(file, true));
        HttpResponse<InputStream> head = send("HEAD", url, Map.of(), false);
        head.body().close();
        check(head, id + " " + file);
        String repoCommit = header(head, "X-Repo-Commit");
        if (repoCommit != null && !repoCommit.equals(commit))
            throw new IOException(url + ": the server answers for commit " + repoCommit + ", not " + commit);
        String etag =
                normalizeEtag(Optional.ofNullable(header(head, "X-Linked-Etag")).orElse(header(head, "ETag")));
        if (etag == null || !ETAG.matcher(etag).matches())
            throw new IOException(
                    url + ": no usable ETag (got " + etag + "), so the file cannot be named in the cache");
        URI location = redirect(head) ? url.resolve(header(head, "Location")) : url;

        Path blob = cache.blob(id, etag);
        Fetched result;
        if (Files.isRegularFile(blob)) result = new Fetched(file, Files.size(blob), false, 0);
        else result = download(location, blob, etag, file);
        link(cache.snapshot(id, commit).resolve(file), blob);
        return result;
    }

    private Fetched download(URI location, Path blob, String etag, String file)
            throws IOException, InterruptedException {
        Files.createDirectories(blob.getParent());
        Path partial = blob.resolveSibling(etag + ".incomplete");
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        HttpResponse<InputStream> r;
        try {
            r = send("GET", location, have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of(), true);
        } catch (IOException e) {
            throw new IOException(
                    file + ": " + e.getMessage()
                            + (have > 0 ? "; the part is kept in " + partial + ", pull again to resume" : ""),
                    e);
        }
        long total;
        if (r.statusCode() == 416) { // the partial file already holds every byte
            r.body().close();
            total = have;
        } else {
            check(r, file);
            boolean append = r.statusCode() == 206;
            if (!append) have = 0;
            total = append
                    ? contentRangeTotal(r)
                    : r.headers().firstValueAsLong("Content-Length").orElse(-1);
            copy(r, partial, append, have, total, file);
        }
        long size = Files.size(partial);
        if (total >= 0 && size > total) {
            Files.delete(partial);
            throw new IOException(file + ": the part held " + size + " bytes, more than the file's " + total
                    + " (two pulls at once?); it was deleted, pull again");
        }
        if (total >= 0 && size != total)
            throw new IOException(file + ": the download stopped at " + size + " of " + total
                    + " bytes; the part is kept in " + partial + ", pull again to resume");
        verify(partial, etag, file);
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
        return new Fetched(file, size, true, have);
    }

    private void copy(HttpResponse<InputStream> r, Path partial, boolean append, long have, long total, String file)
            throws IOException {
        progress.begin(file, have, total);
        long done = have;
        StallGuard in = new StallGuard(r.body(), stallLimit);
        try (in;
                OutputStream out = Files.newOutputStream(
                        partial,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                done += n;
                progress.update(done, have);
            }
        } catch (IOException e) {
            String why = in.stalled() ? quiet() : ErrorLine.describe(e);
            throw new IOException(
                    file + ": the download broke off at " + done + (total >= 0 ? " of " + total : "") + " bytes (" + why
                            + "); the part is kept in " + partial + ", pull again to resume",
                    e);
        } finally {
            progress.end();
        }
    }

    /** Why a request or body was given up: the server said nothing for the limit. */
    private String quiet() {
        long ms = stallLimit.toMillis();
        String seconds = ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0);
        return "the server sent nothing for " + seconds + " s (HF_HUB_DOWNLOAD_TIMEOUT)";
    }

    /** Checks the content against its etag: sha256 for LFS files, git's blob sha1 for the rest. */
    private static void verify(Path partial, String etag, String file) throws IOException {
        String algorithm =
                SHA256.matcher(etag).matches() ? "SHA-256" : SHA1.matcher(etag).matches() ? "SHA-1" : null;
        if (algorithm == null) return; // an etag that is no hash cannot be checked
        String got = digest(partial, algorithm);
        if (!got.equals(etag)) {
            Files.deleteIfExists(partial);
            throw new IOException(file + ": checksum mismatch (" + algorithm.toLowerCase(Locale.ROOT) + " " + got
                    + ", expected " + etag + "); the download was deleted");
        }
    }

    static String digest(Path file, String algorithm) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            // git names a blob by sha1("blob <size>\0" + content).
            if (algorithm.equals("SHA-1"))
                md.update(("blob " + Files.size(file) + "\0").getBytes(StandardCharsets.US_ASCII));
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A relative link {@code snapshots/<commit>/<file>} to {@code ../../blobs/<etag>}, or a copy where links are not allowed. */
    static void link(Path pointer, Path blob) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        if (Files.isSymbolicLink(pointer) && Files.readSymbolicLink(pointer).equals(target)) return;
        Files.deleteIfExists(pointer);
        try {
            Files.createSymbolicLink(pointer, target);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Path tmp = pointer.resolveSibling(
                    pointer.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /**
     * Why a request failed, in words: the HTTP client's exceptions often carry no message (a
     * refused connection is a ConnectException around a ClosedChannelException, none with text).
     * Timeouts are worded by {@link #send} itself.
     */
    private static String failure(IOException e, URI uri) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException) return "unknown host " + uri.getHost();
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank())
                return t.getMessage().replace('\n', ' ');
        }
        if (e instanceof ConnectException) return "connection refused";
        return e.getClass().getSimpleName();
    }

    /** Sends a request, following redirects; the token goes only to the endpoint's own origin. */
    private HttpResponse<InputStream> send(String method, URI uri, Map<String, String> headers, boolean followAll)
            throws IOException {
        URI current = uri;
        for (int hop = 0; hop < 10; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current)
                    .method(method, HttpRequest.BodyPublishers.noBody())
                    .header("User-Agent", "sdclip")
                    .header("Accept-Encoding", "identity");
            if (token != null && sameOrigin(current, endpoint)) b.header("Authorization", "Bearer " + token);
            headers.forEach(b::header);
            b.timeout(stallLimit); // until the headers; StallGuard watches the body
            HttpResponse<InputStream> r;
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(method + " " + current + ": interrupted", e);
            } catch (HttpConnectTimeoutException e) {
                throw new IOException(method + " " + current + ": could not connect within 20 s", e);
            } catch (HttpTimeoutException e) {
                throw new IOException(method + " " + current + ": " + quiet(), e);
            } catch (IOException e) {
                throw new IOException(method + " " + current + ": " + failure(e, current), e);
            }
            if (!redirect(r)) return r;
            URI location;
            try {
                location = URI.create(header(r, "Location"));
            } catch (IllegalArgumentException e) {
                throw new IOException(method + " " + current + ": a redirect to a malformed address", e);
            }
            // Like huggingface_hub, a HEAD follows only relative redirects (a renamed repo), so the
            // hub's own X-Linked-Etag stays in view; the file's CDN is where the GET goes.
            if (!followAll && location.isAbsolute()) return r;
            URI next = current.resolve(location);
            r.body().close();
            current = next;
        }
        throw new IOException(method + " " + uri + ": more than 10 redirects");
    }

    private static boolean redirect(HttpResponse<?> r) {
        int s = r.statusCode();
        return (s == 301 || s == 302 || s == 303 || s == 307 || s == 308)
                && r.headers().firstValue("Location").isPresent();
    }

    private void check(HttpResponse<?> r, String what) throws IOException {
        int s = r.statusCode();
        if (s == 200 || s == 206 || (s >= 300 && s < 400 && redirect(r))) return;
        String why = switch (s) {
            case 401, 403 -> "access denied (a private or gated model needs HF_TOKEN, a token with access)";
            case 404 -> "not found";
            case 429 -> "rate limited, try again later";
            default -> "HTTP " + s;
        };
        throw new IOException(what + ": " + why + " (" + r.request().method() + " " + r.uri() + ", HTTP " + s + ")");
    }

    private static long contentRangeTotal(HttpResponse<?> r) {
        String range = header(r, "Content-Range"); // bytes a-b/total
        if (range == null) return -1;
        int slash = range.lastIndexOf('/');
        try {
            return slash < 0 ? -1 : Long.parseLong(range.substring(slash + 1).strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** Drops a weak marker and the quotes: {@code W/"abc"} is {@code abc}. */
    static String normalizeEtag(String etag) {
        if (etag == null) return null;
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        return e;
    }

    private URI at(String path) {
        String base = endpoint.toString();
        return URI.create(base.endsWith("/") ? base + path : base + "/" + path);
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme())
                && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    /** A repository path as the server listed it, refused when it would leave the snapshot folder. */
    private static String safeName(String f, URI from) throws IOException {
        boolean bad = f.isEmpty() || f.startsWith("/") || f.contains("\\") || f.contains("\0") || f.contains(":");
        for (String part : f.split("/", -1)) bad |= part.isEmpty() || part.equals(".") || part.equals("..");
        if (bad) throw new IOException(from + ": refusing the file name '" + f + "'");
        return f;
    }

    /** Percent-encodes a path (or one segment: {@code /} encoded too) for a URL. */
    static String encode(String s, boolean keepSlash) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || "-._~".indexOf(c) >= 0
                    || (keepSlash && c == '/')) sb.append(c);
            else sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
        }
        return sb.toString();
    }
}
