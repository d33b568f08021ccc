package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.image.Preprocess;

/**
 * {@link ClipImageEmbedder} over Spark's binaryFile source on local[2]: the good images' embeddings
 * equal the library's for the same files bit for bit (both preprocessings, normalised or not),
 * in partitions and batches that do not line up with the library's; each bad file is an error
 * row naming it, with a null embedding, and the job goes on.
 */
class ClipImageEmbedderTest {
    @TempDir
    static Path dir;

    static Dataset<Row> images;

    @BeforeAll
    static void setUp() throws IOException {
        Fixtures.images(dir);
        images = SparkTests.local2()
                .read()
                .format("binaryFile")
                .load(dir.toString())
                .repartition(3);
    }

    private static List<Row> run(ClipImageEmbedder e) {
        return Fixtures.sorted(
                e.transform(images)
                        .select("path", e.getOutputCol(), e.getErrorCol())
                        .collectAsList(),
                "path");
    }

    @Test
    void embeddingsEqualTheLibrarysAndBadFilesAreErrorRows() throws IOException {
        ClipImageEmbedder e = new ClipImageEmbedder()
                .setModel(Fixtures.clip())
                .setVisionHeads(4)
                .setBatchSize(3);
        assertEquals(
                DataTypes.createArrayType(DataTypes.FloatType, false),
                e.transform(images).schema().apply("image_embeds").dataType());
        List<Row> rows = run(e);
        assertEquals(
                11,
                rows.size(),
                "12 files; binaryFile lists no empty file (bad-empty.png): ClipScorerTest has empty bytes");
        Map<String, float[]> expected = Fixtures.imageEmbeds(dir, Preprocess.OPENAI);
        assertEquals(9, expected.size());
        Map<String, String> errors = new TreeMap<>();
        for (Row r : rows) {
            String name = Fixtures.name(r);
            if (expected.containsKey(name)) {
                assertNull(r.getAs("error"), name);
                assertArrayEquals(expected.get(name), Fixtures.floats(r, "image_embeds"), name);
            } else {
                assertNull(Fixtures.floats(r, "image_embeds"), name);
                String error = r.getAs("error");
                assertNotNull(error, name);
                assertTrue(error.startsWith(r.getString(0) + ": "), "names the file: " + error);
                assertTrue(!error.contains("\n"), "one line: " + error);
                errors.put(name, error);
            }
        }
        assertEquals(List.of("bad-text.png", "bad-truncated.jpg"), List.copyOf(errors.keySet()));
        assertTrue(errors.get("bad-text.png").contains("not an image"), errors.toString());
        assertTrue(errors.get("bad-truncated.jpg").contains("truncated"), errors.toString());
    }

    @Test
    void hfPreprocessingAndNormalisation() throws IOException {
        ClipImageEmbedder e = new ClipImageEmbedder()
                .setModel("file:" + Fixtures.clip())
                .setVisionHeads(4)
                .setBatchSize(5)
                .setPreprocess("hf")
                .setNormalize(true)
                .setOutputCol("v")
                .setErrorCol("why");
        Map<String, float[]> expected = Fixtures.imageEmbeds(dir, Preprocess.HF);
        int checked = 0;
        for (Row r : run(e)) {
            float[] lib = expected.get(Fixtures.name(r));
            if (lib == null) {
                assertNotNull(r.getAs("why"));
                continue;
            }
            double norm = 0;
            for (float v : lib) norm += (double) v * v;
            norm = Math.sqrt(norm);
            float[] unit = new float[lib.length];
            for (int i = 0; i < lib.length; i++) unit[i] = (float) (lib[i] / norm);
            assertArrayEquals(unit, Fixtures.floats(r, "v"), Fixtures.name(r));
            checked++;
        }
        assertEquals(9, checked);
    }
}
