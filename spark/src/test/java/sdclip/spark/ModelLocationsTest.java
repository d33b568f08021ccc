package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a model may be: a Hadoop filesystem URI other than file: (here {@link
 * RemoteTestFileSystem}, standing in for hdfs: or s3a:) is copied to the JVM's disk once, however
 * many partitions and transformers use it, and gives the same embeddings as the local file; a
 * model folder copies whole; a Hugging Face id resolves in the hub cache of the executor's
 * environment (surefire sets {@code HF_HUB_CACHE} to target/test-hub-cache); a scheme Hadoop does
 * not know is refused on the driver in one line.
 */
class ModelLocationsTest {
    @TempDir
    Path dir;

    private static Dataset<Row> pictures(int partitions) throws IOException {
        byte[] image = Files.readAllBytes(Fixtures.ref("images/gray_100x60.png"));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 16; i++) rows.add(RowFactory.create(i, image, "caption " + i));
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        return SparkTests.local2().createDataFrame(rows, schema).repartition(partitions);
    }

    private static List<float[]> embeddings(Dataset<Row> out, String column) {
        List<float[]> v = new ArrayList<>();
        for (Row r : Fixtures.sorted(out.collectAsList(), "id")) {
            assertTrue(r.isNullAt(r.fieldIndex("error")), () -> r.getString(r.fieldIndex("error")));
            v.add(Fixtures.floats(r, column));
        }
        return v;
    }

    @Test
    void aRemoteModelIsCopiedOncePerJvmAndEmbedsAsTheLocalFile() throws IOException {
        Path remote = Files.copy(Fixtures.ref("models/tiny-clip.safetensors"), dir.resolve("remote-clip.safetensors"));
        Dataset<Row> pictures = pictures(4);
        List<float[]> local = embeddings(
                new ClipImageEmbedder()
                        .setModel(Fixtures.clip())
                        .setVisionHeads(4)
                        .transform(pictures),
                "image_embeds");

        ClipImageEmbedder viaUri = new ClipImageEmbedder()
                .setModel(RemoteTestFileSystem.uri(remote))
                .setVisionHeads(4)
                .setBatchSize(3);
        for (int run = 0; run < 2; run++) {
            List<float[]> copied = embeddings(viaUri.transform(pictures), "image_embeds");
            assertEquals(16, copied.size());
            for (int i = 0; i < 16; i++) assertArrayEquals(local.get(i), copied.get(i), "row " + i);
        }
        assertEquals(1, RemoteTestFileSystem.opens(remote), "read once from the remote filesystem");
        List<ModelSpec.ImageKey> copies = ModelCache.keys().stream()
                .filter(k ->
                        k instanceof ModelSpec.ImageKey i && i.model().path().endsWith("/remote-clip.safetensors"))
                .map(k -> (ModelSpec.ImageKey) k)
                .toList();
        assertEquals(1, copies.size(), "one mapped copy: " + copies);
        Path copy = copies.getFirst().model().local();
        assertTrue(copy.toString().contains("sdclip-models"), copy.toString());
        assertArrayEquals(Files.readAllBytes(remote), Files.readAllBytes(copy));
        assertEquals(1, ModelCache.opens(copies.getFirst()), "and opened once");
    }

    @Test
    void aRemoteModelFolderIsCopiedWhole() throws IOException {
        Path folder = copyTree(Fixtures.ref("models/tiny-sd15-diffusers"), dir.resolve("remote-diffusers"));
        List<float[]> local = texts(folder.toString());
        List<float[]> copied = texts(RemoteTestFileSystem.uri(folder));
        for (int i = 0; i < local.size(); i++) assertArrayEquals(local.get(i), copied.get(i), "row " + i);
    }

    @Test
    void aHuggingFaceIdResolvesInTheExecutorsHubCache() throws IOException {
        String cache = System.getenv("HF_HUB_CACHE");
        assertNotNull(cache, "surefire sets HF_HUB_CACHE for this test");
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Path repo = Path.of(cache, "models--sdclip-test--tiny-sd15");
        if (Files.exists(repo)) deleteTree(repo);
        copyTree(
                Fixtures.ref("models/tiny-sd15-diffusers"),
                repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit, StandardCharsets.UTF_8);

        List<float[]> byPath = texts(Fixtures.ref("models/tiny-sd15-diffusers").toString());
        List<float[]> byId = texts("sdclip-test/tiny-sd15");
        for (int i = 0; i < byPath.size(); i++) assertArrayEquals(byPath.get(i), byId.get(i), "row " + i);

        ClipTextEmbedder missing = new ClipTextEmbedder().setModel("sdclip-test/not-there");
        Exception e = assertThrows(
                Exception.class, () -> missing.transform(pictures(1)).count());
        assertTrue(causes(e).contains("Hugging Face model sdclip-test/not-there is not in the hub cache"), causes(e));
    }

    @Test
    void aSchemeWithoutAHadoopFilesystemIsRefusedOnTheDriver() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new ClipImageEmbedder()
                        .setModel("nosuchfs://bucket/clip.safetensors")
                        .modelSpec());
        assertEquals(
                "the model nosuchfs://bucket/clip.safetensors: no Hadoop filesystem for nosuchfs: on this class path"
                        + " (for s3a: add hadoop-aws and its SDK to the job's jars)",
                e.getMessage());
        IllegalArgumentException none =
                assertThrows(IllegalArgumentException.class, () -> new ClipImageEmbedder().modelSpec());
        assertTrue(none.getMessage().contains("no model"), none.getMessage());
        assertEquals(Path.of("/models/clip.safetensors"), Locations.local("file:///models/clip.safetensors"));
        assertEquals(Path.of("/models/clip.safetensors"), Locations.local("file:/models/clip.safetensors"));
    }

    private List<float[]> texts(String model) throws IOException {
        return embeddings(
                new ClipTextEmbedder()
                        .setModel(model)
                        .setInputCol("text")
                        .setOutput("pooled_output")
                        .transform(pictures(3)),
                "pooled_output");
    }

    private static String causes(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause())
            s.append(t.getMessage()).append(" | ");
        return s.toString();
    }

    private static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        return to;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
