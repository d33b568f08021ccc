package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.CliTest.Run;
import sdclip.cli.hub.DownloadProgress;
import sdclip.cli.hub.HubDownloader;
import sdclip.testdata.HubCacheFixture;
import sdclip.testdata.ReferenceData;

/** {@code sdclip pull} against a loopback hub (127.0.0.1 only), then the pulled model used by id. */
@Timeout(120) // a download that hangs fails the test instead of the build
class PullCommandTest {
    static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    static final String WEIGHTS = "text_encoder/model.safetensors";

    @TempDir
    Path dir;

    HubServer server;
    Map<String, String> env;

    @BeforeEach
    void start() throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        for (var e : HubCacheFixture.filesOf(ReferenceData.require("models/tiny-sd15-diffusers"))
                .entrySet()) files.put(e.getKey(), Files.readAllBytes(e.getValue()));
        server = new HubServer("tiny/sd15", COMMIT, files, Set.of(WEIGHTS));
        env = new HashMap<>(Map.of("HF_HUB_CACHE", cache().toString(), "HF_ENDPOINT", server.endpoint()));
        Environment.replace(env);
    }

    @AfterEach
    void stop() {
        Environment.replace(null);
        server.close();
    }

    Path cache() {
        return dir.resolve("hub");
    }

    Path repo() {
        return cache().resolve("models--tiny--sd15");
    }

    Path blob(String file) {
        byte[] b = server.files.get(file);
        return repo().resolve("blobs").resolve(server.lfs.contains(file) ? HubServer.sha256(b) : HubServer.gitSha1(b));
    }

    @Test
    void aPullLaysOutTheCacheAsHuggingFaceHubDoesAndTheIdThenOpens() throws IOException {
        Run r = CliTest.run("pull", "tiny/sd15");
        assertEquals(0, r.code(), r.err());
        assertEquals(server.files.size() + 1, r.out().lines().count(), r.out());
        assertTrue(r.out().contains(WEIGHTS) && r.out().contains("downloaded"), r.out());
        assertTrue(
                r.out()
                        .strip()
                        .endsWith("tiny/sd15: commit " + COMMIT + ", " + server.files.size() + " file(s) in "
                                + repo().resolve("snapshots").resolve(COMMIT)),
                r.out());
        assertEquals(COMMIT, Files.readString(repo().resolve("refs/main")));
        for (var e : server.files.entrySet()) {
            Path link = repo().resolve("snapshots").resolve(COMMIT).resolve(e.getKey());
            assertTrue(Files.isSymbolicLink(link), e.getKey());
            int depth = e.getKey().split("/").length;
            assertEquals(
                    Path.of("../".repeat(depth + 1) + "blobs/"
                            + blob(e.getKey()).getFileName()),
                    Files.readSymbolicLink(link));
            assertArrayEquals(e.getValue(), Files.readAllBytes(link), e.getKey());
        }
        assertEquals(List.of(), leftovers());

        Run inspect = CliTest.run("inspect", "--json", "tiny/sd15");
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("\"family\": \"sd1\""), inspect.out());

        long cdnGets = server.count("GET", "/cdn/");
        Run again = CliTest.run("pull", "tiny/sd15");
        assertEquals(0, again.code(), again.err());
        assertEquals(
                server.files.size(),
                again.out()
                        .lines()
                        .filter(l -> l.endsWith("already in the cache"))
                        .count(),
                again.out());
        assertEquals(cdnGets, server.count("GET", "/cdn/"), "nothing is fetched twice");
    }

    @Test
    void aDownloadCutShortResumesWithARange() throws IOException {
        int cut = server.files.get(WEIGHTS).length / 3;
        server.cutNextAt.set(cut);
        resumesAt(keptAfterFailedPull("the download", cut));
    }

    @Test
    void aServerThatGoesQuietMidFileIsGivenUpAfterTheTimeoutAndTheDownloadResumes() throws IOException {
        int stall = server.files.get(WEIGHTS).length / 4;
        server.stallNextAt.set(stall);
        env.put("HF_HUB_DOWNLOAD_TIMEOUT", "1");
        long kept = keptAfterFailedPull("the server sent nothing for 1 s (HF_HUB_DOWNLOAD_TIMEOUT)", stall);
        assertTrue(server.stalling(), "the pull gave up by itself, with the server still holding the rest back");
        server.releaseStall();
        resumesAt(kept);
    }

    @Test
    void aResumeThatGetsNoAnswerAtAllIsGivenUpAfterTheTimeoutToo() throws IOException {
        int cut = server.files.get(WEIGHTS).length / 3;
        server.cutNextAt.set(cut);
        long kept = keptAfterFailedPull("the download", cut);
        server.stallHeadersNext.set(true); // the Range request now hangs before its headers
        env.put("HF_HUB_DOWNLOAD_TIMEOUT", "1");
        Run quiet = CliTest.run("pull", "tiny/sd15", "--include", WEIGHTS);
        assertEquals(1, quiet.code());
        assertEquals(1, quiet.err().lines().count(), quiet.err());
        assertTrue(
                quiet.err().startsWith("sdclip: " + WEIGHTS + ": GET ")
                        && quiet.err().contains("the server sent nothing for 1 s (HF_HUB_DOWNLOAD_TIMEOUT)")
                        && quiet.err().contains("pull again to resume"),
                quiet.err());
        assertTrue(server.stalling(), "the pull gave up by itself, with the server still holding back its answer");
        assertEquals(kept, Files.size(partial()), "the part is untouched");
        server.releaseStall();
        resumesAt(kept);
    }

    /**
     * A pull whose download breaks off after the server sent {@code sent} bytes: one line saying
     * {@code why}, no blob, no ref, and a part of at most {@code sent} bytes kept (the last few
     * may go with the dropped connection); returns the part's size.
     */
    private long keptAfterFailedPull(String why, int sent) throws IOException {
        Run first = CliTest.run("pull", "tiny/sd15", "--include", WEIGHTS);
        assertEquals(1, first.code());
        assertEquals(1, first.err().lines().count(), first.err());
        assertTrue(first.err().contains(why) && first.err().contains("pull again to resume"), first.err());
        long kept = Files.size(partial());
        assertTrue(kept > 0 && kept <= sent, kept + " of " + sent);
        assertFalse(Files.exists(blob(WEIGHTS)));
        assertFalse(Files.exists(repo().resolve("refs/main")));
        return kept;
    }

    /** The next pull asks for the rest from byte {@code kept} and completes the file. */
    private void resumesAt(long kept) throws IOException {
        Run second = CliTest.run("pull", "tiny/sd15", "--include", WEIGHTS);
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("resumed at " + DownloadProgress.size(kept)), second.out());
        assertTrue(server.requests.stream()
                .anyMatch(q -> q.method().equals("GET") && ("bytes=" + kept + "-").equals(q.range())));
        assertArrayEquals(server.files.get(WEIGHTS), Files.readAllBytes(blob(WEIGHTS)));
        assertFalse(Files.exists(partial()));
    }

    private Path partial() {
        return blob(WEIGHTS).resolveSibling(blob(WEIGHTS).getFileName() + ".incomplete");
    }

    @Test
    void aDownloadTimeoutThatIsNotPlainSecondsIsRefusedBeforeAnyRequest() {
        for (String bad : List.of("soon", "0", "-1", "0.0001", "1e9", "10d", "0x10p0", "NaN", "90000")) {
            env.put("HF_HUB_DOWNLOAD_TIMEOUT", bad);
            Run r = CliTest.run("pull", "tiny/sd15");
            assertEquals(1, r.code(), bad);
            assertEquals(
                    "sdclip: HF_HUB_DOWNLOAD_TIMEOUT is not a number of seconds from 0.1 to 86400: " + bad,
                    r.err().strip());
        }
        assertEquals(0, server.requests.size());
        assertEquals(Duration.ofMillis(2500), HubDownloader.stallLimit(Map.of("HF_HUB_DOWNLOAD_TIMEOUT", " 2.5 ")));
        assertEquals(Duration.ofSeconds(10), HubDownloader.stallLimit(Map.of()));
    }

    @Test
    void aChecksumMismatchDeletesThePartAndFailsInOneLine() throws IOException {
        byte[] bad = server.files.get(WEIGHTS).clone();
        bad[bad.length / 2] ^= 1;
        server.corrupt = bad;
        Run r = CliTest.run("pull", "tiny/sd15", "--include", WEIGHTS);
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: " + WEIGHTS + ": checksum mismatch (sha-256 " + HubServer.sha256(bad) + ", expected "
                        + HubServer.sha256(server.files.get(WEIGHTS)) + "); the download was deleted",
                r.err().strip());
        assertEquals(List.of(), leftovers());
        assertFalse(Files.exists(blob(WEIGHTS)));
        assertFalse(
                Files.exists(repo().resolve("snapshots").resolve(COMMIT).resolve(WEIGHTS), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void offlineModeRefusesWithoutTouchingTheNetwork() {
        env.put("HF_HUB_OFFLINE", "1");
        Run r = CliTest.run("pull", "tiny/sd15");
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: HF_HUB_OFFLINE is set: not downloading tiny/sd15 (unset it to pull)",
                r.err().strip());
        assertEquals(0, server.requests.size());
        assertFalse(Files.exists(cache()));
    }

    @Test
    void includeGlobsPickFiles() throws IOException {
        Run r = CliTest.run("pull", "tiny/sd15", "--include", "text_encoder/*", "--include", "*.json");
        assertEquals(0, r.code(), r.err());
        Path snap = repo().resolve("snapshots").resolve(COMMIT);
        assertTrue(Files.exists(snap.resolve(WEIGHTS)));
        assertTrue(Files.exists(snap.resolve("text_encoder/config.json")));
        assertTrue(Files.exists(snap.resolve("model_index.json")));
        assertTrue(Files.exists(snap.resolve("tokenizer/vocab.json")), "* matches across / as in fnmatch");
        assertFalse(Files.exists(snap.resolve("tokenizer/merges.txt")));
        assertEquals(0, server.count("GET", "/tiny/sd15/resolve/" + COMMIT + "/tokenizer/merges.txt"));

        Run none = CliTest.run("pull", "tiny/sd15", "--include", "*.onnx");
        assertEquals(1, none.code());
        assertTrue(
                none.err().contains("none of its " + server.files.size() + " file(s) matches --include *.onnx"),
                none.err());
    }

    @Test
    void theTokenGoesAsABearerHeader() {
        env.put("HF_TOKEN", "hf_secret");
        assertEquals(0, CliTest.run("pull", "tiny/sd15", "--include", "*.json").code());
        assertFalse(server.requests.isEmpty());
        for (HubServer.Request q : server.requests) assertEquals("Bearer hf_secret", q.authorization(), q.path());

        server.requests.clear();
        env.remove("HF_TOKEN");
        assertEquals(0, CliTest.run("pull", "tiny/sd15", "--include", "*.json").code());
        for (HubServer.Request q : server.requests) assertEquals(null, q.authorization(), q.path());
    }

    @Test
    void badIdsAndMissingModelsAreOneLine() {
        Run bad = CliTest.run("pull", "not-an-id");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("sdclip: not a Hugging Face model id"), bad.err());
        Run empty = CliTest.run("pull", ""); // quoted, so an empty or space-padded id shows
        assertEquals(2, empty.code());
        assertTrue(
                empty.err().startsWith("sdclip: not a Hugging Face model id (org/name[@revision]): \"\" "),
                empty.err());
        Run missing = CliTest.run("pull", "tiny/other");
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().lines().count(), missing.err());
        assertTrue(missing.err().contains("tiny/other: not found"), missing.err());
    }

    @Test
    void aClosedPortSaysConnectionRefused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } // closed: nothing listens there now
        env.put("HF_ENDPOINT", "http://127.0.0.1:" + port);
        Run r = CliTest.run("pull", "tiny/sd16");
        assertEquals(1, r.code());
        assertEquals(
                "sdclip: GET http://127.0.0.1:" + port + "/api/models/tiny/sd16/revision/main: connection refused",
                r.err().strip());
    }

    /** Files the cache should never keep: partial downloads and temporaries. */
    List<Path> leftovers() throws IOException {
        if (!Files.exists(cache())) return List.of();
        try (Stream<Path> s = Files.walk(cache())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".incomplete")
                            || p.getFileName().toString().contains(".tmp-"))
                    .toList();
        }
    }
}
