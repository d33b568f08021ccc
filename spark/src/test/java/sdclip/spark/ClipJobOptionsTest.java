package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** ClipJob's command line, brace ranges, and the top fraction's count and order, without Spark. */
class ClipJobOptionsTest {
    static JobOptions parse(String... args) throws JobOptions.UsageException {
        return JobOptions.parse(args);
    }

    static String usage(String... args) {
        return assertThrows(JobOptions.UsageException.class, () -> JobOptions.parse(args))
                .getMessage();
    }

    @Test
    void defaultsAndFormats() throws Exception {
        JobOptions o = parse("score", "--model", "m", "--input", "a", "--input", "b", "--output", "o");
        assertEquals(JobOptions.Work.SCORE, o.work());
        String here = Path.of("").toAbsolutePath().toString();
        assertEquals(List.of(here + "/a", here + "/b"), o.inputs(), "local inputs are made absolute");
        assertEquals("parquet", o.format());
        assertFalse(o.f16());
        assertFalse(o.normalize());
        assertEquals(16, o.batchSize());
        assertEquals(1000, o.shardSize());
        assertFalse(o.imageEmbeds() || o.textEmbeds(), "score to parquet keeps no embeddings unless asked");
        JobOptions cr = parse("score", "--model=m", "--input=a", "--output=o", "--format", "clip-retrieval");
        assertTrue(cr.f16() && cr.normalize() && cr.imageEmbeds() && cr.textEmbeds());
        assertFalse(parse(
                        "embed-images",
                        "--model",
                        "m",
                        "--input",
                        "a",
                        "--output",
                        "o",
                        "--format",
                        "clip-retrieval",
                        "--dtype",
                        "f32")
                .f16());
        assertNull(parse("score", "--help"));
    }

    @Test
    void usageErrorsAreOneLine() {
        assertEquals("no work: score, embed-images or embed-texts", usage("--model", "m"));
        assertEquals("unknown work scores; use score, embed-images or embed-texts", usage("scores"));
        assertEquals("no --input", usage("score", "--model", "m", "--output", "o"));
        assertEquals("no --model", usage("score", "--input", "i", "--output", "o"));
        assertEquals(
                "--shard-size 0: must be at least 1",
                usage("score", "--model", "m", "--input", "i", "--output", "o", "--shard-size", "0"));
        assertEquals(
                "--min-cosine and --top-fraction filter scores: they need score",
                usage("embed-images", "--model", "m", "--input", "i", "--output", "o", "--min-cosine", "0.28"));
        assertEquals(
                "--format tsv: use parquet, clip-retrieval",
                usage("score", "--model", "m", "--input", "i", "--output", "o", "--format", "tsv"));
        assertEquals(
                "give --image-col or --path-col, not both",
                usage("score", "--model", "m", "--input", "i", "--output", "o", "--image-col", "a", "--path-col", "b"));
        assertEquals(
                "--image-col is for parquet input, not folder",
                usage(
                        "score",
                        "--model",
                        "m",
                        "--input",
                        "i",
                        "--output",
                        "o",
                        "--input-format",
                        "folder",
                        "--image-col",
                        "a"));
        assertEquals("--model is given twice", usage("score", "--model", "m", "--model", "n"));
        assertEquals(
                "--heads 4,x: not N or N,N",
                usage("score", "--model", "m", "--input", "i", "--output", "o", "--heads", "4,x"));
    }

    @Test
    void braceRangesExpandZeroPadded() throws Exception {
        assertEquals(
                List.of("s/00008.tar", "s/00009.tar", "s/00010.tar"), JobInputs.expandBraces("s/{00008..00010}.tar"));
        assertEquals(List.of("a0-1", "a0-2", "a1-1", "a1-2"), JobInputs.expandBraces("a{0..1}-{1..2}"));
        assertEquals(List.of("s/{a,b}.tar"), JobInputs.expandBraces("s/{a,b}.tar"), "left for Hadoop's glob");
        assertEquals(
                "s/{3..1}.tar: the range {3..1} goes down",
                assertThrows(JobInputs.InputException.class, () -> JobInputs.expandBraces("s/{3..1}.tar"))
                        .getMessage());
        assertTrue(assertThrows(JobInputs.InputException.class, () -> JobInputs.expandBraces("{0..9999}{0..9999}"))
                .getMessage()
                .endsWith("its ranges give over 10000000 names"));
    }

    @Test
    void theTopFractionCountsInDecimalAndOrdersKeysAsSpark() {
        assertEquals(3, TopFraction.kept(0.3, 10), "0.3 * 10 is 3.0000000000000004 in doubles");
        assertEquals(3, TopFraction.kept(0.3, 7));
        assertEquals(5, TopFraction.kept(1.0, 5));
        assertEquals(0, TopFraction.kept(0.5, 0));
        // The last kept row: cosine 0.25, key "\uFFFD", part 2, row 5.
        TopFraction.Threshold t = new TopFraction.Threshold(0.25, "\uFFFD", 2, 5, 3, 10);
        assertTrue(t.keeps(row("zzz", 0.26, 0), 9));
        assertFalse(t.keeps(row("a", 0.24, 0), 0));
        // Spark orders strings by their UTF-8 bytes: U+1F600 (F0 9F ..) after U+FFFD (EF BF BD), though its
        // UTF-16 (D83D ..) sorts before.
        assertFalse(t.keeps(row("\uD83D\uDE00", 0.25, 0), 0));
        assertTrue(t.keeps(row("z", 0.25, 0), 9));
        assertTrue(t.keeps(row("\uFFFD", 0.25, 5), 2));
        assertFalse(t.keeps(row("\uFFFD", 0.25, 6), 2));
        assertTrue(t.keeps(row("\uFFFD", 0.25, 99), 1));
        assertFalse(t.keeps(row("a", null, 0), 0), "no cosine, not kept");
    }

    static JobRow row(String key, Double cos, long row) {
        return new JobRow(key, null, null, cos, cos == null ? null : 100 * cos, null, null, null, row);
    }

    @Test
    void localPathsBecomeAbsoluteAndIdsAndUrisStay() throws Exception {
        String here = Path.of("").toAbsolutePath().toString();
        assertEquals(here + "/pom.xml", JobOptions.absolute("pom.xml", false), "an existing file");
        assertEquals(here + "/out", JobOptions.absolute("./x/../out", true), "an output, existing or not");
        assertEquals("openai/clip-vit-large-patch14", JobOptions.absolute("openai/clip-vit-large-patch14", false));
        assertEquals("hdfs://nn/models/clip", JobOptions.absolute("hdfs://nn/models/clip", true));
        assertEquals("file:/m.safetensors", JobOptions.absolute("file:/m.safetensors", true));
        JobOptions o = JobOptions.parse(new String[] {
            "score", "--model", "pom.xml", "--input", "images", "--output", "out", "--text-model", "sd15-name"
        });
        assertEquals(here + "/pom.xml", o.model());
        assertEquals(List.of(here + "/images"), o.inputs());
        assertEquals(here + "/out", o.output());
        assertEquals("sd15-name", o.textModel());
    }
}
