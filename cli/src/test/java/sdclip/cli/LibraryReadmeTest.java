package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.ReferenceData;

/**
 * The README's "Use as a library" section, pasted into a new Maven project as a newcomer would:
 * its {@code xml} block as the project's dependency, its {@code java} block as the program, run
 * with the JVM flags the section names, against this build's model and engine. Those are the
 * ones this test runs on (this checkout's jars, or its {@code target/classes} packed into jars
 * when the build stopped before {@code package}); the test lays them out with their poms in a
 * private local repository that the project's Maven reads first, so an older install in
 * {@code ~/.m2} cannot stand in for them. The build's own local repository comes after it,
 * read-only ({@code maven.repo.local.tail}), for plugins and third-party jars.
 */
class LibraryReadmeTest {
    @TempDir
    Path project;

    @TempDir
    Path repository;

    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    /** The section's fenced blocks of one language, in order. */
    static List<String> blocks(String readme, String language) {
        int start = readme.indexOf("\n## Use as a library\n");
        assertTrue(start >= 0, "README has no '## Use as a library' section");
        int end = readme.indexOf("\n## ", start + 1);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL)
                .matcher(section);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void theReadmeProgramRunsInANewProject() throws Exception {
        Path model = ReferenceData.require("models/tiny-sd15.safetensors");
        Path vocab = ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz");
        String version = version();
        install("sdclip-parent", version, ROOT.resolve("pom.xml"), null);
        install(
                "sdclip-engine",
                version,
                ROOT.resolve("engine/pom.xml"),
                thisBuilds(sdclip.engine.Backend.class, "engine"));
        install(
                "sdclip-model",
                version,
                ROOT.resolve("model/pom.xml"),
                thisBuilds(sdclip.model.TextEncoder.class, "model"));

        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> xml = blocks(readme, "xml"), java = blocks(readme, "java");
        assertEquals(1, xml.size(), "one xml block");
        assertEquals(1, java.size(), "one java block");
        Matcher cls = Pattern.compile("public\\s+class\\s+(\\w+)").matcher(java.getFirst());
        assertTrue(cls.find(), "the java block declares a public class");
        String mainClass = cls.group(1);
        String flags = jvmFlags(readme);

        Files.writeString(
                project.resolve("pom.xml"),
                pom(xml.getFirst(), mainClass, flags, model.toString(), vocab.toString(), "a photo of a cat"));
        Path src = Files.createDirectories(project.resolve("src/main/java"));
        Files.writeString(src.resolve(mainClass + ".java"), java.getFirst());

        Result r = maven(
                "-q",
                "-B",
                "-Dmaven.repo.local=" + repository,
                "-Dmaven.repo.local.tail=" + buildRepository(),
                "compile",
                "exec:exec");
        assertEquals(0, r.code, r.output);
        assertEquals("[1, 77, 64]", r.output.strip().lines().reduce((a, b) -> b).orElse(""), r.output);
    }

    /** {@return this build's version, as the CLI reports it} */
    private static String version() throws IOException {
        java.util.Properties p = new Properties();
        try (var in = Main.class.getResourceAsStream("/sdclip-version.properties")) {
            p.load(in);
        }
        return p.getProperty("version");
    }

    /** The classes of {@code module} this test runs on, a jar or a folder: this checkout's, never an installed copy. */
    private static Path thisBuilds(Class<?> member, String module) throws Exception {
        Path location = Path.of(
                member.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path target = ROOT.resolve(module).resolve("target");
        assertTrue(
                location.startsWith(target),
                member.getName() + " comes from " + location + ", not from " + target
                        + ": build the modules together (-am), so the README is checked against these sources");
        return location;
    }

    /** Lays out {@code artifactId} in the private repository as {@code mvn install} would: its pom, and its jar, packed when {@code classes} is a folder. */
    private void install(String artifactId, String version, Path pom, Path classes) throws IOException {
        Path dir = Files.createDirectories(
                repository.resolve("dev/sdclip").resolve(artifactId).resolve(version));
        Files.copy(pom, dir.resolve(artifactId + "-" + version + ".pom"));
        if (classes == null) return;
        Path jar = dir.resolve(artifactId + "-" + version + ".jar");
        if (Files.isRegularFile(classes)) {
            Files.copy(classes, jar);
            return;
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
    }

    /** The local repository of the Maven running this test (surefire passes it), else the default. */
    private static Path buildRepository() {
        String configured = System.getProperty("sdclip.maven.repository");
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The flags the section says to start java with: its line beginning {@code java }. */
    static String jvmFlags(String readme) {
        int start = readme.indexOf("\n## Use as a library\n");
        Matcher m = Pattern.compile("(?m)^\\s*(?:\\$\\s+)?java ((?:--?[\\w.=-]+(?:\\s+[\\w.=-]+)?\\s+)*?)-cp")
                .matcher(readme.substring(start));
        assertTrue(m.find(), "the section shows the java command line with its flags");
        return m.group(1).strip();
    }

    private static String pom(String dependency, String mainClass, String flags, String... programArgs) {
        StringBuilder args = new StringBuilder(), after = new StringBuilder();
        for (String f : flags.split("\\s+"))
            if (!f.isEmpty()) args.append("          <argument>").append(f).append("</argument>\n");
        for (String a : programArgs)
            after.append("          <argument>").append(a).append("</argument>\n");
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>example</groupId>
                  <artifactId>uses-sdclip</artifactId>
                  <version>1</version>
                  <properties>
                    <maven.compiler.release>25</maven.compiler.release>
                    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
                  </properties>
                  <dependencies>
                %s
                  </dependencies>
                  <build>
                    <plugins>
                      <plugin>
                        <groupId>org.apache.maven.plugins</groupId>
                        <artifactId>maven-compiler-plugin</artifactId>
                        <version>3.14.0</version>
                      </plugin>
                      <plugin>
                        <groupId>org.codehaus.mojo</groupId>
                        <artifactId>exec-maven-plugin</artifactId>
                        <version>3.5.0</version>
                        <configuration>
                          <executable>%s</executable>
                          <arguments>
                %s          <argument>-cp</argument>
                            <classpath/>
                            <argument>%s</argument>
                %s          </arguments>
                        </configuration>
                      </plugin>
                    </plugins>
                  </build>
                </project>
                """.formatted(
                dependency.strip(), Path.of(System.getProperty("java.home"), "bin", "java"), args, mainClass, after);
    }

    record Result(int code, String output) {}

    private Result maven(String... goals) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(
                ROOT.resolve("mvnw").toString(),
                "-f",
                project.resolve("pom.xml").toString()));
        cmd.addAll(List.of(goals));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(project.toFile()).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("MAVEN_OPTS", "--sun-misc-unsafe-memory-access=allow");
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES)) p.destroyForcibly();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
