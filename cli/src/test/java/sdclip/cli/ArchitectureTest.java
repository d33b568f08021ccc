package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rules, checked over the sources: cli on model, model on engine, never back; the
 * library never prints and never speaks in command-line flags; the CLI and the benchmarks use
 * only what the library's module-info files export; inside the CLI, commands on options, output
 * and the hub, never back.
 */
class ArchitectureTest {
    private static final Path ROOT = findRoot();
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?(sdclip\\.[\\w.]+?)\\.([A-Z]\\w*)", Pattern.MULTILINE);
    private static final Pattern STRING = Pattern.compile("\"(?:\\\\.|[^\"\\\\\\n])*\"");
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*");

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("engine/src/main/java/module-info.java"))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("cannot find the project root above " + Path.of("").toAbsolutePath());
        return dir;
    }

    private static List<Path> sources(String module) {
        try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The packages of sdclip that a source file imports from. */
    private static Set<String> importedPackages(Path file) {
        Set<String> packages = new TreeSet<>();
        Matcher m = IMPORT.matcher(read(file));
        while (m.find()) packages.add(m.group(1));
        return packages;
    }

    /** What a module-info.java exports. */
    private static Set<String> exports(String module) { return exports(module, null); }

    /** The packages {@code module} exports to everyone, plus those exported to {@code friend} alone (when not null). */
    private static Set<String> exports(String module, String friend) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("^\\s*exports\\s+([\\w.]+)\\s*(?:to\\s+([\\w.,\\s]+))?;", Pattern.MULTILINE)
                .matcher(read(ROOT.resolve(module).resolve("src/main/java/module-info.java")));
        while (m.find()) {
            if (m.group(2) == null || (friend != null && List.of(m.group(2).split("\\s*,\\s*")).contains(friend))) out.add(m.group(1));
        }
        return out;
    }

    /** Source text without comments, so only code and string literals are checked. */
    private static String code(Path file) {
        return read(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("(?m)//.*$", "");
    }

    @Test
    void engineDependsOnNothingAboveIt() {
        List<String> bad = new ArrayList<>();
        for (Path f : sources("engine")) {
            for (String p : importedPackages(f)) if (!p.startsWith("sdclip.engine")) bad.add(ROOT.relativize(f) + " imports " + p);
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void modelUsesOnlyTheEnginesApiAndNothingAbove() {
        Set<String> engineApi = exports("engine");
        List<String> bad = new ArrayList<>();
        for (Path f : sources("model")) {
            for (String p : importedPackages(f)) {
                boolean ok = p.startsWith("sdclip.model") || engineApi.contains(p);
                if (!ok) bad.add(ROOT.relativize(f) + " imports " + p);
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void cliAndBenchmarksUseOnlyExportedPackages() {
        Set<String> api = new TreeSet<>(exports("engine"));
        api.addAll(exports("model"));
        assertTrue(api.contains("sdclip.engine") && api.contains("sdclip.model") && !api.contains("sdclip.model.json"), "exports read: " + api);
        Set<String> cli = new TreeSet<>(api);
        cli.addAll(exports("model", "sdclip.cli"));
        // The benchmarks run on the class path, where no qualified export can reach them: the
        // formula model (synth) is the one non-API package they may use.
        Set<String> benchmarks = new TreeSet<>(api);
        benchmarks.add("sdclip.model.synth");
        List<String> bad = new ArrayList<>();
        for (var module : Map.of("cli", cli, "benchmarks", benchmarks).entrySet()) {
            String own = "sdclip." + module.getKey();
            for (Path f : sources(module.getKey())) {
                for (String p : importedPackages(f)) if (!p.startsWith(own) && !module.getValue().contains(p)) bad.add(ROOT.relativize(f) + " imports " + p);
            }
        }
        assertEquals(List.of(), bad);
    }

    /**
     * Main names the commands; the commands use the options, the output and the hub; those use
     * only the shared types of sdclip.cli (UsageException, Environment, ErrorLine), not each other.
     */
    @Test
    void cliPackagesDependOneWay() {
        Path src = ROOT.resolve("cli/src/main/java");
        List<String> bad = new ArrayList<>();
        for (Path f : sources("cli")) {
            if (f.getFileName().toString().equals("module-info.java")) continue;
            String own = src.relativize(f.getParent()).toString().replace(File.separatorChar, '.');
            boolean usesAll = own.equals("sdclip.cli.command") || f.equals(src.resolve("sdclip/cli/Main.java"));
            for (String p : importedPackages(f)) {
                boolean cli = p.equals("sdclip.cli") || p.startsWith("sdclip.cli.");
                if (cli && !usesAll && !p.equals(own) && !p.equals("sdclip.cli")) bad.add(ROOT.relativize(f) + " imports " + p);
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void theLibraryNeverPrints() {
        Pattern printing = Pattern.compile("System\\.(out|err)|printStackTrace\\(|System\\.console\\(");
        List<String> bad = new ArrayList<>();
        for (String module : List.of("engine", "model")) {
            for (Path f : sources(module)) if (printing.matcher(code(f)).find()) bad.add(ROOT.relativize(f).toString());
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void libraryMessagesNeverMentionCommandLineFlags() {
        List<String> bad = new ArrayList<>();
        for (String module : List.of("engine", "model")) {
            for (Path f : sources(module)) {
                Matcher s = STRING.matcher(code(f));
                while (s.find()) if (FLAG.matcher(s.group()).find()) bad.add(ROOT.relativize(f) + ": " + s.group());
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void theChecksSeeViolations() {
        // The patterns themselves, on made-up lines, so a broken regex cannot pass silently.
        assertTrue(FLAG.matcher("\"--encoder 3: no such encoder\"").find());
        assertTrue(!FLAG.matcher("\"a -- b\"").find() && !FLAG.matcher("\"x--y\"").find());
        Matcher m = IMPORT.matcher("import sdclip.engine.cpu.CpuBackend;\nimport static sdclip.model.json.Json.parse;\n");
        assertTrue(m.find() && m.group(1).equals("sdclip.engine.cpu"));
        assertTrue(m.find() && m.group(1).equals("sdclip.model.json"));
    }
}
