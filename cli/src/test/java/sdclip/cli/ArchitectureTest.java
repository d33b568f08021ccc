package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Rules the compiler does not enforce, checked over the sources: the library (engine, model)
 * never prints and never speaks in command-line words; inside each module, packages use only
 * the packages their row of {@link #ALLOWED} names; the benchmarks and the Spark module, on the
 * class path where module-info cannot stop them, use only what the library exports. (Module against module is
 * left to Maven and JPMS: engine cannot see model, model sees only the engine's exports.)
 */
class ArchitectureTest {
    private static final Path ROOT = findRoot();
    /** A class named by its package: {@code sdclip.model.json.Json}, in an import or in code. */
    private static final Pattern REFERENCE = Pattern.compile("(?<![\\w.])(sdclip(?:\\.[a-z]\\w*)+)\\.([A-Z]\\w*)");

    private static final Pattern WILDCARD =
            Pattern.compile("\\bimport\\s+(?:static\\s+)?(sdclip(?:\\.[a-z]\\w*)+)\\.\\*");
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z0-9-]*");
    private static final Pattern PRINTING =
            Pattern.compile("System\\.(out|err)\\b|\\.printStackTrace\\(|System\\.console\\(");

    /** The exception types: any package may throw them, however low. */
    private static final List<String> EXCEPTIONS = List.of(
            "sdclip.engine.SdclipException", "sdclip.model.ModelFormatException", "sdclip.model.PromptException");

    /**
     * Who may use whom inside engine and model, read off the sources when the rule was written:
     * each package's references to sdclip outside itself must be in its row, as a package or a
     * single class. A new edge is a decision: add it here. The low model packages (formats,
     * tokenizer, images) know nothing of encoders, towers or the root API but its exceptions.
     */
    static final Map<String, List<String>> ALLOWED = table(
            // package                     may use (besides EXCEPTIONS)
            row(
                    "sdclip.engine",
                    "sdclip.engine.cpu",
                    "sdclip.engine.opencl",
                    "sdclip.engine.portable",
                    "sdclip.engine.reference"), // Backends creates them
            row("sdclip.engine.cpu", "sdclip.engine", "sdclip.engine.support"),
            row("sdclip.engine.opencl", "sdclip.engine", "sdclip.engine.support"),
            row("sdclip.engine.portable", "sdclip.engine", "sdclip.engine.support"),
            row("sdclip.engine.reference", "sdclip.engine", "sdclip.engine.support"),
            row("sdclip.engine.support", "sdclip.engine"),
            row(
                    "sdclip.model",
                    "sdclip.engine",
                    "sdclip.model.checkpoint",
                    "sdclip.model.image",
                    "sdclip.model.lora",
                    "sdclip.model.prompt",
                    "sdclip.model.safetensors",
                    "sdclip.model.text",
                    "sdclip.model.tokenizer",
                    "sdclip.model.vision"),
            row(
                    "sdclip.model.text",
                    "sdclip.engine",
                    "sdclip.model",
                    "sdclip.model.checkpoint",
                    "sdclip.model.prompt",
                    "sdclip.model.tokenizer",
                    "sdclip.model.transformer"),
            row("sdclip.model.vision", "sdclip.engine", "sdclip.model.checkpoint", "sdclip.model.transformer"),
            row("sdclip.model.transformer", "sdclip.engine", "sdclip.model.checkpoint"),
            row("sdclip.model.hub", "sdclip.model.checkpoint"),
            row(
                    "sdclip.model.lora",
                    "sdclip.engine",
                    "sdclip.model.checkpoint",
                    "sdclip.model.format",
                    "sdclip.model.json",
                    "sdclip.model.safetensors"),
            row(
                    "sdclip.model.checkpoint",
                    "sdclip.engine",
                    "sdclip.model.format",
                    "sdclip.model.gguf",
                    "sdclip.model.json",
                    "sdclip.model.pickle",
                    "sdclip.model.safetensors"),
            row(
                    "sdclip.model.prompt",
                    "sdclip.model.format",
                    "sdclip.model.pickle",
                    "sdclip.model.safetensors",
                    "sdclip.model.tokenizer"),
            row("sdclip.model.pickle", "sdclip.model.safetensors"),
            row("sdclip.model.safetensors", "sdclip.engine", "sdclip.model.json"),
            row("sdclip.model.tokenizer", "sdclip.model.json"),
            row("sdclip.model.format", "sdclip.model.gguf", "sdclip.model.pickle", "sdclip.model.safetensors"),
            row("sdclip.model.gguf", "sdclip.engine", "sdclip.model.safetensors"),
            row("sdclip.model.synth", "sdclip.engine", "sdclip.model.safetensors"),
            row("sdclip.model.image", "sdclip.model.image.webp"),
            row("sdclip.model.image.webp"),
            row("sdclip.model.json"));

    private static Map.Entry<String, List<String>> row(String pkg, String... mayUse) {
        List<String> all = new ArrayList<>(List.of(mayUse));
        all.addAll(EXCEPTIONS);
        return Map.entry(pkg, List.copyOf(all));
    }

    @SafeVarargs
    private static Map<String, List<String>> table(Map.Entry<String, List<String>>... rows) {
        Map<String, List<String>> t = new LinkedHashMap<>();
        for (var r : rows) assertTrue(t.put(r.getKey(), r.getValue()) == null, "two rows for " + r.getKey());
        return t;
    }

    /** A source file split into its code (comments and literals blanked) and its string literals. */
    record Source(String name, String pkg, String code, List<String> strings) {}

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("engine/src/main/java/module-info.java")))
            dir = dir.getParent();
        if (dir == null)
            throw new IllegalStateException(
                    "cannot find the project root above " + Path.of("").toAbsolutePath());
        return dir;
    }

    private static List<Source> sources(String module) {
        try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java") && !f.endsWith("module-info.java"))
                    .sorted()
                    .map(f -> parse(ROOT.relativize(f).toString(), read(f)))
                    .toList();
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

    /**
     * Scans Java text once: comments become spaces, string, text block and char literals become
     * {@code ""} in the code and are kept apart, so a {@code //} inside a string is no comment and
     * a class name inside a message is no reference.
     */
    static Source parse(String name, String text) {
        StringBuilder code = new StringBuilder();
        List<String> strings = new ArrayList<>();
        int i = 0, n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (text.startsWith("//", i)) {
                while (i < n && text.charAt(i) != '\n') i++;
            } else if (text.startsWith("/*", i)) {
                int end = text.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                code.append(' ');
            } else if (text.startsWith("\"\"\"", i)) {
                int end = i + 3;
                while (end < n && !text.startsWith("\"\"\"", end)) end += text.charAt(end) == '\\' ? 2 : 1;
                strings.add(text.substring(Math.min(i + 3, n), Math.min(end, n)));
                code.append("\"\"");
                i = end + 3;
            } else if (c == '"' || c == '\'') {
                int end = i + 1;
                while (end < n && text.charAt(end) != c && text.charAt(end) != '\n')
                    end += text.charAt(end) == '\\' ? 2 : 1;
                if (c == '"') strings.add(text.substring(i + 1, Math.min(end, n)));
                code.append("\"\"");
                i = end + 1;
            } else {
                code.append(c);
                i++;
            }
        }
        Matcher p = PACKAGE.matcher(code);
        return new Source(name, p.find() ? p.group(1) : "", code.toString(), strings);
    }

    /** Each sdclip package or class {@code s} names outside its own package, as {@code pkg.Class} or {@code pkg.*}. */
    static Set<String> references(Source s) {
        Set<String> out = new TreeSet<>();
        Matcher m = REFERENCE.matcher(s.code);
        while (m.find()) if (!m.group(1).equals(s.pkg)) out.add(m.group(1) + "." + m.group(2));
        Matcher w = WILDCARD.matcher(s.code);
        while (w.find()) if (!w.group(1).equals(s.pkg)) out.add(w.group(1) + ".*");
        return out;
    }

    /** Whether {@code from}'s row allows {@code reference} ({@code pkg.Class} or {@code pkg.*}). */
    static boolean allowed(String from, String reference) {
        List<String> row = ALLOWED.get(from);
        String pkg = reference.substring(0, reference.lastIndexOf('.'));
        return row != null && (row.contains(pkg) || row.contains(reference));
    }

    /** Every reference in {@code sources} outside its package's row, one line each. */
    static List<String> outsideTheTable(List<Source> sources) {
        List<String> bad = new ArrayList<>();
        for (Source s : sources) {
            if (!ALLOWED.containsKey(s.pkg)) bad.add(s.name + ": package " + s.pkg + " has no row in ALLOWED");
            else for (String r : references(s)) if (!allowed(s.pkg, r)) bad.add(s.name + " (" + s.pkg + ") uses " + r);
        }
        return bad;
    }

    /** The CLI's command names, from its {@code @Command} annotations. */
    static Set<String> commands() {
        Set<String> names = new TreeSet<>();
        Pattern command = Pattern.compile("@Command\\(\\s*name\\s*=\\s*\"([\\w-]+)\"");
        for (Path f : files("cli")) {
            Matcher m = command.matcher(read(f));
            while (m.find()) names.add(m.group(1));
        }
        names.remove("sdclip");
        assertTrue(names.containsAll(Set.of("encode", "inspect", "pull", "encode-image")), "commands read: " + names);
        return names;
    }

    private static List<Path> files(String module) {
        try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A flag ({@code --heads}) or a command line ({@code sdclip encode}) in a string literal. */
    static Pattern cliWords(Set<String> commands) {
        String names = commands.stream().map(Pattern::quote).collect(Collectors.joining("|"));
        return Pattern.compile(FLAG.pattern() + "|(?<![\\w-])sdclip\\s+(?:" + names + ")(?![\\w-])");
    }

    private static List<Source> library() {
        List<Source> all = new ArrayList<>(sources("engine"));
        all.addAll(sources("model"));
        return all;
    }

    @Test
    void theLibraryNeverPrints() {
        List<String> bad = new ArrayList<>();
        for (Source s : library()) {
            Matcher m = PRINTING.matcher(s.code);
            while (m.find()) bad.add(s.name + ": " + m.group());
        }
        assertEquals(List.of(), bad, "the library returns and throws; the CLI decides what to print");
    }

    @Test
    void libraryMessagesNeverSpeakTheCommandLine() {
        Pattern words = cliWords(commands());
        List<String> bad = new ArrayList<>();
        for (Source s : library()) {
            for (String literal : s.strings)
                if (words.matcher(literal).find()) bad.add(s.name + ": \"" + literal + "\"");
        }
        assertEquals(List.of(), bad, "a library message names the model or the value, not a flag or a command");
    }

    @Test
    void packagesUseOnlyWhatTheirRowAllows() {
        List<Source> all = library();
        assertEquals(List.of(), outsideTheTable(all));
        Set<String> present = all.stream().map(Source::pkg).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(ALLOWED.keySet()), present, "one row per package, none for a package that is gone");
    }

    /**
     * Inside the CLI, dependencies go one way: Main and the commands use the options, the output
     * and the hub; those use only the shared types of {@code sdclip.cli} (UsageException,
     * Environment, ErrorLine), not each other.
     */
    @Test
    void cliPackagesDependOneWay() {
        List<String> bad = new ArrayList<>();
        for (Source s : sources("cli")) {
            boolean usesAll = s.pkg.equals("sdclip.cli.command") || s.name.endsWith("sdclip/cli/Main.java");
            for (String r : references(s)) {
                String pkg = r.substring(0, r.lastIndexOf('.'));
                if (pkg.startsWith("sdclip.cli.") && !usesAll) bad.add(s.name + " (" + s.pkg + ") uses " + r);
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void benchmarksUseOnlyExportedPackages() {
        // The benchmarks have no module-info: on the class path, nothing else stops them reaching in.
        // The formula model (synth) is exported to the cli alone, and no qualified export reaches the class path.
        assertEquals(List.of(), outsideTheExports("benchmarks", "sdclip.model.synth"));
    }

    @Test
    void sparkUsesOnlyExportedPackages() {
        // The Spark module is a class-path module (Spark is not modular): the same rule, with no exception.
        assertEquals(List.of(), outsideTheExports("spark"));
    }

    /** References of a class-path module's sources to sdclip packages that engine and model do not export to everyone. */
    private static List<String> outsideTheExports(String module, String... alsoAllowed) {
        Set<String> api = new TreeSet<>(exports("engine"));
        api.addAll(exports("model"));
        assertTrue(api.contains("sdclip.engine") && api.contains("sdclip.model"), "exports read: " + api);
        api.addAll(List.of(alsoAllowed));
        String own = "sdclip." + module;
        List<String> bad = new ArrayList<>();
        List<Source> sources = sources(module);
        assertTrue(!sources.isEmpty(), module + " has sources");
        for (Source s : sources) {
            for (String r : references(s)) {
                String pkg = r.substring(0, r.lastIndexOf('.'));
                if (!pkg.startsWith(own) && !api.contains(pkg)) bad.add(s.name + " uses " + r);
            }
        }
        return bad;
    }

    /** What a module-info.java exports. */
    private static Set<String> exports(String module) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("^\\s*exports\\s+([\\w.]+)\\s*;", Pattern.MULTILINE)
                .matcher(read(ROOT.resolve(module).resolve("src/main/java/module-info.java")));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void theChecksSeeViolations() {
        // Each check on made-up source, so a broken pattern or scanner cannot pass silently.
        Source printing = parse(
                "P.java",
                "package sdclip.model.json;\nclass P { void f() { System.out.println(\"x\"); /* System.err */ } }");
        assertTrue(PRINTING.matcher(printing.code).find());
        assertTrue(
                !PRINTING.matcher(parse("Q.java", "// System.out\nclass Q { String s = \"System.err\"; }").code)
                        .find(),
                "comments and messages are not printing");

        Pattern words = cliWords(commands());
        Source messages = parse(
                "M.java",
                "class M { String a = \"--encoder 3: no such encoder\", b = \"run 'sdclip encode-image'\", c = \"see http://x//y\"; }");
        assertEquals(
                List.of("--encoder 3: no such encoder", "run 'sdclip encode-image'", "see http://x//y"),
                messages.strings);
        assertTrue(words.matcher(messages.strings.get(0)).find()
                && words.matcher(messages.strings.get(1)).find());
        for (String fine : List.of("a -- b", "x--y", "sdclip computes in F32", "the sdclip jar"))
            assertTrue(!words.matcher(fine).find(), fine);

        Source upward = parse("sdclip/model/json/J.java", """
                package sdclip.model.json;
                import sdclip.model.PromptException;
                import sdclip.model.text.Batches;
                import sdclip.model.vision.*;
                class J { sdclip.model.TextEncoder e; String s = "sdclip.model.checkpoint.Checkpoint"; }
                """);
        assertEquals(
                Set.of(
                        "sdclip.model.PromptException",
                        "sdclip.model.text.Batches",
                        "sdclip.model.vision.*",
                        "sdclip.model.TextEncoder"),
                references(upward));
        assertEquals(
                List.of(
                        "sdclip/model/json/J.java (sdclip.model.json) uses sdclip.model.TextEncoder",
                        "sdclip/model/json/J.java (sdclip.model.json) uses sdclip.model.text.Batches",
                        "sdclip/model/json/J.java (sdclip.model.json) uses sdclip.model.vision.*"),
                outsideTheTable(List.of(upward)));
        assertEquals(
                List.of("N.java: package sdclip.model.nowhere has no row in ALLOWED"),
                outsideTheTable(List.of(parse("N.java", "package sdclip.model.nowhere;"))));
    }
}
