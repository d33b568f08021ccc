package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.JavaSnippets;

/** The java blocks of the Spark page (docs/spark.md) and of this module's README compile as pasted, against Spark and this module. */
class SparkDocsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    @Test
    void everyJavaBlockCompilesAsPasted() throws Exception {
        List<Path> pages = List.of(ROOT.resolve("docs/spark.md"), ROOT.resolve("spark/README.md"));
        String failure = JavaSnippets.compile(ROOT, pages, dir, 2);
        assertNull(failure, "java blocks of the Spark docs do not compile as pasted:\n" + failure);
    }
}
