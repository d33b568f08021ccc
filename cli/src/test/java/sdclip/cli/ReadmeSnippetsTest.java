package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.JavaSnippets;

/**
 * Every {@code java} block of the README and of every page under {@code docs/} compiles as pasted
 * against the library ({@link JavaSnippets}), but the Spark page's, which needs Spark: the spark
 * module's SparkDocsTest compiles those.
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    /** README.md, then every {@code docs/*.md} in name order, less docs/spark.md. */
    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .filter(p -> !p.getFileName().toString().equals("spark.md"))
                    .sorted()
                    .forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyJavaBlockCompilesAsPasted() throws Exception {
        assertTrue(
                JavaSnippets.blocks(Files.readString(ROOT.resolve("README.md"))).size() >= 1,
                "the README's library program");
        String failure = JavaSnippets.compile(ROOT, pages(), dir, 3);
        assertNull(failure, "java blocks of README.md or docs/ do not compile as pasted:\n" + failure);
    }
}
