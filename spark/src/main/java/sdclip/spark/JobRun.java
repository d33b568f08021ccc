package sdclip.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * {@link ClipJob}'s driver: plans the parts, checks the plan against the one an earlier run
 * left in the output folder, runs one Spark job over the parts not yet done (and for a top
 * fraction, a second over the scored rows), then writes the summary and {@code _SUCCESS}.
 * A folder whose plan differs is refused once any part of it is done; before that (a job that
 * failed at once), the new plan replaces the old.
 * Prints nothing: {@link ClipJob} does.
 */
final class JobRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Plan format; a folder written by another version's plan is refused. */
    static final int PLAN_VERSION = 1;

    /** A problem with the job's files (exit 1): the message names the file. */
    static final class JobException extends IOException {
        private static final long serialVersionUID = 1L;

        JobException(String message) {
            super(message);
        }
    }

    /**
     * What a run did.
     *
     * @param parts    the job's parts
     * @param ran      the parts this run computed (0 when an earlier run had done them all)
     * @param summary  the summary, as written to {@code _summary.json}
     */
    record Result(int parts, int ran, Map<String, Object> summary) {}

    private final JobOptions o;
    private final SparkSession spark;

    JobRun(JobOptions o, SparkSession spark) {
        this.o = o;
        this.spark = spark;
    }

    Result run() throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path root = new Path(o.output());
        FileSystem fs = root.getFileSystem(conf);
        root = fs.makeQualified(root);

        List<JobInputs.Part> parts = JobInputs.plan(o, conf);
        String format = parts.getFirst().format();
        for (JobInputs.Part p : parts) {
            if (!p.format().equals(format))
                throw new JobException(
                        p.source() + ": " + p.format() + " input among " + format + " input; give one layout per job");
        }
        if (!format.equals("parquet")) {
            for (String[] col : new String[][] {
                {"--image-col", o.imageCol()},
                {"--path-col", o.pathCol()},
                {"--caption-col", o.captionCol()},
                {"--key-col", o.keyCol()}
            }) {
                if (col[1] != null)
                    throw new JobException(parts.getFirst().source() + ": " + col[0]
                            + " is for parquet input, and this is " + format + " input");
            }
        }
        // Each parquet file's own columns (the defaults are tried per file), checked here, before anything is written.
        LinkedHashMap<String, ParquetSamples.Columns> columns = new LinkedHashMap<>();
        if (format.equals("parquet")) {
            for (JobInputs.Part p : parts) {
                Path file = new Path(p.source());
                columns.putIfAbsent(
                        p.source(), ParquetSamples.columns(ParquetSamples.schema(file, conf), o, file.toString()));
            }
        }
        Locations.check("model", o.model());
        if (o.textModel() != null) Locations.check("text model", o.textModel());
        if (o.tokenizer() != null) Locations.check("tokenizer", o.tokenizer());
        boolean existed = fs.exists(root);
        boolean fresh = !existed || fs.listStatus(root).length == 0;
        try {
            return run(fs, root, parts, columns, conf);
        } catch (Exception e) { // a failed Spark job is a SparkException, which Scala throws unchecked
            // A run that failed before any part was done leaves nothing behind: no folder it made, no plan, no
            // temporaries.
            if (fresh && fs.exists(root) && !hasMarkers(fs, root)) {
                if (!existed) fs.delete(root, true);
                else for (FileStatus f : fs.listStatus(root)) fs.delete(f.getPath(), true);
            }
            throw e;
        }
    }

    private Result run(
            FileSystem fs,
            Path root,
            List<JobInputs.Part> parts,
            LinkedHashMap<String, ParquetSamples.Columns> columns,
            Configuration conf)
            throws IOException {
        checkPlan(fs, root, parts);

        boolean top = o.topFraction() != null;
        Path scored = new Path(root, "_scored");
        Path computeRoot = top ? scored : root;
        Broadcast<Map<String, String>> hadoop = broadcast(conf);
        ModelSpec spec = spec();
        BatchWork work = work();
        // A top fraction scores every part first; once every kept part is written, the scored rows are gone and not
        // needed.
        List<JobInputs.Part> todo =
                top && missing(fs, root, parts).isEmpty() ? List.of() : missing(fs, computeRoot, parts);
        int ran = todo.size();
        if (!todo.isEmpty()) {
            mkdirs(fs, computeRoot, top ? RowTables.Layout.SCORED : RowTables.Layout.PARTS);
            RowTables.Layout layout = top ? RowTables.Layout.SCORED : RowTables.Layout.PARTS;
            PartTask task = new PartTask(
                    o, PartTask.Stage.COMPUTE, layout, computeRoot.toString(), null, columns, work, spec, null, hadoop);
            runParts(todo, task, "compute");
        }
        TopFraction.Threshold threshold = null;
        if (top) {
            List<JobInputs.Part> select = missing(fs, root, parts);
            threshold = threshold(fs, root, scored);
            if (!select.isEmpty()) {
                mkdirs(fs, root, RowTables.Layout.PARTS);
                PartTask task = new PartTask(
                        o,
                        PartTask.Stage.SELECT,
                        RowTables.Layout.PARTS,
                        root.toString(),
                        scored.toString(),
                        columns,
                        work,
                        spec,
                        threshold,
                        hadoop);
                runParts(select, task, "select the top fraction");
                ran = Math.max(ran, select.size());
            }
        }
        Map<String, Object> summary = summary(fs, root, parts, ran, threshold);
        write(fs, root, new Path(root, "_summary.json"), summary);
        write(fs, root, new Path(root, "_SUCCESS"), null);
        if (top) fs.delete(scored, true);
        fs.delete(new Path(root, "_temporary"), true);
        return new Result(parts.size(), ran, summary);
    }

    /**
     * The top fraction's threshold: found once over the scored rows and kept in
     * {@code _threshold.json}, so a rerun (after the scored rows are gone) reads it back.
     */
    private TopFraction.Threshold threshold(FileSystem fs, Path root, Path scored) throws IOException {
        Path file = new Path(root, "_threshold.json");
        if (fs.exists(file)) {
            try (InputStream in = fs.open(file)) {
                return JSON.readValue(in, TopFraction.Threshold.class);
            } catch (IOException e) {
                throw new JobException(file + ": not a threshold sdclip can read (" + e.getMessage() + ")");
            }
        }
        TopFraction.Threshold t = TopFraction.of(spark, scored.toString(), o.topFraction());
        write(fs, root, file, t);
        return t;
    }

    /** One Spark task per part, in part order. */
    private void runParts(List<JobInputs.Part> todo, PartTask task, String what) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        jsc.setJobDescription("sdclip ClipJob: " + what + " (" + todo.size() + " parts)");
        jsc.parallelize(todo, todo.size()).foreach(task);
    }

    /** The parts whose marker is not in {@code root}. */
    private static List<JobInputs.Part> missing(FileSystem fs, Path root, List<JobInputs.Part> parts)
            throws IOException {
        List<JobInputs.Part> out = new ArrayList<>();
        java.util.Set<String> done = new java.util.HashSet<>();
        Path markers = new Path(root, "_parts");
        if (fs.exists(markers))
            for (FileStatus s : fs.listStatus(markers)) done.add(s.getPath().getName());
        for (JobInputs.Part p : parts)
            if (!done.contains(PartTask.marker(root, p.index()).getName())) out.add(p);
        return out;
    }

    private void mkdirs(FileSystem fs, Path root, RowTables.Layout layout) throws IOException {
        List<String> dirs = new ArrayList<>(List.of("_parts", "_temporary"));
        if (layout == RowTables.Layout.PARTS && o.format().equals("clip-retrieval")) {
            dirs.add("metadata");
            if (o.imageEmbeds()) dirs.add("img_emb");
            if (o.textEmbeds()) dirs.add("text_emb");
        }
        for (String d : dirs) fs.mkdirs(new Path(root, d));
    }

    /**
     * The plan of this run, recorded in {@code _plan.json} by the first: the options the output
     * depends on, and the parts (their count, and a digest of every part's files). A folder that
     * holds another plan, or files but no plan, is refused.
     */
    private void checkPlan(FileSystem fs, Path root, List<JobInputs.Part> parts) throws IOException {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("version", PLAN_VERSION);
        plan.put("options", o.identity());
        plan.put("parts", parts.size());
        long rows = 0;
        for (JobInputs.Part p : parts) rows += p.items().size();
        plan.put("folder_images", rows);
        plan.put("digest", digest(parts));
        Path file = new Path(root, "_plan.json");
        if (fs.exists(file)) {
            Map<String, Object> earlier;
            try (InputStream in = fs.open(file)) {
                @SuppressWarnings("unchecked") // a JSON object
                Map<String, Object> m = JSON.readValue(in, Map.class);
                earlier = m;
            } catch (IOException e) {
                throw new JobException(file + ": not a plan sdclip can read (" + e.getMessage() + ")");
            }
            // Compare as JSON reads them: numbers and lists as Jackson gives them back.
            @SuppressWarnings("unchecked")
            Map<String, Object> now = JSON.readValue(JSON.writeValueAsBytes(plan), Map.class);
            if (!now.equals(earlier) && !hasMarkers(fs, root)) {
                // Nothing of the earlier job was computed (it failed at once, say on a wrong --model): start anew.
                write(fs, root, file, plan);
                return;
            }
            if (!now.equals(earlier)) {
                throw new JobException(file + ": this folder holds the output of another job ("
                        + difference(earlier, now) + "); rerun that job's command, or choose another --output");
            }
            return;
        }
        if (fs.exists(root) && fs.listStatus(root).length > 0)
            throw new JobException(
                    root + ": exists and is not a ClipJob output folder (no _plan.json); choose another --output");
        fs.mkdirs(root);
        write(fs, root, file, plan);
    }

    /** Whether any part of the job in {@code root} is done (or scored, for a top fraction). */
    private static boolean hasMarkers(FileSystem fs, Path root) throws IOException {
        for (Path markers : List.of(new Path(root, "_parts"), new Path(root, "_scored/_parts"))) {
            if (!fs.exists(markers)) continue;
            for (FileStatus s : fs.listStatus(markers))
                if (s.getPath().getName().endsWith(".json")) return true;
        }
        return false;
    }

    /** The first thing that differs between two plans, as words. */
    @SuppressWarnings("unchecked")
    private static String difference(Map<String, Object> earlier, Map<String, Object> now) {
        Object a = earlier.get("options"), b = now.get("options");
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) mb).entrySet()) {
                Object before = ((Map<String, Object>) ma).get(e.getKey());
                if (!Objects.equals(before, e.getValue()))
                    return e.getKey() + " was " + before + ", now " + e.getValue();
            }
        }
        for (String k : List.of("version", "parts", "folder_images", "digest")) {
            if (!Objects.equals(earlier.get(k), now.get(k))) {
                return k.equals("digest")
                        ? "the input files differ"
                        : k + " was " + earlier.get(k) + ", now " + now.get(k);
            }
        }
        return "the plans differ";
    }

    /** SHA-256 of every part's format, source and files, in order. */
    private static String digest(List<JobInputs.Part> parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (JobInputs.Part p : parts) {
                d.update((p.index() + "\0" + p.format() + "\0" + p.source() + "\0").getBytes(StandardCharsets.UTF_8));
                for (JobInputs.Item i : p.items())
                    d.update((i.key() + "\0" + i.image() + "\0" + i.caption() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The summary: every part's counts added up, in part order. */
    private Map<String, Object> summary(
            FileSystem fs, Path root, List<JobInputs.Part> parts, int ran, TopFraction.Threshold threshold)
            throws IOException {
        PartStats total = new PartStats();
        for (JobInputs.Part p : parts) {
            Path marker = PartTask.marker(root, p.index());
            try (InputStream in = fs.open(marker)) {
                @SuppressWarnings("unchecked") // a JSON object
                Map<String, Object> m = JSON.readValue(in, Map.class);
                total.merge(PartStats.fromJson(m));
            } catch (java.io.FileNotFoundException e) {
                throw new JobException(marker + ": missing after its task finished");
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("work", o.work().id);
        s.put("output", root.toString());
        s.put("format", o.format());
        s.put("parts", parts.size());
        s.put("parts_run", ran);
        s.putAll(total.toJson());
        s.remove("cosine_sum");
        s.remove("clip_score_sum");
        if (o.minCosine() != null) s.put("min_cosine", o.minCosine());
        if (o.topFraction() != null) {
            s.put("top_fraction", o.topFraction());
            s.put("top_fraction_kept", threshold.kept());
            if (threshold.kept() > 0) s.put("top_fraction_cosine", threshold.cosine());
        }
        return s;
    }

    /** A small file written whole: JSON, or empty for null. */
    private static void write(FileSystem fs, Path root, Path file, Object json) throws IOException {
        Path tmp = Publisher.temporary(new Path(root, "_temporary"), file);
        try (OutputStream out = fs.create(tmp, true)) {
            if (json != null) JSON.writerWithDefaultPrettyPrinter().writeValue(out, json);
        }
        if (!fs.rename(tmp, file)) {
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) throw new JobException(file + ": could not write it");
        }
    }

    /** The Hadoop settings, for the tasks (Spark's own hadoopConfiguration is not serializable). */
    private Broadcast<Map<String, String>> broadcast(Configuration conf) {
        Map<String, String> m = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : conf) m.put(e.getKey(), e.getValue());
        return JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(m);
    }

    /** How the tasks open the model (for the widths of a part without rows). */
    private ModelSpec spec() {
        ClipImageEmbedder e = new ClipImageEmbedder().setModel(o.model());
        common(e);
        return e.modelSpec();
    }

    /** The transformers' batch work for the job, checked on the driver as their transform checks it. */
    private BatchWork work() {
        ClipTransformer<?> t = switch (o.work()) {
            case SCORE -> {
                ClipScorer s = new ClipScorer()
                        .setModel(o.model())
                        .setPreprocess(o.preprocess())
                        .setImageCol("image")
                        .setTextCol("caption");
                if (o.textModel() != null) s.setTextModel(o.textModel());
                yield s;
            }
            case EMBED_IMAGES ->
                new ClipImageEmbedder()
                        .setModel(o.model())
                        .setPreprocess(o.preprocess())
                        .setNormalize(o.normalize())
                        .setInputCol("image");
            case EMBED_TEXTS ->
                new ClipTextEmbedder()
                        .setModel(o.model())
                        .setNormalize(o.normalize())
                        .setInputCol("caption");
        };
        common(t);
        t.transformSchema(PartTask.INPUT);
        return t.work(PartTask.INPUT);
    }

    private void common(ClipTransformer<?> t) {
        if (o.tokenizer() != null) t.setTokenizer(o.tokenizer());
        if (o.heads() != null) t.setHeads(o.heads());
        t.setVisionHeads(o.visionHeads()).setBatchSize(o.batchSize()).setThreads(o.threads());
    }
}
