package sdclip.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A loopback stand-in for the Hugging Face hub (127.0.0.1, a free port): the model API, the
 * resolve endpoint (LFS files redirect to a "CDN" path with {@code X-Linked-Etag}, the rest answer
 * with their git sha1 {@code ETag}), {@code Range} requests, and knobs to cut a download short or
 * corrupt one.
 */
final class HubServer implements AutoCloseable {
    record Request(String method, String path, String authorization, String range) {}

    final String repo, commit;
    final Map<String, byte[]> files = new TreeMap<>();
    final Set<String> lfs;
    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    /** When positive, the next CDN GET sends only this many bytes, then drops the connection. */
    final AtomicInteger cutNextAt = new AtomicInteger(-1);
    /** When set, the next CDN download answers nothing at all (no headers) until released. */
    final AtomicBoolean stallHeadersNext = new AtomicBoolean();
    /** When at least 0, the next CDN download sends that many bytes, then nothing until the server closes. */
    final AtomicInteger stallNextAt = new AtomicInteger(-1);

    private final CountDownLatch stalled = new CountDownLatch(1);
    private volatile boolean stalling;
    /** When set, the CDN serves these bytes instead of the file's (its etag unchanged). */
    volatile byte[] corrupt;

    private final HttpServer server;

    HubServer(String repo, String commit, Map<String, byte[]> files, Set<String> lfs) throws IOException {
        this.repo = repo;
        this.commit = commit;
        this.files.putAll(files);
        this.lfs = lfs;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        requests.add(new Request(
                x.getRequestMethod(),
                path,
                x.getRequestHeaders().getFirst("Authorization"),
                x.getRequestHeaders().getFirst("Range")));
        try (x) {
            if (path.equals("/api/models/" + repo + "/revision/main")) json(x);
            else if (path.startsWith("/" + repo + "/resolve/" + commit + "/"))
                resolve(x, path.substring(("/" + repo + "/resolve/" + commit + "/").length()));
            else if (path.startsWith("/cdn/")) cdn(x, path.substring(5));
            else x.sendResponseHeaders(404, -1);
        }
    }

    private void json(HttpExchange x) throws IOException {
        StringBuilder sb = new StringBuilder("{\"id\": \"" + repo + "\", \"sha\": \"" + commit + "\", \"siblings\": [");
        int i = 0;
        for (String f : files.keySet())
            sb.append(i++ > 0 ? ", " : "")
                    .append("{\"rfilename\": \"")
                    .append(f)
                    .append("\"}");
        byte[] body = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
    }

    private void resolve(HttpExchange x, String file) throws IOException {
        byte[] content = files.get(file);
        if (content == null) {
            x.sendResponseHeaders(404, -1);
            return;
        }
        x.getResponseHeaders().set("X-Repo-Commit", commit);
        if (lfs.contains(file)) {
            String sha = sha256(content);
            x.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
            x.getResponseHeaders().set("X-Linked-Size", String.valueOf(content.length));
            x.getResponseHeaders().set("Location", endpoint() + "/cdn/" + sha);
            x.sendResponseHeaders(302, -1);
            return;
        }
        x.getResponseHeaders().set("ETag", "\"" + gitSha1(content) + "\"");
        send(x, content, false);
    }

    private void cdn(HttpExchange x, String sha) throws IOException {
        for (var e : files.entrySet())
            if (lfs.contains(e.getKey()) && sha256(e.getValue()).equals(sha)) {
                send(x, corrupt != null ? corrupt : e.getValue(), true);
                return;
            }
        x.sendResponseHeaders(404, -1);
    }

    /** The content, or its tail from a {@code Range: bytes=N-}; optionally cut short. */
    private void send(HttpExchange x, byte[] content, boolean mayCut) throws IOException {
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(200, -1);
            return;
        }
        if (mayCut && stallHeadersNext.getAndSet(false)) {
            awaitRelease();
            throw new IOException("stalled on purpose before the headers");
        }
        String range = x.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= content.length) {
                x.sendResponseHeaders(416, -1);
                return;
            }
            x.getResponseHeaders()
                    .set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        x.sendResponseHeaders(range != null ? 206 : 200, content.length - from);
        int cut = mayCut ? cutNextAt.getAndSet(-1) : -1;
        OutputStream out = x.getResponseBody();
        int stall = mayCut ? stallNextAt.getAndSet(-1) : -1;
        if (stall >= 0) {
            out.write(content, from, stall);
            out.flush();
            awaitRelease();
            throw new IOException("stalled on purpose after " + stall + " bytes");
        }
        if (cut < 0) {
            out.write(content, from, content.length - from);
            return;
        }
        out.write(content, from, cut);
        out.flush();
        // A handler that throws makes the server drop the connection: the client reads fewer
        // bytes than announced, as when a real download breaks off.
        throw new IOException("cut short on purpose after " + cut + " bytes");
    }

    long count(String method, String pathPrefix) {
        synchronized (requests) {
            return requests.stream()
                    .filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix))
                    .count();
        }
    }

    static String sha256(byte[] b) {
        return digest("SHA-256", b, null);
    }

    static String gitSha1(byte[] b) {
        return digest("SHA-1", b, ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII));
    }

    private static String digest(String algorithm, byte[] b, byte[] prefix) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            if (prefix != null) md.update(prefix);
            return HexFormat.of().formatHex(md.digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private void awaitRelease() {
        stalling = true;
        try {
            stalled.await(); // released by releaseStall() or close()
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stalling = false;
        }
    }

    /** {@return whether a download is being held back now, waiting for {@link #releaseStall()}} */
    boolean stalling() {
        return stalling;
    }

    /** Ends a stalled download (the server handles one request at a time). */
    void releaseStall() {
        stalled.countDown();
    }

    @Override
    public void close() {
        stalled.countDown();
        server.stop(0);
    }
}
