package sdclip.testdata;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * The one place tests find {@code ../shared/reference}: the system property
 * {@code sdclip.reference} (the build sets it to {@code ../shared/reference} beside the
 * checkout). Tests that need it skip with a message when it is missing, except under CI
 * ({@code CI=true}), where a missing folder is a failure: CI always has it.
 */
public final class ReferenceData {
    private ReferenceData() {}

    public static final String PROPERTY = "sdclip.reference";

    public static Path root() {
        return Path.of(System.getProperty(PROPERTY, "../shared/reference"))
                .toAbsolutePath()
                .normalize();
    }

    /** The reference folder, or a skipped test saying why (a failed one under CI). */
    public static Path require() {
        Path root = root();
        boolean present = Files.isDirectory(root.resolve("models")) && Files.isDirectory(root.resolve("tokenizer"));
        String why =
                "reference data not found at " + root + " (set -D" + PROPERTY + "=DIR to the shared/reference folder)";
        if (!present && "true".equalsIgnoreCase(System.getenv("CI")))
            throw new IllegalStateException(why + "; CI must have it");
        Assumptions.assumeTrue(present, why);
        return root;
    }

    public static Path require(String relative) {
        return require().resolve(relative);
    }
}
