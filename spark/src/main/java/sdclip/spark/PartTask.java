package sdclip.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import sdclip.model.ClipScore;
import sdclip.model.checkpoint.ClipTextConfig;

/**
 * What a task of {@link ClipJob} does with one part: unless the part's marker
 * ({@code _parts/part-N.json}) is there already, read its rows, compute them a batch at a time
 * through the transformers' own batch work (so the values are theirs, bit for bit), write the
 * rows kept to the part's files, publish those, then the marker with the part's counts. Only
 * the params and the part's file names travel with a task; the model comes from
 * {@link ModelCache}.
 */
final class PartTask implements VoidFunction<JobInputs.Part> {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The row layout the transformers' batch work reads. */
    static final StructType INPUT = new StructType()
            .add("key", DataTypes.StringType)
            .add("path", DataTypes.StringType)
            .add("image", DataTypes.BinaryType)
            .add("caption", DataTypes.StringType);

    /** What a part task does. */
    enum Stage {
        /** Compute the part's rows from its input. */
        COMPUTE,
        /** Keep the top fraction of a part's scored rows. */
        SELECT
    }

    private final JobOptions o;
    private final Stage stage;
    private final RowTables.Layout layout;
    private final String root; // where the part's files go
    private final String scored; // SELECT: the scored rows' folder
    private final LinkedHashMap<String, ParquetSamples.Columns> columns;
    private final BatchWork work;
    private final ModelSpec spec;
    private final TopFraction.Threshold threshold;
    private final Broadcast<Map<String, String>> hadoop;

    PartTask(
            JobOptions o,
            Stage stage,
            RowTables.Layout layout,
            String root,
            String scored,
            LinkedHashMap<String, ParquetSamples.Columns> columns,
            BatchWork work,
            ModelSpec spec,
            TopFraction.Threshold threshold,
            Broadcast<Map<String, String>> hadoop) {
        this.o = o;
        this.stage = stage;
        this.layout = layout;
        this.root = root;
        this.scored = scored;
        this.columns = columns;
        this.work = work;
        this.spec = spec;
        this.threshold = threshold;
        this.hadoop = hadoop;
    }

    /** A part's marker: its counts, published last. */
    static Path marker(Path root, int part) {
        return new Path(root, String.format(Locale.ROOT, "_parts/part-%05d.json", part));
    }

    static Configuration configuration(Map<String, String> settings) {
        Configuration c = new Configuration(false);
        settings.forEach(c::set);
        return c;
    }

    @Override
    public void call(JobInputs.Part part) throws IOException {
        Configuration conf = configuration(hadoop.value());
        Path out = new Path(root);
        FileSystem fs = out.getFileSystem(conf);
        Path marker = marker(out, part.index());
        if (fs.exists(marker)) return; // another attempt finished it
        PartStats stats = stage == Stage.COMPUTE ? compute(part, fs, out, conf) : select(part, fs, out, conf);
        Path tmp = Publisher.temporary(new Path(out, "_temporary"), marker);
        try (OutputStream s = fs.create(tmp, true)) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(s, stats.toJson());
        }
        Publisher.publish(fs, tmp, marker);
    }

    private PartStats compute(JobInputs.Part part, FileSystem fs, Path out, Configuration conf) throws IOException {
        PartStats stats = new PartStats();
        try (PartSamples.Rows rows = PartSamples.open(
                        part, columns.get(part.source()), conf, o.work().texts());
                PartOutput output = PartOutput.open(fs, out, o, layout, part.index(), conf)) {
            long row = 0;
            List<Sample> batch = new ArrayList<>(o.batchSize());
            while (rows.hasNext()) {
                batch.clear();
                while (batch.size() < o.batchSize() && rows.hasNext()) batch.add(rows.next());
                for (JobRow r : compute(batch, row)) {
                    stats.add(r);
                    if (kept(r) && output.write(r)) stats.written++;
                }
                row += batch.size();
            }
            output.publish(imageDim(stats.imageDim), textDim(stats.textDim));
        }
        return stats;
    }

    /** The top fraction's part: the scored part read back and filtered; the counts are the scored part's. */
    private PartStats select(JobInputs.Part part, FileSystem fs, Path out, Configuration conf) throws IOException {
        Path scoredRoot = new Path(scored);
        PartStats stats;
        try (java.io.InputStream in = fs.open(marker(scoredRoot, part.index()))) {
            @SuppressWarnings("unchecked") // the marker is a JSON object
            Map<String, Object> m = JSON.readValue(in, Map.class);
            stats = PartStats.fromJson(m);
        }
        stats.written = 0;
        try (RowTables.ScoredReader rows =
                        new RowTables.ScoredReader(PartOutput.partFile(scoredRoot, part.index()), conf);
                PartOutput output = PartOutput.open(fs, out, o, layout, part.index(), conf)) {
            for (JobRow r = rows.next(); r != null; r = rows.next()) {
                if (kept(r) && threshold.keeps(r, part.index()) && output.write(r)) stats.written++;
            }
            output.publish(imageDim(stats.imageDim), textDim(stats.textDim));
        }
        return stats;
    }

    /** Whether a row passes --min-cosine (rows without a cosine do not); every row, without filters. */
    private boolean kept(JobRow r) {
        if (!o.filters() || layout == RowTables.Layout.SCORED) return true;
        if (r.cosine() == null || r.cosine().isNaN()) return false;
        return o.minCosine() == null || r.cosine() >= o.minCosine();
    }

    /** A batch's rows: the samples the input could read go through the work; the others keep their error. */
    private List<JobRow> compute(List<Sample> samples, long firstRow) {
        List<Row> rows = new ArrayList<>();
        for (Sample s : samples)
            if (s.error() == null) rows.add(RowFactory.create(s.key(), s.path(), s.image(), s.caption()));
        List<JobRow> out = new ArrayList<>(samples.size());
        ClipScorer.Work.Pairs pairs = null;
        List<BatchWork.Result> results = null;
        if (!rows.isEmpty()) {
            if (work instanceof ClipScorer.Work scorer) pairs = scorer.pairs(rows);
            else results = work.run(rows);
        }
        int at = 0;
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            long row = firstRow + i;
            if (s.error() != null) {
                out.add(new JobRow(s.key(), s.path(), s.caption(), null, null, null, null, s.error(), row));
                continue;
            }
            int k = at++;
            if (pairs != null) {
                Double cos = pairs.cosines()[k];
                float[] image = o.imageEmbeds() ? normalized(pairs.images()[k]) : null;
                float[] text = o.textEmbeds() ? normalized(pairs.texts()[k]) : null;
                Double score = cos == null ? null : ClipScore.CLIPSCORE.pair(cos);
                out.add(new JobRow(s.key(), s.path(), s.caption(), cos, score, image, text, pairs.errors()[k], row));
            } else {
                BatchWork.Result r = results.get(k);
                float[] v = (float[]) r.values()[0];
                boolean images = o.work() == JobOptions.Work.EMBED_IMAGES;
                out.add(new JobRow(
                        s.key(),
                        s.path(),
                        s.caption(),
                        null,
                        null,
                        images ? v : null,
                        images ? null : v,
                        r.error(),
                        row));
            }
        }
        return out;
    }

    /** Score's embeddings as asked (the embedders normalise their own). */
    private float[] normalized(float[] v) {
        return o.normalize() ? Vectors.normalized(v) : v;
    }

    /** The image embeddings' width: as seen, else the model's (a part with no rows still has a shape). */
    private int imageDim(int seen) {
        return seen > 0 || !o.imageEmbeds() ? seen : modelImageDim();
    }

    private int modelImageDim() {
        return spec.imageEncoder(ClipImageEmbedder.preprocessOf(o.preprocess()))
                .config()
                .projectionDim();
    }

    /** The text embeddings' width: as seen, else the model's (score's is the image's: one projection space). */
    private int textDim(int seen) {
        if (seen > 0 || !o.textEmbeds()) return seen;
        if (o.work() == JobOptions.Work.SCORE) return modelImageDim();
        int dim = 0;
        for (ClipTextConfig c : spec.textEncoder(null).configs()) if (c.hasProjection()) dim = c.projectionDim();
        return dim;
    }
}
