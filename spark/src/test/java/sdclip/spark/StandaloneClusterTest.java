package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.image.Preprocess;

/**
 * The transformers on a real multi-JVM cluster: a standalone master and worker on 127.0.0.1
 * ({@link StandaloneCluster}), two executors in JVMs of their own. The model is named by a bare
 * name that only the executors can resolve (their {@code SDCLIP_MODELS}; the driver has none and
 * never opens it) and task messages are capped at 1 MiB, an order of magnitude under the model's
 * 14 MB: so the model cannot travel with the tasks, and each executor reads it from its own disk,
 * once. The embeddings equal the library's bit for bit.
 */
class StandaloneClusterTest {
    static final String MODEL = "cluster-clip";

    @TempDir
    Path dir;

    /** Per partition, run in the task that computed it: "executor pid, opens of the model in that JVM". */
    static final class Probe implements FlatMapFunction<Iterator<Row>, String> {
        @java.io.Serial
        private static final long serialVersionUID = 1L;

        @Override
        public Iterator<String> call(Iterator<Row> rows) {
            int n = 0;
            while (rows.hasNext()) {
                rows.next();
                n++;
            }
            return List.of(ProcessHandle.current().pid() + " " + opens() + " " + n)
                    .iterator();
        }
    }

    static int opens() {
        int n = 0;
        for (Object key : ModelCache.keys())
            if (key instanceof ModelSpec.ImageKey k && k.model().path().endsWith("/" + MODEL + ".safetensors"))
                n += ModelCache.opens(key);
        return n;
    }

    @Test
    void executorsInTheirOwnJvmsEachReadTheModelOnceFromTheirOwnDisk() throws Exception {
        assertNull(System.getenv("SDCLIP_MODELS"), "the driver must not see the executors' models folder");
        Path models = Files.createDirectories(dir.resolve("models/models/clip"));
        Files.copy(Fixtures.ref("models/tiny-clip.safetensors"), models.resolve(MODEL + ".safetensors"));
        Path images = Fixtures.images(Files.createDirectories(dir.resolve("images")));

        try (StandaloneCluster cluster = new StandaloneCluster(dir, 2, "2g", Map.of())) {
            try {
                SparkSession spark = SparkTests.session(
                        cluster.masterUrl(),
                        Map.of(
                                "spark.executor.cores", "1",
                                "spark.cores.max", "2",
                                "spark.executor.memory", "512m",
                                "spark.executor.extraClassPath", StandaloneCluster.executorClassPath(),
                                "spark.executor.extraJavaOptions", String.join(" ", StandaloneCluster.jvmFlags()),
                                "spark.executorEnv.SDCLIP_MODELS",
                                        dir.resolve("models").toString(),
                                "spark.rpc.message.maxSize", "1"));
                awaitExecutors(spark, 2, cluster);

                Dataset<Row> files = spark.read()
                        .format("binaryFile")
                        .load(images.toString())
                        .repartition(8);
                ClipImageEmbedder embedder = new ClipImageEmbedder()
                        .setModel(MODEL)
                        .setVisionHeads(4)
                        .setBatchSize(2);
                Dataset<Row> out = embedder.transform(files);

                List<String> probes = out.javaRDD().mapPartitions(new Probe()).collect();
                Map<Long, Integer> opensByPid = new TreeMap<>();
                int rows = 0;
                for (String p : probes) {
                    String[] f = p.split(" ");
                    opensByPid.merge(Long.parseLong(f[0]), Integer.parseInt(f[1]), Math::max);
                    rows += Integer.parseInt(f[2]);
                }
                // binaryFile lists no empty file: bad-empty.png is not a row
                int bad = (int) Fixtures.bad(images).stream()
                        .filter(p -> p.toFile().length() > 0)
                        .count();
                assertEquals(Fixtures.good(images).size() + bad, rows, probes.toString());
                assertEquals(2, opensByPid.size(), "two executor JVMs ran tasks: " + probes);
                assertTrue(!opensByPid.containsKey(ProcessHandle.current().pid()), "no task ran in the driver");
                for (var e : opensByPid.entrySet())
                    assertEquals(1, e.getValue(), "executor " + e.getKey() + " opened the model once: " + probes);
                assertEquals(0, opens(), "the driver never opened the model");

                // Again, collected: equal to the library's embeddings, and still one open per executor.
                Map<String, float[]> library = Fixtures.imageEmbeds(images, Preprocess.OPENAI);
                TreeSet<String> errors = new TreeSet<>();
                for (Row r : out.select("path", "image_embeds", "error").collectAsList()) {
                    String name = Fixtures.name(r);
                    if (name.startsWith("bad-")) {
                        assertNull(Fixtures.floats(r, "image_embeds"), name);
                        errors.add(name);
                    } else {
                        assertNull(r.getString(2), name);
                        assertArrayEquals(library.get(name), Fixtures.floats(r, "image_embeds"), name);
                    }
                }
                assertEquals(bad, errors.size(), errors.toString());
                for (String p : out.javaRDD().mapPartitions(new Probe()).collect())
                    assertEquals("1", p.split(" ")[1], "still one open: " + p);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(e.getMessage() + "\n" + cluster.logs(), e);
            } finally {
                SparkTests.stop();
            }
        }
    }

    private static void awaitExecutors(SparkSession spark, int n, StandaloneCluster cluster)
            throws IOException, InterruptedException {
        long end = System.nanoTime() + 90_000_000_000L;
        while (spark.sparkContext().getExecutorMemoryStatus().size() < n + 1) {
            if (System.nanoTime() > end)
                throw new AssertionError("fewer than " + n + " executors registered in 90 s\n" + cluster.logs());
            Thread.sleep(250);
        }
    }
}
