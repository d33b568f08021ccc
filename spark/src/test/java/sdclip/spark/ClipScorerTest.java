package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.ClipScore;
import sdclip.model.EncodeRequest;
import sdclip.model.HostTensor;
import sdclip.model.ImageEncoder;
import sdclip.model.ImageOutput;
import sdclip.model.ImageRequest;
import sdclip.model.TextEncoder;

/**
 * {@link ClipScorer} on local[2] against what {@code sdclip score} computes (ScoreCommand: the
 * text tower's pooled-only {@code text_embeds}, the CLIP model's image embeddings,
 * {@link ClipScore#cosine}): with the CLIP model's own text tower and, per model, with an SD 1.5
 * checkpoint's text tower through the CLIP projection ({@code --text-model}). Cosines and scores
 * equal bit for bit; bad images (corrupt, truncated, empty bytes, null) and null captions are
 * error rows, a row with both problems says both.
 */
class ClipScorerTest {
    @TempDir
    static Path dir;

    static List<Path> files;
    static List<String> captions = new ArrayList<>();
    static Dataset<Row> pairs;

    @BeforeAll
    static void setUp() throws IOException {
        Fixtures.images(dir);
        List<Row> rows = new ArrayList<>();
        try (var s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        for (int i = 0; i < files.size(); i++) {
            String caption = "a photo number " + i + " of "
                    + files.get(i).getFileName().toString().replaceAll("[._-]", " ");
            captions.add(caption);
            rows.add(RowFactory.create(i, files.get(i).toString(), Files.readAllBytes(files.get(i)), caption));
        }
        byte[] cat = Files.readAllBytes(dir.resolve("chelsea.png"));
        rows.add(RowFactory.create(100, "null-image", null, "a cat"));
        rows.add(RowFactory.create(101, "null-text", cat, null));
        rows.add(RowFactory.create(102, "both-bad", new byte[] {1, 2, 3}, null));
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("path", DataTypes.StringType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        pairs = SparkTests.local2().createDataFrame(rows, schema).repartition(4);
    }

    /** Cosines of the good files with their captions, by id, as ScoreCommand computes them. */
    private static Map<Integer, Double> library(String textModel) throws IOException {
        List<Integer> ids = new ArrayList<>();
        List<Path> good = Fixtures.good(dir);
        for (int i = 0; i < files.size(); i++) if (good.contains(files.get(i))) ids.add(i);
        HostTensor images, texts;
        try (ImageEncoder enc = ImageEncoder.open(
                Path.of(Fixtures.clip()),
                ImageEncoder.Options.defaults().withVisionHeads(4).withThreads(2))) {
            images = enc.encode(good, ImageRequest.of(ImageOutput.IMAGE_EMBEDS)).imageEmbeds();
        }
        TextEncoder.Options o = TextEncoder.Options.defaults()
                .withHeads(4)
                .withThreads(2)
                .withTokenizer(Path.of(Fixtures.vocabulary()))
                .withProjection(textModel != null ? Path.of(Fixtures.clip()) : null);
        try (TextEncoder enc = TextEncoder.open(Path.of(textModel != null ? textModel : Fixtures.clip()), o)) {
            texts = enc.encode(
                            ids.stream().map(captions::get).toList(),
                            EncodeRequest.pooledOnly().encoder(0))
                    .get("text_embeds");
        }
        Map<Integer, Double> out = new TreeMap<>();
        for (int k = 0; k < ids.size(); k++) out.put(ids.get(k), ClipScore.cosine(texts, k, images, k));
        return out;
    }

    private static void check(ClipScorer scorer, Map<Integer, Double> expected) {
        List<Row> rows = Fixtures.sorted(scorer.transform(pairs).collectAsList(), "id");
        assertEquals(files.size() + 3, rows.size());
        Map<String, String> errors = new TreeMap<>();
        int good = 0;
        for (Row r : rows) {
            int id = r.getInt(0);
            Double cos = r.isNullAt(r.fieldIndex("clip_cosine")) ? null : r.getDouble(r.fieldIndex("clip_cosine"));
            if (expected.containsKey(id)) {
                assertNull(r.getAs("error"), r.getString(1));
                assertEquals(expected.get(id), cos, r.getString(1));
                assertEquals(Math.max(100 * expected.get(id), 0), r.getDouble(r.fieldIndex("clip_score")));
                good++;
            } else {
                assertNull(cos);
                assertTrue(r.isNullAt(r.fieldIndex("clip_score")));
                assertNotNull(r.getAs("error"), r.getString(1));
                errors.put(Path.of(r.getString(1)).getFileName().toString(), r.getAs("error"));
            }
        }
        assertEquals(9, good);
        assertEquals(
                List.of("bad-empty.png", "bad-text.png", "bad-truncated.jpg", "both-bad", "null-image", "null-text"),
                List.copyOf(errors.keySet()));
        assertTrue(errors.get("bad-empty.png").endsWith("bad-empty.png: is empty (0 bytes)"), errors.toString());
        assertEquals("null-image: no image (null)", errors.get("null-image"));
        assertEquals("text: no text (null)", errors.get("null-text"));
        assertTrue(
                errors.get("both-bad").startsWith("both-bad: is not an image")
                        && errors.get("both-bad").endsWith("; text: no text (null)"),
                errors.get("both-bad"));
    }

    @Test
    void scoresWithTheClipModelsOwnTextTower() throws IOException {
        check(
                new ClipScorer()
                        .setModel(Fixtures.clip())
                        .setTokenizer(Fixtures.vocabulary())
                        .setHeads(4)
                        .setVisionHeads(4)
                        .setBatchSize(3),
                library(null));
    }

    @Test
    void perModelScoresAsScoreTextModel() throws IOException {
        Map<Integer, Double> perModel = library(Fixtures.sd15());
        check(
                new ClipScorer()
                        .setModel(Fixtures.clip())
                        .setTextModel(Fixtures.sd15())
                        .setTokenizer(Fixtures.vocabulary())
                        .setHeads(4)
                        .setVisionHeads(4)
                        .setBatchSize(5),
                perModel);
        assertTrue(
                !perModel.equals(library(null)),
                "the SD 1.5 tower (F16) gives other cosines than the CLIP model's own (F32)");
    }

    @Test
    void columnNamesChange() {
        ClipScorer s = new ClipScorer()
                .setModel(Fixtures.clip())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setVisionHeads(4)
                .setImageCol("content")
                .setTextCol("text")
                .setCosineCol("cos")
                .setScoreCol("score")
                .setErrorCol("problem");
        StructType out = s.transformSchema(pairs.schema());
        assertEquals(List.of("id", "path", "content", "text", "cos", "score", "problem"), List.of(out.fieldNames()));
        assertEquals(DataTypes.DoubleType, out.apply("score").dataType());
        // Refused on the driver, before any task: an output column that exists, an input of the wrong type, no model, a
        // URI whose scheme has no Hadoop filesystem here (s3a: needs hadoop-aws, which the tests do not have).
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> s.setCosineCol("id").transformSchema(pairs.schema()))
                .getMessage()
                .contains("output column id already exists"));
        s.setCosineCol("cos");
        assertTrue(assertThrows(
                        IllegalArgumentException.class, () -> s.setTextCol("id").transformSchema(pairs.schema()))
                .getMessage()
                .contains("text column id is int, not string"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClipScorer().transformSchema(pairs.schema()))
                .getMessage()
                .contains("no model"));
        assertTrue(assertThrows(
                        IllegalArgumentException.class,
                        () -> new ClipScorer()
                                .setModel("s3a://b/clip.safetensors")
                                .transform(pairs))
                .getMessage()
                .contains("no Hadoop filesystem for s3a: on this class path"));
    }
}
