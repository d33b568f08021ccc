package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model is opened once per JVM, however many partitions and tasks use it: 8 partitions on
 * local[2] (two tasks at a time, racing for the first open), each batch asking the cache. The
 * models are copies at paths no other test uses, so the counts are this test's alone.
 */
class ModelCacheTest {
    @TempDir
    Path dir;

    private static int opens(Path model) throws IOException {
        String real = model.toRealPath().toString();
        int n = 0;
        for (Object key : ModelCache.keys()) {
            boolean ours = key instanceof ModelSpec.ImageKey k
                            && k.model().path().equals(real)
                    || key instanceof ModelSpec.TextKey t && t.tower().path().equals(real);
            if (ours) n += ModelCache.opens(key);
        }
        return n;
    }

    @Test
    void eachModelIsOpenedOncePerJvmAcrossPartitions() throws IOException {
        Path clip =
                Files.copy(Fixtures.ref("models/tiny-clip.safetensors"), dir.resolve("cache-probe-clip.safetensors"));
        Path sd15 =
                Files.copy(Fixtures.ref("models/tiny-sd15.safetensors"), dir.resolve("cache-probe-sd15.safetensors"));
        byte[] image = Files.readAllBytes(Fixtures.ref("images/gray_100x60.png"));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 64; i++) rows.add(RowFactory.create(i, image, "caption " + i));
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        Dataset<Row> pairs = SparkTests.local2().createDataFrame(rows, schema).repartition(8);
        assertEquals(8, pairs.rdd().getNumPartitions());

        ClipScorer scorer = new ClipScorer()
                .setModel(clip.toString())
                .setTextModel(sd15.toString())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setVisionHeads(4)
                .setBatchSize(4);
        assertEquals(64, scorer.transform(pairs).filter("error is null").count());
        assertEquals(1, opens(clip), "the vision tower, once");
        assertEquals(1, opens(sd15), "the text tower, once");

        // Again, and through another transformer with the same model and options: still the one.
        assertEquals(
                64, scorer.transform(pairs).filter("clip_score is not null").count());
        new ClipImageEmbedder()
                .setModel(clip.toString())
                .setVisionHeads(4)
                .transform(pairs)
                .count();
        assertEquals(1, opens(clip));
        assertEquals(1, opens(sd15));
    }
}
