package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ClipJob} on local[2] over one small dataset in each input layout (a folder with sidecar
 * captions, two webdataset shards, parquet with image bytes and with image paths): the values it
 * writes equal the transformers' on the same bytes and captions, bit for bit; bad files are
 * error rows; the filters keep the rows they should; both output layouts and F16 read back; the
 * summary adds up; a rerun finishes only missing parts.
 */
class ClipJobTest {
    @TempDir
    static Path dir;

    static Path images;
    /** key -> caption (null: coffee has no caption file) */
    static final Map<String, String> captions = new TreeMap<>();
    /** key -> file */
    static final Map<String, Path> files = new TreeMap<>();
    /** key -> [cosine, image embeds, text embeds] from the transformers; bad images absent */
    static final Map<String, Object[]> expected = new TreeMap<>();

    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void setUp() throws IOException {
        images = Fixtures.images(Files.createDirectories(dir.resolve("images")));
        try (Stream<Path> s = Files.list(images)) {
            for (Path p : s.sorted().toList()) {
                String name = p.getFileName().toString();
                String key = name.substring(0, name.lastIndexOf('.'));
                files.put(key, p);
                String caption = key.equals("coffee") ? null : "a photo of " + key.replace('_', ' ');
                captions.put(key, caption);
                if (caption != null) Files.writeString(images.resolve(key + ".txt"), caption + "\n");
            }
        }
        assertEquals(12, files.size());
        // What the transformers give for the same bytes and captions.
        List<Row> rows = new ArrayList<>();
        for (var e : files.entrySet())
            rows.add(RowFactory.create(
                    e.getKey(), e.getValue().toString(), Files.readAllBytes(e.getValue()), captions.get(e.getKey())));
        StructType schema = new StructType()
                .add("key", DataTypes.StringType)
                .add("path", DataTypes.StringType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        Dataset<Row> pairs = SparkTests.local2().createDataFrame(rows, schema);
        Dataset<Row> scored = setModel(new ClipScorer()).transform(pairs).drop("error");
        scored = setModel(new ClipImageEmbedder()).transform(scored).drop("error");
        scored = setModel(new ClipTextEmbedder()).transform(scored);
        for (Row r : scored.collectAsList()) {
            Double cos = r.isNullAt(r.fieldIndex("clip_cosine")) ? null : r.getDouble(r.fieldIndex("clip_cosine"));
            expected.put(
                    r.getString(0),
                    new Object[] {cos, Fixtures.floats(r, "image_embeds"), Fixtures.floats(r, "text_embeds")});
        }
        assertNotNull(expected.get("chelsea")[0]);
        assertNull(expected.get("coffee")[0], "no caption, no score");
        assertNotNull(expected.get("cmyk")[1], "a CMYK JPEG decodes");
        assertNull(expected.get("bad-truncated")[1]);
    }

    static <T extends ClipTransformer<T>> T setModel(T t) {
        return t.setModel(Fixtures.clip())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4)
                .setVisionHeads(4)
                .setBatchSize(4);
    }

    /** The model options of every run. */
    static List<String> model() {
        return List.of(
                "--model",
                Fixtures.clip(),
                "--tokenizer",
                Fixtures.vocabulary(),
                "--heads",
                "4",
                "--vision-heads",
                "4");
    }

    /** Runs ClipJob in this JVM on the tests' session; returns [exit status, stdout, stderr]. */
    static Object[] job(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(model());
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = ClipJob.run(
                all.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                SparkTests.local2());
        return new Object[] {status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    static String ok(String... args) {
        Object[] r = job(args);
        assertEquals(0, r[0], () -> "stdout: " + r[1] + "\nstderr: " + r[2]);
        return (String) r[1];
    }

    /** Parquet output rows by key. */
    static Map<String, Row> rows(Path out) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : SparkTests.local2().read().parquet(out.toString()).collectAsList())
            assertNull(m.put(r.getString(r.fieldIndex("key")), r), "key twice: " + r);
        return m;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> summary(Path out) throws IOException {
        return JSON.readValue(out.resolve("_summary.json").toFile(), Map.class);
    }

    /** Checks a score run's rows against the transformers'. */
    static void checkScores(Map<String, Row> rows, boolean embeddings) {
        assertEquals(expected.keySet(), rows.keySet());
        for (var e : expected.entrySet()) {
            Row r = rows.get(e.getKey());
            Double cos = (Double) e.getValue()[0];
            if (cos == null) {
                assertNotNull(r.getAs("error"), e.getKey());
                assertTrue(r.isNullAt(r.fieldIndex("clip_cosine")));
                continue;
            }
            assertNull(r.getAs("error"), e.getKey());
            assertEquals(cos, r.getDouble(r.fieldIndex("clip_cosine")), e.getKey());
            assertEquals(Math.max(100 * cos, 0), r.getDouble(r.fieldIndex("clip_score")));
            assertEquals(captions.get(e.getKey()), r.getAs("caption"));
            if (embeddings) {
                assertArrayEquals((float[]) e.getValue()[1], Fixtures.floats(r, "image_embeds"), e.getKey());
                assertArrayEquals((float[]) e.getValue()[2], Fixtures.floats(r, "text_embeds"), e.getKey());
            }
        }
    }

    @Test
    void aFolderIsScoredAsTheTransformersScoreIt() throws IOException {
        Path out = dir.resolve("folder-score");
        String printed = ok(
                "score", "--input", images.toString(), "--output", out.toString(), "--shard-size", "5", "--embeddings");
        Map<String, Row> rows = rows(out);
        checkScores(rows, true);
        assertTrue(rows.get("chelsea")
                .getString(rows.get("chelsea").fieldIndex("path"))
                .endsWith("images/chelsea.png"));
        // Three parts of 5, 5 and 2 images, a marker each, no temporaries left.
        for (int i = 0; i < 3; i++) {
            assertTrue(Files.exists(out.resolve("part-0000" + i + ".parquet")));
            assertTrue(Files.exists(out.resolve("_parts/part-0000" + i + ".json")));
        }
        assertFalse(Files.exists(out.resolve("part-00003.parquet")));
        assertFalse(Files.exists(out.resolve("_temporary")));
        assertTrue(Files.exists(out.resolve("_SUCCESS")));

        Map<String, Object> s = summary(out);
        assertEquals(12, s.get("rows"));
        assertEquals(12, s.get("written"));
        assertEquals(4, s.get("errors")); // three bad images and a missing caption
        assertEquals(8, s.get("scored"));
        assertEquals(3, s.get("parts"));
        assertEquals(3, s.get("parts_run"));
        @SuppressWarnings("unchecked")
        Map<String, Integer> reasons = (Map<String, Integer>) s.get("errors_by_reason");
        assertEquals(
                Integer.valueOf(1),
                reasons.get("no caption (no .txt file of the same name beside it)"),
                reasons.toString());
        assertEquals(Integer.valueOf(1), reasons.get("is empty (0 bytes)"), reasons.toString());
        assertEquals(4, reasons.values().stream().mapToInt(Integer::intValue).sum());
        @SuppressWarnings("unchecked")
        Map<String, Integer> histogram = (Map<String, Integer>) s.get("cosine_histogram");
        assertEquals(8, histogram.values().stream().mapToInt(Integer::intValue).sum());
        double mean = expected.values().stream()
                .filter(v -> v[0] != null)
                .mapToDouble(v -> (Double) v[0])
                .sum();
        assertEquals(mean / 8, (Double) s.get("cosine_mean"), 1e-12);
        assertTrue(printed.contains("rows 12, written 12, errors 4"), printed);
        assertTrue(printed.matches("(?s).*\n  \\[[+-]0\\.\\d\\d, [+-]0\\.\\d\\d\\) +\\d+ #+\n.*"), printed);

        // Nothing left to do: a rerun computes no part and writes the same summary.
        String again = ok(
                "score", "--input", images.toString(), "--output", out.toString(), "--shard-size", "5", "--embeddings");
        assertTrue(again.contains("3 parts, 0 computed by this run"), again);
        Map<String, Object> s2 = summary(out);
        s2.put("parts_run", 3);
        assertEquals(s, s2);
    }

    @Test
    void perModelScoresAsTheScorerWithATextModel() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (var e : files.entrySet())
            rows.add(RowFactory.create(e.getKey(), Files.readAllBytes(e.getValue()), captions.get(e.getKey())));
        Dataset<Row> pairs = SparkTests.local2()
                .createDataFrame(
                        rows,
                        new StructType()
                                .add("key", DataTypes.StringType)
                                .add("content", DataTypes.BinaryType)
                                .add("text", DataTypes.StringType));
        Map<String, Row> want = new TreeMap<>();
        for (Row r : setModel(new ClipScorer())
                .setTextModel(Fixtures.sd15())
                .transform(pairs)
                .collectAsList()) want.put(r.getString(0), r);
        Path out = dir.resolve("per-model");
        ok("score", "--input", images.toString(), "--output", out.toString(), "--text-model", Fixtures.sd15());
        Map<String, Row> got = rows(out);
        assertEquals(want.keySet(), got.keySet());
        int scored = 0;
        for (String k : want.keySet()) {
            Row w = want.get(k), g = got.get(k);
            assertEquals(w.<Double>getAs("clip_cosine"), g.<Double>getAs("clip_cosine"), k);
            assertEquals(w.<Double>getAs("clip_score"), g.<Double>getAs("clip_score"), k);
            if (w.getAs("clip_cosine") != null) {
                scored++;
                assertFalse(w.getAs("clip_cosine").equals(expected.get(k)[0]), "another text tower, another cosine");
            }
        }
        assertEquals(8, scored);
    }

    @Test
    void webdatasetShardsAreScoredAsTheFolder() throws IOException {
        Path shards = Files.createDirectories(dir.resolve("shards"));
        List<String> keys = new ArrayList<>(files.keySet());
        for (int shard = 0; shard < 2; shard++) {
            try (TarArchiveOutputStream tar =
                    new TarArchiveOutputStream(Files.newOutputStream(shards.resolve("0000" + shard + ".tar")))) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                for (int i = shard * 6; i < shard * 6 + 6; i++) {
                    String key = keys.get(i);
                    String ext = files.get(key).getFileName().toString().replaceAll(".*\\.", "");
                    // webdataset members: image first or caption first, txt in shard 0 and json in shard 1
                    String caption = captions.get(key);
                    if (caption != null && shard == 0) add(tar, key + ".txt", caption.getBytes(StandardCharsets.UTF_8));
                    add(tar, key + "." + ext, Files.readAllBytes(files.get(key)));
                    if (caption != null && shard == 1)
                        add(tar, key + ".json", JSON.writeValueAsBytes(Map.of("caption", caption, "width", 3)));
                    add(tar, key + ".cls", "7".getBytes(StandardCharsets.UTF_8)); // skipped
                }
            }
        }
        // A third shard cut inside its second sample's image: the first sample, then one error row.
        ByteArrayOutputStream cut = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(cut)) {
            add(tar, "x1.txt", "a cat".getBytes(StandardCharsets.UTF_8));
            add(tar, "x1.png", Files.readAllBytes(files.get("chelsea")));
            add(tar, "x2.txt", "a cat again".getBytes(StandardCharsets.UTF_8));
            add(tar, "x2.png", Files.readAllBytes(files.get("chelsea")));
        }
        byte[] whole = cut.toByteArray();
        Files.write(shards.resolve("00002.tar"), java.util.Arrays.copyOf(whole, whole.length - 2048));
        Path out = dir.resolve("tar-score");
        ok("score", "--input", shards + "/{00000..00002}.tar", "--output", out.toString(), "--embeddings");
        Map<String, Row> rows = rows(out);
        Row x1 = rows.remove("x1"), x2 = rows.remove("x2");
        assertArrayEquals((float[]) expected.get("chelsea")[1], Fixtures.floats(x1, "image_embeds"));
        assertNull(x1.getAs("error"));
        assertTrue(((String) x2.getAs("error")).matches(".*00002\\.tar: the tar ends inside an entry.*"), (String)
                x2.getAs("error"));
        checkScores(rows, true);
        // keys in name order, six a shard: chelsea_q90 is the first of shard 1 (json captions)
        assertTrue(rows.get("chelsea_q90")
                .getString(rows.get("chelsea_q90").fieldIndex("path"))
                .endsWith("00001.tar#chelsea_q90.jpg"));
        assertEquals(3, summary(out).get("parts"), "one part per tar");
    }

    static void add(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    @Test
    void parquetWithBytesOrPathsIsScoredAsTheFolder() throws IOException {
        SparkSession spark = SparkTests.local2();
        List<Row> bytes = new ArrayList<>(), paths = new ArrayList<>();
        for (var e : files.entrySet()) {
            bytes.add(RowFactory.create(e.getKey(), Files.readAllBytes(e.getValue()), captions.get(e.getKey())));
            paths.add(
                    RowFactory.create(e.getKey(), "../images/" + e.getValue().getFileName(), captions.get(e.getKey())));
        }
        Path withBytes = dir.resolve("pq-bytes"), withPaths = dir.resolve("pq-paths");
        spark.createDataFrame(
                        bytes,
                        new StructType()
                                .add("key", DataTypes.StringType)
                                .add("jpg", DataTypes.BinaryType)
                                .add("caption", DataTypes.StringType))
                .repartition(2)
                .write()
                .parquet(withBytes.toString());
        spark.createDataFrame(
                        paths,
                        new StructType()
                                .add("uid", DataTypes.StringType)
                                .add("image_file", DataTypes.StringType)
                                .add("text", DataTypes.StringType))
                .coalesce(1)
                .write()
                .parquet(withPaths.toString());

        Path out1 = dir.resolve("pq-bytes-score");
        ok("score", "--input", withBytes.toString(), "--output", out1.toString(), "--embeddings");
        checkScores(rows(out1), true);
        assertEquals(2, summary(out1).get("parts"), "one part per parquet file");

        Path out2 = dir.resolve("pq-paths-score");
        ok("score", "--input", withPaths.toString(), "--output", out2.toString(), "--path-col", "image_file");
        checkScores(rows(out2), false);

        // Files of one job with different columns: the defaults are tried per file.
        List<Row> defaults = new ArrayList<>();
        for (var e : files.entrySet())
            defaults.add(RowFactory.create(
                    "p-" + e.getKey(), "../images/" + e.getValue().getFileName(), captions.get(e.getKey())));
        Path withDefaults = dir.resolve("pq-defaults");
        spark.createDataFrame(
                        defaults,
                        new StructType()
                                .add("uid", DataTypes.StringType)
                                .add("path", DataTypes.StringType)
                                .add("text", DataTypes.StringType))
                .coalesce(1)
                .write()
                .parquet(withDefaults.toString());
        Path out3 = dir.resolve("pq-mixed-score");
        ok("score", "--input", withBytes.toString(), "--input", withDefaults.toString(), "--output", out3.toString());
        Map<String, Row> mixed = rows(out3);
        assertEquals(2 * files.size(), mixed.size(), mixed.keySet().toString());
        for (var e : files.entrySet()) {
            Row a = mixed.get(e.getKey()), b = mixed.get("p-" + e.getKey());
            assertEquals(a.<Object>getAs("clip_cosine"), b.<Object>getAs("clip_cosine"), e.getKey());
        }

        Object[] r = job(
                "score",
                "--input",
                withPaths.toString(),
                "--output",
                dir.resolve("pq-x").toString());
        assertEquals(1, r[0]);
        String err = ((String) r[2]).strip();
        assertFalse(err.contains("\n"), err);
        assertTrue(
                err.startsWith("ClipJob: ")
                        && err.contains(".parquet: no image column (jpg, image, content)")
                        && err.contains("columns: uid, image_file, text"),
                err);
        assertFalse(Files.exists(dir.resolve("pq-x")), "a job refused before any part leaves no output folder");
    }

    @Test
    void clipRetrievalLayoutIsRowAlignedF16AndNormalised() throws IOException {
        Path out = dir.resolve("clip-retrieval");
        ok(
                "score",
                "--input",
                images.toString(),
                "--output",
                out.toString(),
                "--shard-size",
                "8",
                "--format",
                "clip-retrieval");
        int rows = 0;
        for (int part = 0; part < 2; part++) {
            List<Row> meta = SparkTests.local2()
                    .read()
                    .parquet(out.resolve("metadata/metadata_" + part + ".parquet")
                            .toString())
                    .collectAsList();
            float[][] img = npy(out.resolve("img_emb/img_emb_" + part + ".npy"), meta.size(), 32);
            float[][] txt = npy(out.resolve("text_emb/text_emb_" + part + ".npy"), meta.size(), 32);
            for (int i = 0; i < meta.size(); i++) {
                String key = meta.get(i).getString(0);
                Object[] want = expected.get(key);
                assertNotNull(want[0], "only scored rows: " + key);
                assertEquals(want[0], meta.get(i).getDouble(meta.get(i).fieldIndex("clip_cosine")));
                assertArrayEquals(halves(Vectors.normalized((float[]) want[1])), img[i], key);
                assertArrayEquals(halves(Vectors.normalized((float[]) want[2])), txt[i], key);
                assertTrue(meta.get(i).getString(1).endsWith(key + ".png")
                        || meta.get(i).getString(1).endsWith(".jpg"));
            }
            rows += meta.size();
        }
        assertEquals(8, rows);
        assertEquals(8, summary(out).get("written"));
        assertEquals(12, summary(out).get("rows"));
    }

    /** F32 values rounded to F16 and back, as the npy and f16 parquet hold them. */
    static float[] halves(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
        return out;
    }

    /** A {@code <f2} npy's rows, its header checked. */
    static float[][] npy(Path file, int rows, int dim) throws IOException {
        byte[] b = Files.readAllBytes(file);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        int headerLength = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        assertEquals(0, (10 + headerLength) % 64);
        String header = new String(b, 10, headerLength, StandardCharsets.US_ASCII);
        assertTrue(
                header.startsWith("{'descr': '<f2', 'fortran_order': False, 'shape': (" + rows + ", " + dim + "), }"),
                header);
        assertEquals(10 + headerLength + rows * dim * 2, b.length);
        ByteBuffer in = ByteBuffer.wrap(b, 10 + headerLength, rows * dim * 2).order(ByteOrder.LITTLE_ENDIAN);
        float[][] out = new float[rows][dim];
        for (float[] row : out) for (int i = 0; i < dim; i++) row[i] = Float.float16ToFloat(in.getShort());
        return out;
    }

    @Test
    void embeddingsInF32AndF16() throws IOException {
        Path f32 = dir.resolve("embed-f32"), f16 = dir.resolve("embed-f16"), texts = dir.resolve("embed-texts");
        ok("embed-images", "--input", images.toString(), "--output", f32.toString());
        ok("embed-images", "--input", images.toString(), "--output", f16.toString(), "--dtype", "f16", "--normalize");
        ok("embed-texts", "--input", images.toString(), "--output", texts.toString());
        Map<String, Row> a = rows(f32), b = rows(f16), t = rows(texts);
        assertEquals(
                DataTypes.BinaryType,
                b.get("chelsea").schema().apply("image_embeds").dataType());
        for (var e : expected.entrySet()) {
            float[] image = (float[]) e.getValue()[1];
            assertArrayEquals(image, Fixtures.floats(a.get(e.getKey()), "image_embeds"), e.getKey());
            byte[] half = b.get(e.getKey()).getAs("image_embeds");
            if (image == null) {
                assertNull(half);
                assertNotNull(a.get(e.getKey()).getAs("error"));
                continue;
            }
            assertArrayEquals(halves(Vectors.normalized(image)), RowTables.fromF16(half), e.getKey());
            assertArrayEquals((float[]) e.getValue()[2], Fixtures.floats(t.get(e.getKey()), "text_embeds"), e.getKey());
        }
        assertEquals(3, summary(f32).get("errors"));
        assertEquals(1, summary(texts).get("errors"), "coffee has no caption");
    }

    @Test
    void filtersKeepTheRowsTheyShould() throws IOException {
        List<Map.Entry<String, Object[]>> scored = expected.entrySet().stream()
                .filter(e -> e.getValue()[0] != null)
                .sorted(Comparator.<Map.Entry<String, Object[]>, Double>comparing(e -> (Double) e.getValue()[0])
                        .reversed()
                        .thenComparing(Map.Entry::getKey))
                .toList();
        assertEquals(8, scored.size());
        // --min-cosine at the fourth highest cosine keeps four rows
        double fourth = (Double) scored.get(3).getValue()[0];
        Path min = dir.resolve("min-cosine");
        ok(
                "score",
                "--input",
                images.toString(),
                "--output",
                min.toString(),
                "--shard-size",
                "4",
                "--min-cosine",
                Double.toString(fourth));
        assertEquals(
                scored.subList(0, 4).stream().map(Map.Entry::getKey).sorted().toList(),
                List.copyOf(rows(min).keySet()));
        assertEquals(4, summary(min).get("written"));
        assertEquals(12, summary(min).get("rows"));

        // --top-fraction 0.3 of 7 scored rows keeps ceil(2.1) = 3, across parts
        Path top = dir.resolve("top-fraction");
        String[] topArgs = {
            "score",
            "--input",
            images.toString(),
            "--output",
            top.toString(),
            "--shard-size",
            "4",
            "--top-fraction",
            "0.3",
            "--format",
            "clip-retrieval"
        };
        String printed = ok(topArgs);
        List<String> kept = new ArrayList<>();
        for (int part = 0; part < 3; part++)
            for (Row r : SparkTests.local2()
                    .read()
                    .parquet(top.resolve("metadata/metadata_" + part + ".parquet")
                            .toString())
                    .collectAsList()) kept.add(r.getString(0));
        kept.sort(null);
        assertEquals(
                scored.subList(0, 3).stream().map(Map.Entry::getKey).sorted().toList(), kept);
        Map<String, Object> s = summary(top);
        assertEquals(3, s.get("top_fraction_kept"));
        assertEquals(scored.get(2).getValue()[0], s.get("top_fraction_cosine"));
        assertFalse(Files.exists(top.resolve("_scored")), "the scored rows are removed once done");
        assertTrue(printed.contains("top fraction 0.3: 3 rows kept"), printed);
        // A rerun once done reads the threshold back (the scored rows are gone) and writes the same summary.
        String again = ok(topArgs);
        assertTrue(again.contains("3 parts, 0 computed by this run"), again);
        Map<String, Object> s2 = summary(top);
        s2.put("parts_run", s.get("parts_run"));
        assertEquals(s, s2);
    }

    @Test
    void aRerunFinishesOnlyTheMissingPartsAndRefusesOtherArguments() throws IOException {
        Path out = dir.resolve("resume");
        String[] args = {"embed-images", "--input", images.toString(), "--output", out.toString(), "--shard-size", "3"};
        ok(args);
        Map<String, Row> whole = rows(out);
        Map<String, Object> summary = summary(out);
        // As a kill would leave it: two parts missing (one with its parquet published but not its marker),
        // a stale temporary, no summary and no _SUCCESS.
        Files.delete(out.resolve("part-00001.parquet"));
        Files.delete(out.resolve("_parts/part-00001.json"));
        Files.delete(out.resolve("_parts/part-00003.json"));
        Files.createDirectories(out.resolve("_temporary"));
        Files.writeString(out.resolve("_temporary/part-00001.parquet.0000.tmp"), "half a file");
        Files.delete(out.resolve("_SUCCESS"));
        Files.delete(out.resolve("_summary.json"));
        String printed = ok(args);
        assertTrue(printed.contains("4 parts, 2 computed by this run"), printed);
        Map<String, Row> again = rows(out);
        assertEquals(whole.keySet(), again.keySet());
        for (String k : whole.keySet())
            assertEquals(whole.get(k).toString(), again.get(k).toString(), k);
        Map<String, Object> s = summary(out);
        s.put("parts_run", summary.get("parts_run"));
        assertEquals(summary, s);
        assertFalse(Files.exists(out.resolve("_temporary")));

        // The same folder with other arguments: one line, exit 1, nothing changed.
        Object[] r = job("embed-images", "--input", images.toString(), "--output", out.toString(), "--shard-size", "4");
        assertEquals(1, r[0]);
        assertEquals(
                "ClipJob: file:" + out + "/_plan.json: this folder holds the"
                        + " output of another job (shard_size was 3, now 4); rerun that job's command, or choose another"
                        + " --output",
                ((String) r[2]).strip());
        // A folder that is not a job's output is refused.
        Object[] r2 = job("embed-images", "--input", images.toString(), "--output", images.toString());
        assertEquals(1, r2[0]);
        assertTrue(((String) r2[2]).contains("exists and is not a ClipJob output folder"), (String) r2[2]);
    }
}
