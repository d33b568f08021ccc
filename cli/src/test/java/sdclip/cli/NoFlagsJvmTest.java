package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.cli.option.ModelOptions;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;
import sdclip.testdata.Seeded;

/**
 * sdclip in a fresh JVM started with no flags at all (the test JVM itself has
 * {@code --add-modules jdk.incubator.vector}; children get none of it): the CLI through
 * {@code java -jar} and on the class path, and a library program, each encoding the reference
 * tiny SD 1.5 model on the portable backend to the reference tolerance, with nothing on stderr
 * but the one-line note. The {@code java -jar} runs use a launcher jar whose manifest names the
 * build's classes and jars (the shaded jar is built only after the tests), with the same
 * {@code Main-Class} and {@code Enable-Native-Access} as {@code sdclip.jar}.
 */
class NoFlagsJvmTest {
    static final List<String> PROMPTS =
            List.of("a diagram", "a dog", "a cat", "a photo of an astronaut riding a horse on mars");
    static final String NOTE =
            "sdclip: the Vector API module is not available (start java with --add-modules jdk.incubator.vector for speed); using the portable backend";

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    /** {@code java ARGS} with this JDK, no options inherited from the environment. */
    static Run java(Path dir, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("JAVA_TOOL_OPTIONS"); // would add options, and a "Picked up" line
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().remove("_JAVA_OPTIONS");
        Path out = dir.resolve("stdout.txt"), err = dir.resolve("stderr.txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * This test's classes and dependencies as a class path: surefire puts the project's modules
     * on the module path and the rest on the class path, so both are taken.
     */
    static List<Path> classPath() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String property : List.of("jdk.module.path", "java.class.path")) {
            String value = System.getProperty(property, "");
            for (String e : value.split(File.pathSeparator)) {
                if (!e.isBlank() && Files.exists(Path.of(e)))
                    entries.add(Path.of(e).toAbsolutePath());
            }
        }
        return new ArrayList<>(entries);
    }

    static String classPathString() {
        return classPath().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    /** A jar holding only a manifest: sdclip.jar's Main-Class and Enable-Native-Access, the class path as URLs. */
    Path launcherJar() throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, "sdclip.cli.Main");
        a.put(
                Attributes.Name.CLASS_PATH,
                classPath().stream().map(p -> p.toUri().toString()).collect(Collectors.joining(" ")));
        a.put(new Attributes.Name("Enable-Native-Access"), "ALL-UNNAMED");
        Path jar = dir.resolve("launcher.jar");
        try (OutputStream os = Files.newOutputStream(jar)) {
            new JarOutputStream(os, m).close(); // the manifest is the whole jar
        }
        return jar;
    }

    static List<String> encodeArgs(Path output) {
        List<String> args = new ArrayList<>(List.of(
                "encode",
                "--model",
                ReferenceData.require("models/tiny-sd15.safetensors").toString(),
                "--heads",
                "4",
                "--tokenizer",
                ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz").toString(),
                "--output",
                output.toString()));
        args.addAll(PROMPTS);
        return args;
    }

    /** Rows 0..3 of the reference: SD 1.5's conditioning is the last hidden state. */
    static void assertMatchesReference(Path output, String tensor) throws IOException {
        int row = 77 * 64, n = PROMPTS.size();
        try (SafetensorsFile f = SafetensorsFile.open(output);
                SafetensorsFile exp =
                        SafetensorsFile.open(ReferenceData.require("expected/tiny-sd15.expected.safetensors"))) {
            assertArrayEquals(new long[] {n, 77, 64}, f.info(tensor).shape());
            float[] want = Arrays.copyOf(exp.floats("last_hidden_state"), n * row);
            double err = Seeded.relativeError(f.floats(tensor), want);
            assertTrue(err < 1e-4, tensor + ": relative error " + err);
            assertArrayEquals(Arrays.copyOf(exp.longs("input_ids"), n * 77), f.longs("input_ids"));
        }
    }

    static void assertNoTraceOrWarning(Run r) {
        assertFalse(
                r.err.contains("Exception") || r.err.contains("\tat ") || r.err.contains("Error"),
                "stack trace:\n" + r.err);
        assertFalse(r.err.contains("WARNING"), "warning:\n" + r.err);
    }

    static List<String> heap(String option, String... rest) {
        List<String> args = new ArrayList<>();
        if (!option.isEmpty()) args.add(option);
        args.addAll(List.of(rest));
        return args;
    }

    @ParameterizedTest(name = "java {0} {1}")
    @CsvSource({"'', -jar", "-Xmx64m, -jar", "'', -cp", "-Xmx64m, -cp"})
    void cliEncodesWithoutFlags(String heapOption, String how) throws Exception {
        Path out = dir.resolve("c.safetensors");
        List<String> args = how.equals("-jar")
                ? heap(heapOption, "-jar", launcherJar().toString())
                : heap(heapOption, "-cp", classPathString(), "sdclip.cli.Main");
        args.addAll(encodeArgs(out));
        Run r = java(dir, args);
        assertEquals(0, r.code, r.err);
        assertNoTraceOrWarning(r);
        assertEquals(List.of(NOTE, "wrote " + out), r.err.lines().toList());
        assertMatchesReference(out, "conditioning");
    }

    @ParameterizedTest(name = "java {0} library")
    @ValueSource(strings = {"", "-Xmx64m"})
    void libraryEncodesWithoutFlags(String heapOption) throws Exception {
        Path out = dir.resolve("lib.safetensors");
        List<String> args = heap(
                heapOption,
                "-cp",
                classPathString(),
                LibraryMain.class.getName(),
                ReferenceData.require("models/tiny-sd15.safetensors").toString(),
                "4",
                ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz").toString(),
                out.toString());
        args.addAll(PROMPTS);
        Run r = java(dir, args);
        assertEquals(0, r.code, r.err);
        assertEquals("portable", r.out.strip(), "cpu falls back to the portable backend");
        assertNoTraceOrWarning(r);
        // The library prints nothing itself; its one INFO record goes to java.util.logging's
        // default console handler (a timestamp line, then the message).
        List<String> lines = r.err.lines().toList();
        assertEquals(2, lines.size(), r.err);
        assertTrue(
                lines.get(1)
                        .endsWith(
                                ": the Vector API module jdk.incubator.vector is not available; backend cpu is the portable backend"),
                r.err);
        assertMatchesReference(out, "last_hidden_state");
    }

    @Test
    void portableIsSelectableAndOpenClWithoutNativeAccessSaysWhichFlag() throws Exception {
        Path out = dir.resolve("p.safetensors");
        List<String> args = new ArrayList<>(List.of("-cp", classPathString(), "sdclip.cli.Main"));
        List<String> encode = encodeArgs(out);
        encode.addAll(1, List.of("--backend", "portable"));
        args.addAll(encode);
        Run portable = java(dir, args);
        assertEquals(0, portable.code, portable.err);
        assertEquals(List.of("wrote " + out), portable.err.lines().toList(), "an explicit portable needs no note");
        assertMatchesReference(out, "conditioning");

        Run opencl = java(dir, List.of("-cp", classPathString(), "sdclip.cli.Main", "devices"));
        assertEquals(1, opencl.code);
        assertEquals(
                List.of("sdclip: " + ModelOptions.NATIVE_ACCESS_HINT),
                opencl.err.lines().toList());
    }
}
