package sdclip.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The CLI in a child JVM (what the launcher runs), for heap limits, signals and standard output. */
final class ChildCli {
    private ChildCli() {}

    /** {@code java [jvmOptions] sdclip.cli.Main args}, with this test's class and module path. */
    static ProcessBuilder command(List<String> jvmOptions, String... args) {
        return java("sdclip.cli.Main", jvmOptions, args);
    }

    /** {@code java [jvmOptions] mainClass args}, with this test's class and module path. */
    static ProcessBuilder java(String mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(
                "--add-modules",
                "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow"));
        cmd.addAll(jvmOptions);
        String classPath = System.getProperty("java.class.path", "");
        String modulePath = System.getProperty("jdk.module.path", "");
        cmd.addAll(List.of("-cp", String.join(File.pathSeparator, classPath, modulePath)));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    /** Sends SIGINT (what Ctrl-C sends) to {@code p}. */
    static void interrupt(Process p) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
    }
}
