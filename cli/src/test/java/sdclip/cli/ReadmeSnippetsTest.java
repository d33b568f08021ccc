package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code java} block of the README and of every page under {@code docs/} compiles as pasted
 * against the library: a whole class as it is, a snippet (imports, then statements) as the body
 * of a method, its imports on top.
 */
class ReadmeSnippetsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;

    static List<String> javaBlocks(String markdown) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /** A compilation unit for the block: itself when it declares a class, else its statements wrapped in one. */
    static String unit(String block, String name) {
        if (Pattern.compile("(?m)^public\\s+class\\s+\\w+").matcher(block).find()) return block;
        StringBuilder imports = new StringBuilder(), body = new StringBuilder();
        for (String line : block.lines().toList())
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        return imports + "\nclass " + name + " {\n    static void snippet() throws Exception {\n" + body + "    }\n}\n";
    }

    /** README.md, then every {@code docs/*.md} in name order. */
    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .sorted()
                    .forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyJavaBlockCompiles() throws IOException, InterruptedException {
        List<String> blocks = new ArrayList<>(), origins = new ArrayList<>();
        for (Path page : pages()) {
            List<String> found = javaBlocks(Files.readString(page));
            for (int i = 0; i < found.size(); i++) origins.add(ROOT.relativize(page) + ", java block " + (i + 1));
            blocks.addAll(found);
        }
        assertTrue(javaBlocks(Files.readString(ROOT.resolve("README.md"))).size() >= 1, "the README's library program");
        assertTrue(blocks.size() >= 3, "java blocks in README.md and docs/: " + blocks.size());
        List<String> files = new ArrayList<>();
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < blocks.size(); i++) {
            String name = "Snippet" + i;
            String unit = unit(blocks.get(i), name);
            Matcher cls = Pattern.compile("(?m)^public\\s+class\\s+(\\w+)").matcher(unit);
            Path file = dir.resolve("b" + i).resolve((cls.find() ? cls.group(1) : name) + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, unit);
            files.add(file.toString());
            where.append(dir.relativize(file))
                    .append(": ")
                    .append(origins.get(i))
                    .append('\n');
        }
        String classPath = String.join(
                File.pathSeparator,
                System.getProperty("java.class.path", ""),
                System.getProperty("jdk.module.path", ""));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-proc:none",
                "-Xlint:none",
                "-d",
                dir.resolve("classes").toString(),
                "-cp",
                classPath));
        cmd.addAll(files);
        Process javac = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(javac.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(
                javac.waitFor() != 0,
                "java blocks of README.md or docs/ do not compile as pasted:\n" + out + "\nwhere each came from:\n"
                        + where);
    }
}
