package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On local[2,3] (a task may fail twice and be retried): one partition's first attempt dies
 * after it has emitted some rows, mid-write of a parquet table. The table read back holds every
 * row once, with the same values and errors as a run without the failure; likewise a
 * {@link ClipJob} part whose first attempt fails reading an input file. Runs last: it
 * restarts Spark on another master (a class after it would restart it on local[2]).
 */
@Order(Integer.MAX_VALUE)
class TaskRetryTest {
    @TempDir
    static Path dir;

    /** Attempts that threw: the failure must really have happened. */
    static final AtomicInteger INJECTED = new AtomicInteger();

    /** Passes rows through; the first attempt of partition 1 throws after three rows. */
    static Iterator<Row> flaky(Iterator<Row> rows) {
        TaskContext task = TaskContext.get();
        boolean fail = task.partitionId() == 1 && task.attemptNumber() == 0;
        return new Iterator<>() {
            int seen;

            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                if (fail && seen++ == 3) {
                    INJECTED.incrementAndGet();
                    throw new IllegalStateException("injected failure of partition 1, attempt 0");
                }
                return rows.next();
            }
        };
    }

    @Test
    void aRetriedTaskLeavesNoDuplicatesAndNoGaps() throws IOException {
        SparkSession spark = SparkTests.session("local[2,3]");
        List<Row> rows = new ArrayList<>();
        Path images = Fixtures.images(Files.createDirectories(dir.resolve("images")));
        List<Path> files;
        try (var s = Files.list(images)) {
            files = s.sorted().toList();
        }
        for (int i = 0; i < 24; i++) {
            Path f = files.get(i % files.size());
            rows.add(RowFactory.create(i, f.toString(), Files.readAllBytes(f), i % 7 == 0 ? null : "caption " + i));
        }
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("path", DataTypes.StringType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        Dataset<Row> pairs = spark.createDataFrame(rows, schema).repartition(4);
        ClipScorer scorer = new ClipScorer()
                .setModel(Fixtures.clip())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setVisionHeads(4)
                .setBatchSize(2);
        Dataset<Row> scored = scorer.transform(pairs).drop("content");

        List<Row> expected = Fixtures.sorted(scored.collectAsList(), "id");
        assertEquals(0, INJECTED.get());

        MapPartitionsFunction<Row, Row> flaky = TaskRetryTest::flaky;
        String table = dir.resolve("scores.parquet").toString();
        scored.mapPartitions(flaky, Encoders.row(scored.schema())).write().parquet(table);
        assertEquals(1, INJECTED.get(), "partition 1 failed once, then succeeded");

        Dataset<Row> back = spark.read().parquet(table);
        assertEquals(24, back.count());
        assertEquals(24, back.select("id").distinct().count(), "no duplicates");
        List<Row> got = Fixtures.sorted(
                back.select(scored.columns()[0], Arrays.copyOfRange(scored.columns(), 1, scored.columns().length))
                        .collectAsList(),
                "id");
        assertEquals(expected.toString(), got.toString());
        long errors = got.stream().filter(r -> r.getAs("error") != null).count();
        assertTrue(errors > 0 && errors < 24, "good and bad rows both: " + errors + " errors");
    }

    @Test
    void aClipJobPartRetriedLeavesTheSameOutput() throws IOException {
        SparkSession spark = SparkTests.session("local[2,3]");
        TrapFileSystem.register(spark.sparkContext().hadoopConfiguration());
        Path images = Files.createDirectories(dir.resolve("job-images"));
        Fixtures.images(images);
        try (var s = Files.list(images)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                Files.writeString(
                        images.resolve(name.substring(0, name.lastIndexOf('.')) + ".txt"), "a photo of " + name);
            }
        }
        List<String> common = List.of(
                "score",
                "--input",
                images.toString(),
                "--shard-size",
                "3",
                "--model",
                Fixtures.clip(),
                "--tokenizer",
                Fixtures.vocabulary(),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--embeddings",
                "--batch-size",
                "1");
        Path clean = dir.resolve("job-clean"), retried = dir.resolve("job-retried");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--output", clean.toString()));
        assertEquals(0, ClipJob.run(a.toArray(String[]::new), System.out, System.err, spark));
        // Part 1's first attempt fails opening its third image, after writing two rows.
        TrapFileSystem.failOnce = "bad-truncated.jpg";
        List<String> b = new ArrayList<>(common);
        b.addAll(List.of("--output", retried.toString()));
        try {
            assertEquals(0, ClipJob.run(b.toArray(String[]::new), System.out, System.err, spark));
        } finally {
            TrapFileSystem.failOnce = null;
            TrapFileSystem.unregister(spark.sparkContext().hadoopConfiguration());
        }
        assertEquals(1, TrapFileSystem.FAILED.get(), "one attempt failed");
        List<Row> x = Fixtures.sorted(spark.read().parquet(clean.toString()).collectAsList(), "key");
        List<Row> y = Fixtures.sorted(spark.read().parquet(retried.toString()).collectAsList(), "key");
        assertEquals(12, y.size());
        assertEquals(x.toString(), y.toString());
        try (var s = Files.list(retried.resolve("_parts"))) {
            assertEquals(
                    4,
                    s.filter(p -> p.getFileName().toString().endsWith(".json")).count());
        }
        long errors = y.stream().filter(r -> r.getAs("error") != null).count();
        assertEquals(3, errors, "the three bad images (the CMYK JPEG decodes)");
    }
}
