package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ML persistence: each transformer saved and loaded alone keeps its uid, every param set (and
 * leaves unset ones unset), and gives the same output; so does a Pipeline of the three, saved
 * unfitted and fitted. ServiceLoader finds the three through META-INF/services.
 */
class PersistenceTest {
    @TempDir
    static Path dir;

    static Dataset<Row> pairs;

    @BeforeAll
    static void setUp() throws IOException {
        byte[] cat = Files.readAllBytes(Fixtures.ref("images/chelsea.png")), bad = {1, 2, 3};
        List<Row> rows = List.of(
                RowFactory.create(0, cat, "a cat"),
                RowFactory.create(1, bad, "(noise:1.2.3)"),
                RowFactory.create(2, cat, null));
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        pairs = SparkTests.local2().createDataFrame(rows, schema).repartition(2);
    }

    /** The output without the image bytes (a byte[] prints as its identity), by id. */
    private static List<Row> sorted(Dataset<Row> out) {
        return Fixtures.sorted(out.drop("content").collectAsList(), "id");
    }

    private static String saved(String name) {
        return dir.resolve(name).toString();
    }

    /** Every param of {@code a} has the same value in {@code b} (compared as saved: JSON), and is set in both or neither. */
    private static void sameParams(Params a, Params b) {
        assertEquals(a.params().length, b.params().length);
        for (Param<?> p : a.params()) {
            Param<?> q = b.getParam(p.name());
            assertEquals(a.isSet(p), b.isSet(q), p.name());
            assertEquals(json(a, p), json(b, q), p.name());
        }
    }

    @SuppressWarnings("unchecked") // a param's value is of its own type
    private static String json(Params s, Param<?> p) {
        return s.isDefined(p) ? ((Param<Object>) p).jsonEncode(s.getOrDefault(p)) : "undefined";
    }

    @Test
    void imageEmbedderRoundTrip() throws IOException {
        ClipImageEmbedder e = new ClipImageEmbedder()
                .setModel(Fixtures.clip())
                .setVisionHeads(4)
                .setBatchSize(2)
                .setThreads(1)
                .setInputCol("content")
                .setOutputCol("emb")
                .setNormalize(true)
                .setPreprocess("hf")
                .setErrorCol("err");
        e.save(saved("image"));
        ClipImageEmbedder back = ClipImageEmbedder.load(saved("image"));
        assertEquals(e.uid(), back.uid());
        assertEquals(
                List.of(Fixtures.clip(), 4, 2, 1, "content", "emb", true, "hf", "err"),
                List.of(
                        back.getModel(),
                        back.getVisionHeads(),
                        back.getBatchSize(),
                        back.getThreads(),
                        back.getInputCol(),
                        back.getOutputCol(),
                        back.getNormalize(),
                        back.getPreprocess(),
                        back.getErrorCol()));
        assertFalse(back.isSet(back.tokenizer()) || back.isSet(back.heads()));
        sameParams(e, back);
        assertEquals(
                sorted(e.transform(pairs)).toString(),
                sorted(back.transform(pairs)).toString());
        assertEquals(e.explainParams(), e.copy(ParamMap.empty()).explainParams());
    }

    @Test
    void textEmbedderRoundTrip() throws IOException {
        ClipTextEmbedder e = new ClipTextEmbedder()
                .setModel(Fixtures.sd15())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(new int[] {4})
                .setOutput("conditioning")
                .setSyntax("a1111")
                .setClipSkip(2)
                .setBatchSize(3);
        e.save(saved("text"));
        ClipTextEmbedder back = ClipTextEmbedder.load(saved("text"));
        assertEquals(e.uid(), back.uid());
        assertArrayEquals(new int[] {4}, back.getHeads());
        assertEquals(
                List.of("conditioning", "a1111", 2, "conditioning"),
                List.of(back.getOutput(), back.getSyntax(), back.getClipSkip(), back.getOutputCol()));
        assertFalse(back.isSet(back.outputCol()) || back.isSet(back.embeddings()));
        assertNull(back.getEmbeddings());
        sameParams(e, back);
        assertEquals(
                sorted(e.transform(pairs)).toString(),
                sorted(back.transform(pairs)).toString());
    }

    @Test
    void scorerRoundTrip() throws IOException {
        ClipScorer s = new ClipScorer()
                .setModel(Fixtures.clip())
                .setTextModel(Fixtures.sd15())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setVisionHeads(4)
                .setCosineCol("cos")
                .setScoreCol("score");
        s.save(saved("scorer"));
        ClipScorer back = ClipScorer.load(saved("scorer"));
        assertEquals(
                List.of(s.uid(), Fixtures.sd15(), "cos", "score", "content", "text"),
                List.of(
                        back.uid(),
                        back.getTextModel(),
                        back.getCosineCol(),
                        back.getScoreCol(),
                        back.getImageCol(),
                        back.getTextCol()));
        sameParams(s, back);
        assertEquals(
                sorted(s.transform(pairs)).toString(),
                sorted(back.transform(pairs)).toString());
    }

    @Test
    void aPipelineOfTheThreeRoundTrips() throws IOException {
        Pipeline p = new Pipeline().setStages(new PipelineStage[] {
            new ClipImageEmbedder().setModel(Fixtures.clip()).setVisionHeads(4),
            new ClipTextEmbedder()
                    .setModel(Fixtures.clip())
                    .setTokenizer(Fixtures.vocabulary())
                    .setHeads(4)
                    .setSyntax("a1111"),
            new ClipScorer()
                    .setModel(Fixtures.clip())
                    .setTokenizer(Fixtures.vocabulary())
                    .setHeads(4)
                    .setVisionHeads(4)
        });
        p.save(saved("pipeline"));
        Pipeline loaded = Pipeline.load(saved("pipeline"));
        assertEquals(
                List.of(ClipImageEmbedder.class, ClipTextEmbedder.class, ClipScorer.class),
                Arrays.stream(loaded.getStages()).map(Object::getClass).toList());
        PipelineModel fitted = p.fit(pairs);
        fitted.save(saved("fitted"));
        PipelineModel back = PipelineModel.load(saved("fitted"));
        List<Row> before = sorted(fitted.transform(pairs)),
                after = sorted(back.transform(pairs)),
                viaLoaded = sorted(loaded.fit(pairs).transform(pairs));
        assertEquals(before.toString(), after.toString());
        assertEquals(before.toString(), viaLoaded.toString());
        Row cat = before.get(0), bad = before.get(1), noText = before.get(2);
        assertEquals(
                List.of("id", "text", "image_embeds", "error", "text_embeds", "clip_cosine", "clip_score"),
                List.of(cat.schema().fieldNames()));
        assertNull(cat.getAs("error"));
        String errors = bad.getAs("error");
        // One error column through the three stages: the image's, then the text's (a1111 weight), then the scorer's
        // image error.
        assertTrue(
                errors.startsWith("content: is not an image")
                        && errors.contains("; text: prompt 1 (\"(noise:1.2.3)\"): weight '1.2.3' is not a number")
                        && errors.endsWith("; content: is not an image (no PNG, JPEG, BMP, GIF or WebP signature)"),
                errors);
        assertEquals("text: no text (null); text: no text (null)", noText.getAs("error"));
    }

    @Test
    void serviceLoaderFindsEveryTransformer() {
        Set<Class<?>> found = ServiceLoader.load(Transformer.class).stream()
                .map(ServiceLoader.Provider::type)
                .collect(Collectors.toSet());
        for (Class<?> c : List.of(ClipImageEmbedder.class, ClipTextEmbedder.class, ClipScorer.class))
            assertTrue(found.contains(c), c.getName());
        for (ServiceLoader.Provider<Transformer> provider :
                ServiceLoader.load(Transformer.class).stream().toList()) {
            if (provider.type().getPackageName().equals("sdclip.spark"))
                assertInstanceOf(ClipTransformer.class, provider.get());
        }
    }
}
