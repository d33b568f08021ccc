package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sdclip.testdata.ReferenceData;

/**
 * Every file of pickles/ is refused with a message naming the problem, runs nothing and
 * allocates nothing large.
 */
class HostilePickleTest {
    static final Path PWNED = Path.of("/tmp/sdclip-pwned");

    @BeforeAll
    static void noMarkerYet() throws IOException {
        Files.deleteIfExists(PWNED);
    }

    @AfterAll
    static void nothingWasRun() {
        assertFalse(Files.exists(PWNED), PWNED + " appeared: something in a pickle was run");
    }

    /**
     * {@code when} says where the refusal comes: at {@code open} for what is wrong with the pickle
     * or the archive, or when the one tensor is {@code read} for what is wrong with that tensor's
     * storage (a tensor nobody reads never makes a file unreadable).
     */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "evil-os-system.ckpt          | open | Python global posix.system",
                "evil-eval-in-state-dict.ckpt | open | Python global __builtin__.eval (builtins.eval in Python 3)",
                "evil-subprocess.pt           | open | Python global commands.call (subprocess.call in Python 3)",
                "evil-storage-path.ckpt       | read | tensor w cannot be read: its storage key \"../../../../tmp/escape\" does not name an entry inside the archive",
                "evil-huge-numel.ckpt         | read | tensor w cannot be read: its storage 0 claims 2147483647 F32 elements (8589934588 bytes) but holds 16 bytes",
                "truncated.ckpt               | open | truncated",
            })
    void refusedWithAOneLineMessage(String name, String when, String problem) {
        Path file = ReferenceData.require("pickles/" + name);
        for (int i = 0; i < 2; i++) {
            boolean asStore = i == 1;
            PickleException e = assertTimeoutPreemptively(
                    Duration.ofSeconds(5),
                    () -> assertThrows(PickleException.class, () -> {
                        if (asStore) {
                            try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
                                assertEquals("read", when, "opened");
                                for (String t : c.names()) c.bytes(t);
                            }
                        } else {
                            try (TorchFile f = TorchFile.open(file)) {
                                assertEquals("read", when, "opened");
                                ((TorchTensor) ((Map<?, ?>) f.root()).get("w")).bytes();
                            }
                        }
                    }));
            assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(problem), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
