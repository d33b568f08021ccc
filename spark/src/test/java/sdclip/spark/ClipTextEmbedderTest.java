package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sdclip.model.EncodeRequest;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.prompt.PromptSyntax;

/**
 * {@link ClipTextEmbedder} on local[2]: each text's output equals the library's for that text
 * (plain text embeddings; A1111 conditioning with clip skip, several chunks long; ComfyUI pooled
 * outputs, normalised), in batches of 4 across 3 partitions; a null text and a prompt the syntax
 * refuses are error rows, and the batch they were in still gets its results.
 */
class ClipTextEmbedderTest {
    static final List<String> PROMPTS = Arrays.asList(
            "a photo of a cat",
            "a photo of an astronaut riding a horse",
            "",
            null,
            "(masterpiece:1.2), a (red:0.8) car BREAK on a road",
            "word ".repeat(160).strip(),
            "a (cat:1.2.3)",
            "[blue] sky, ((clouds))",
            "\u00e9moji \ud83d\ude80 and \u00fcn\u00efcode",
            "the end");
    static final int BAD_WEIGHT = 6, NULL = 3;
    static Dataset<Row> texts;

    @BeforeAll
    static void setUp() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) rows.add(RowFactory.create(i, PROMPTS.get(i)));
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("text", DataTypes.StringType);
        texts = SparkTests.local2().createDataFrame(rows, schema).repartition(3);
    }

    private static List<Row> run(ClipTextEmbedder e) {
        return Fixtures.sorted(e.transform(texts).collectAsList(), "id");
    }

    private static TextEncoder library(String model) throws IOException {
        return TextEncoder.open(
                Path.of(model),
                TextEncoder.Options.defaults()
                        .withHeads(4)
                        .withThreads(2)
                        .withTokenizer(Path.of(Fixtures.vocabulary())));
    }

    private static void nullTextIsAnError(Row r) {
        assertNull(r.get(2));
        assertEquals("text: no text (null)", r.getAs("error"));
    }

    @Test
    void plainTextEmbeddings() throws IOException {
        ClipTextEmbedder e = new ClipTextEmbedder()
                .setModel(Fixtures.clip())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setBatchSize(4);
        List<Row> rows = run(e);
        assertEquals(PROMPTS.size(), rows.size());
        try (TextEncoder enc = library(Fixtures.clip())) {
            List<String> present = PROMPTS.stream().filter(p -> p != null).toList();
            float[] all = enc.encode(present, EncodeRequest.of(TextOutput.TEXT_EMBEDS))
                    .textEmbeds()
                    .floats();
            int p = all.length / present.size();
            for (Row r : rows) {
                int id = r.getInt(0);
                if (id == NULL) {
                    nullTextIsAnError(r);
                    continue;
                }
                assertNull(r.getAs("error"), PROMPTS.get(id));
                assertArrayEquals(
                        Fixtures.slice(all, present.indexOf(PROMPTS.get(id)), p),
                        Fixtures.floats(r, "text_embeds"),
                        PROMPTS.get(id));
            }
        }
    }

    @Test
    void a1111ConditioningWithClipSkip() throws IOException {
        ClipTextEmbedder e = new ClipTextEmbedder()
                .setModel(Fixtures.sd15())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setBatchSize(4)
                .setOutput("conditioning")
                .setSyntax("a1111")
                .setClipSkip(2);
        Dataset<Row> out = e.transform(texts);
        Metadata meta = out.schema().apply("conditioning").metadata();
        assertEquals(64, meta.getLong("width"));
        assertEquals(77, meta.getLong("tokens_per_chunk"));
        EncodeRequest request = EncodeRequest.of(TextOutput.CONDITIONING)
                .clipSkip(2)
                .prompts(PromptOptions.plain().withSyntax(PromptSyntax.A1111));
        int longest = 0;
        try (TextEncoder enc = library(Fixtures.sd15())) {
            for (Row r : Fixtures.sorted(out.collectAsList(), "id")) {
                int id = r.getInt(0);
                if (id == NULL) {
                    nullTextIsAnError(r);
                } else if (id == BAD_WEIGHT) {
                    assertNull(r.get(2));
                    String error = r.getAs("error");
                    assertTrue(error.startsWith("text: ") && error.contains("'1.2.3' is not a number"), error);
                } else {
                    assertNull(r.getAs("error"), PROMPTS.get(id));
                    float[] alone = enc.encode(List.of(PROMPTS.get(id)), request)
                            .conditioning()
                            .floats();
                    float[] ours = Fixtures.floats(r, "conditioning");
                    assertArrayEquals(alone, ours, PROMPTS.get(id));
                    longest = Math.max(longest, ours.length / (77 * 64));
                }
            }
        }
        assertEquals(3, longest, "the 160-word prompt takes three chunks");
    }

    @Test
    void comfyPooledOutputNormalised() throws IOException {
        ClipTextEmbedder e = new ClipTextEmbedder()
                .setModel(Fixtures.clip())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setBatchSize(4)
                .setOutput("pooled_output")
                .setSyntax("comfy")
                .setNormalize(true)
                .setInputCol("text")
                .setOutputCol("pooled");
        EncodeRequest request = EncodeRequest.of(TextOutput.POOLED_OUTPUT)
                .prompts(PromptOptions.plain().withSyntax(PromptSyntax.COMFY));
        try (TextEncoder enc = library(Fixtures.clip())) {
            for (Row r : run(e)) {
                int id = r.getInt(0);
                if (id == NULL) {
                    nullTextIsAnError(r);
                    continue;
                }
                if (r.getAs("error") != null) {
                    assertEquals(BAD_WEIGHT, id, (String) r.getAs("error")); // comfy's weights are read as A1111's
                    continue;
                }
                float[] v = enc.encode(List.of(PROMPTS.get(id)), request)
                        .pooledOutput()
                        .floats();
                double norm = 0;
                for (float x : v) norm += (double) x * x;
                norm = Math.sqrt(norm);
                for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / norm);
                assertArrayEquals(v, Fixtures.floats(r, "pooled"), PROMPTS.get(id));
            }
        }
    }
}
