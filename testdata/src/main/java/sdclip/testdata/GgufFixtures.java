package sdclip.testdata;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The GGUF fixtures committed under {@code testdata/src/main/resources/sdclip/testdata/gguf/},
 * written by llama.cpp's gguf-py with {@code testdata/scripts/make-gguf-fixtures.py} (the script
 * says what each file holds). Tests never run Python: they read these bytes.
 */
public final class GgufFixtures {
    private GgufFixtures() {}

    /**
     * A fixture copied into {@code dir} (readers map files, and the class path may be a jar).
     *
     * @param name the file name, e.g. {@code quants.gguf}
     * @param dir  where to put the copy
     * @return the copy
     */
    public static Path copy(String name, Path dir) {
        try (InputStream in = GgufFixtures.class.getResourceAsStream("/sdclip/testdata/gguf/" + name)) {
            if (in == null) throw new IllegalArgumentException("no GGUF fixture " + name);
            Path out = dir.resolve(name);
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A fixture's bytes.
     *
     * @param name the file name
     * @return its bytes
     */
    public static byte[] bytes(String name) {
        try (InputStream in = GgufFixtures.class.getResourceAsStream("/sdclip/testdata/gguf/" + name)) {
            if (in == null) throw new IllegalArgumentException("no GGUF fixture " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
