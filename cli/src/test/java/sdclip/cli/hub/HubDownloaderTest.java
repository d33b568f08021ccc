package sdclip.cli.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader's checksums (the downloads themselves are PullCommandTest's, against a loopback hub). */
class HubDownloaderTest {
    @TempDir
    Path dir;

    @Test
    void gitBlobIdsAreGitsOwn() throws IOException {
        Path f = Files.writeString(dir.resolve("hello"), "hello\n");
        assertEquals("ce013625030ba8dba906f756967f9e9ca394464a", HubDownloader.digest(f, "SHA-1")); // git hash-object
    }
}
