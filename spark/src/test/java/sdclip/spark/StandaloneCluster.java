package sdclip.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A Spark standalone cluster on 127.0.0.1 made of real processes, from the test's own class path
 * (the Maven artifacts; no Spark download): one master JVM and one worker JVM, which starts each
 * application's executors as JVMs of their own. The worker's Spark home is an empty folder with
 * an empty {@code jars} directory: everything the executors load comes from the application's
 * {@code spark.executor.extraClassPath}, which {@link #executorClassPath()} gives.
 */
final class StandaloneCluster implements AutoCloseable {
    final int masterPort;
    private final List<Process> processes = new ArrayList<>();
    private final Path logs;

    /**
     * Starts a master and a worker with {@code cores} cores and {@code memory} of executor memory,
     * the worker's environment extended by {@code workerEnv}.
     */
    StandaloneCluster(Path dir, int cores, String memory, Map<String, String> workerEnv) throws IOException {
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        Files.createDirectories(home.resolve("jars"));
        logs = Files.createDirectories(dir.resolve("logs"));
        masterPort = freePort();
        start(
                "master",
                Map.of(),
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(masterPort),
                "--webui-port",
                String.valueOf(freePort()));
        awaitPort(masterPort, Duration.ofSeconds(60));
        Map<String, String> env = new java.util.HashMap<>(workerEnv);
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_WORKER_DIR", Files.createDirectories(dir.resolve("work")).toString());
        start(
                "worker",
                env,
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                String.valueOf(cores),
                "--memory",
                memory,
                "--webui-port",
                String.valueOf(freePort()),
                masterUrl());
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The JVM options Spark's launcher would add, and sdclip's: from the pom, through surefire. */
    static List<String> jvmFlags() {
        String flags = System.getProperty("sdclip.spark.jvm.flags", "").strip();
        return flags.isEmpty() ? List.of() : Arrays.asList(flags.split("\\s+"));
    }

    /** The class path the executors need: this JVM's (the spark module, the model, the engine, Spark). */
    static String executorClassPath() {
        return System.getProperty("java.class.path");
    }

    /** What the processes wrote, for a failing test's message. */
    String logs() throws IOException {
        StringBuilder s = new StringBuilder();
        try (var files = Files.list(logs)) {
            for (Path p : files.sorted().toList()) {
                List<String> lines = Files.readAllLines(p);
                s.append("--- ").append(p.getFileName()).append(" (last 30 lines)\n");
                for (String l : lines.subList(Math.max(0, lines.size() - 30), lines.size()))
                    s.append(l).append('\n');
            }
        }
        return s.toString();
    }

    private void start(String name, Map<String, String> env, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags());
        cmd.addAll(List.of("-Xmx512m", "-cp", executorClassPath(), mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().putAll(env);
        processes.add(pb.start());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port, Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for port " + port, e);
                }
            }
        }
        throw new IOException("nothing listens on 127.0.0.1:" + port + " after " + timeout);
    }

    /** Stops the worker (and with it its executors) and the master. */
    @Override
    public void close() {
        for (Process p : processes.reversed()) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
