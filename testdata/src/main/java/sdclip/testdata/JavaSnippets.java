package sdclip.testdata;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code java} blocks of Markdown pages, compiled as pasted against the calling test's class
 * path: a whole class as it is, a snippet (imports, then statements) as the body of a method,
 * its imports on top. The cli module checks the README and docs with it, the spark module its
 * own page.
 */
public final class JavaSnippets {
    private JavaSnippets() {}

    /**
     * The java blocks of a Markdown text.
     *
     * @param markdown the page's text
     * @return each block's contents, in order
     */
    public static List<String> blocks(String markdown) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /**
     * A compilation unit for a block: itself when it declares a public class, else its statements
     * wrapped in a method of a class named {@code name}.
     *
     * @param block a java block
     * @param name the class to wrap statements in
     * @return the unit's source
     */
    public static String unit(String block, String name) {
        if (Pattern.compile("(?m)^public\\s+class\\s+\\w+").matcher(block).find()) return block;
        StringBuilder imports = new StringBuilder(), body = new StringBuilder();
        for (String line : block.lines().toList())
            (line.startsWith("import ") ? imports : body).append(line).append('\n');
        return imports + "\nclass " + name + " {\n    static void snippet() throws Exception {\n" + body + "    }\n}\n";
    }

    /**
     * Compiles every java block of the pages with this JVM's javac and class path.
     *
     * @param root the folder page names are given relative to, in messages
     * @param pages the Markdown pages
     * @param dir an empty scratch folder
     * @param atLeast the fewest blocks the pages must hold (a page that lost its blocks fails)
     * @return null when every block compiles, else javac's output and where each block came from
     * @throws IOException when a page cannot be read or javac not started
     * @throws InterruptedException when interrupted waiting for javac
     */
    public static String compile(Path root, List<Path> pages, Path dir, int atLeast)
            throws IOException, InterruptedException {
        List<String> blocks = new ArrayList<>(), origins = new ArrayList<>();
        for (Path page : pages) {
            List<String> found = blocks(Files.readString(page));
            for (int i = 0; i < found.size(); i++) origins.add(root.relativize(page) + ", java block " + (i + 1));
            blocks.addAll(found);
        }
        if (blocks.size() < atLeast)
            return "only " + blocks.size() + " java blocks in " + pages + ", expected " + atLeast;
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
        return javac.waitFor() == 0 ? null : out + "\nwhere each came from:\n" + where;
    }
}
