package sdclip.spark;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link ClipJob}'s command line, parsed and checked for form. Nothing here touches a file:
 * whether the inputs and the model exist is for the run to find out.
 *
 * @param work        what to compute
 * @param inputs      input paths as given (brace ranges not yet expanded)
 * @param inputFormat {@code folder}, {@code webdataset}, {@code parquet}, or null to tell by the inputs
 * @param imageCol    parquet input: the binary image column, or null for the defaults
 * @param pathCol     parquet input: the image path column, or null for the defaults
 * @param captionCol  parquet input: the caption column, or null for the defaults
 * @param keyCol      parquet input: the key column, or null for the defaults
 * @param model       the CLIP model
 * @param tokenizer   the vocabulary, or null
 * @param heads       text heads per encoder, or null
 * @param visionHeads vision heads, 0 to infer
 * @param textModel   score: another checkpoint's text tower, or null
 * @param preprocess  {@code openai} or {@code hf}
 * @param batchSize   rows per forward pass
 * @param threads     model threads per executor, 0 for its cores
 * @param output      the output folder
 * @param format      {@code parquet} or {@code clip-retrieval}
 * @param f16         whether embeddings are stored as half-precision floats
 * @param normalize   whether embeddings are L2-normalised (always for clip-retrieval)
 * @param embeddings  score into parquet: whether to keep the two embeddings too
 * @param minCosine   keep rows with a cosine at least this, or null
 * @param topFraction keep this fraction of scored rows with the highest cosine, or null
 * @param shardSize   folder input: images per output part
 * @param master      the Spark master, or null for spark-submit's
 * @param verbose     stack traces and Spark's log
 */
record JobOptions(
        Work work,
        List<String> inputs,
        String inputFormat,
        String imageCol,
        String pathCol,
        String captionCol,
        String keyCol,
        String model,
        String tokenizer,
        int[] heads,
        int visionHeads,
        String textModel,
        String preprocess,
        int batchSize,
        int threads,
        String output,
        String format,
        boolean f16,
        boolean normalize,
        boolean embeddings,
        Double minCosine,
        Double topFraction,
        int shardSize,
        String master,
        boolean verbose)
        implements Serializable {

    /** What a job computes. */
    enum Work {
        SCORE("score"),
        EMBED_IMAGES("embed-images"),
        EMBED_TEXTS("embed-texts");

        final String id;

        Work(String id) {
            this.id = id;
        }

        boolean images() {
            return this != EMBED_TEXTS;
        }

        boolean texts() {
            return this != EMBED_IMAGES;
        }
    }

    /** A command line that does not parse: exit 2, one line. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static final String HELP = """
            Usage: ClipJob (score | embed-images | embed-texts) --model MODEL --input PATH... --output DIR [options]

            CLIP scores and embeddings of a dataset on Spark, resumable: rerun the same command after a
            kill and only the missing output parts are computed.

            Work:
              score                 cosine and CLIPScore (max(100 cos, 0)) of each image and its caption
              embed-images          image embeddings
              embed-texts           caption embeddings (text_embeds)

            Input (one or more --input; the format is told by the names unless --input-format says):
              --input PATH          a folder of images with captions in NAME.txt beside them (recursive;
                                    .png .jpg .jpeg .bmp .gif .webp), webdataset tar shards
                                    (shards/{00000..00099}.tar; .tar, .tar.gz, .tgz), or parquet files
                                    or folders of them; local paths or Hadoop URIs (hdfs://, s3a://)
              --input-format F      folder, webdataset or parquet
              --image-col NAME      parquet: binary column of image bytes (default: jpg, image, content)
              --path-col NAME       parquet: column of image paths, absolute or relative to the parquet
                                    file's folder (default: path, image_path)
              --caption-col NAME    parquet: caption column (default: caption, text)
              --key-col NAME        parquet: key column (default: key, uid; else FILE:ROW)
              --shard-size N        folder: images per output part (default 1000); a tar or a parquet
                                    file is one part

            Model:
              --model MODEL         the CLIP model: a path or file: URI (the same on every executor), a
                                    Hadoop URI (hdfs://, s3a://: copied to each executor once), or a
                                    Hugging Face id or model name found on the executors
              --tokenizer PATH      the vocabulary, if the model has none
              --heads N[,N]         text attention heads, for checkpoints without a config
              --vision-heads N      vision attention heads, for checkpoints without a config
              --text-model MODEL    score: captions through this checkpoint's text tower and the CLIP
                                    model's projection (per-model CLIPScore)
              --preprocess P        openai (default) or hf
              --batch-size N        rows per forward pass (default 16)
              --threads N           model threads per executor (default: its cores)

            Output:
              --output DIR          the output folder (local path or Hadoop URI)
              --format F            parquet (default) or clip-retrieval (img_emb/, text_emb/, metadata/)
              --dtype T             f32 or f16: embeddings as single or half-precision floats
                                    (default: f32 for parquet, f16 for clip-retrieval)
              --normalize           L2-normalise the embeddings (clip-retrieval always does)
              --embeddings          score to parquet: keep image_embeds and text_embeds too
              --min-cosine X        keep rows whose cosine is at least X (LAION: 0.28)
              --top-fraction F      keep the fraction F of rows with the highest cosine (DataComp: 0.3)

            Spark:
              --master URL          e.g. local[4] when run with java -cp; spark-submit's otherwise
              --verbose             Spark's log (INFO), and stack traces of failures
              --help                this text

            Exit status: 0 done, 1 a failure (one line naming the file), 2 a usage error.
            """;

    /**
     * Parses a command line.
     *
     * @return the options, or null for --help
     * @throws UsageException for anything malformed, missing, or contradictory
     */
    static JobOptions parse(String[] args) throws UsageException {
        Map<String, String> flags = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>();
        List<String> positional = new ArrayList<>();
        List<String> switches = List.of("--normalize", "--embeddings", "--verbose", "--help", "-h");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) return null;
            if (!a.startsWith("--")) {
                positional.add(a);
                continue;
            }
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (!KNOWN.contains(a)) throw new UsageException("unknown option " + a);
            if (switches.contains(a)) {
                if (value != null) throw new UsageException(a + " takes no value");
                flags.put(a, "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.length) throw new UsageException(a + " needs a value");
                value = args[++i];
            }
            if (a.equals("--input")) inputs.add(absolute(value, true));
            else if (flags.put(a, value) != null) throw new UsageException(a + " is given twice");
        }
        if (positional.isEmpty()) throw new UsageException("no work: score, embed-images or embed-texts");
        if (positional.size() > 1) throw new UsageException("unexpected argument " + positional.get(1));
        Work work = switch (positional.getFirst()) {
            case "score" -> Work.SCORE;
            case "embed-images" -> Work.EMBED_IMAGES;
            case "embed-texts" -> Work.EMBED_TEXTS;
            default ->
                throw new UsageException(
                        "unknown work " + positional.getFirst() + "; use score, embed-images or embed-texts");
        };
        if (inputs.isEmpty()) throw new UsageException("no --input");
        String model = absolute(required(flags, "--model"), false);
        String output = absolute(required(flags, "--output"), true);
        String inputFormat = oneOf(flags, "--input-format", null, "folder", "webdataset", "parquet");
        String format = oneOf(flags, "--format", "parquet", "parquet", "clip-retrieval");
        // clip-retrieval's matrices are F16 unless asked otherwise; parquet's F32
        String dtype = oneOf(flags, "--dtype", format.equals("clip-retrieval") ? "f16" : "f32", "f32", "f16");
        String preprocess = oneOf(flags, "--preprocess", "openai", "openai", "hf");
        Double minCosine = flags.containsKey("--min-cosine") ? number(flags, "--min-cosine", -1, 1) : null;
        Double topFraction = flags.containsKey("--top-fraction") ? number(flags, "--top-fraction", 0, 1) : null;
        if (topFraction != null && topFraction == 0) throw new UsageException("--top-fraction must be above 0");
        if ((minCosine != null || topFraction != null) && work != Work.SCORE)
            throw new UsageException("--min-cosine and --top-fraction filter scores: they need score");
        if (flags.containsKey("--text-model") && work != Work.SCORE)
            throw new UsageException("--text-model is for score");
        if (flags.containsKey("--embeddings") && (work != Work.SCORE || format.equals("clip-retrieval")))
            throw new UsageException("--embeddings is for score with --format parquet (the others always have them)");
        boolean parquetInput = inputFormat == null || inputFormat.equals("parquet");
        for (String col : List.of("--image-col", "--path-col", "--caption-col", "--key-col")) {
            if (flags.containsKey(col) && !parquetInput)
                throw new UsageException(col + " is for parquet input, not " + inputFormat);
            if (flags.containsKey(col) && flags.get(col).isBlank()) throw new UsageException(col + " is empty");
        }
        if (flags.containsKey("--image-col") && flags.containsKey("--path-col"))
            throw new UsageException("give --image-col or --path-col, not both");
        return new JobOptions(
                work,
                List.copyOf(inputs),
                inputFormat,
                flags.get("--image-col"),
                flags.get("--path-col"),
                flags.get("--caption-col"),
                flags.get("--key-col"),
                model,
                absolute(flags.get("--tokenizer"), false),
                flags.containsKey("--heads") ? heads(flags.get("--heads")) : null,
                integer(flags, "--vision-heads", 0, 0),
                absolute(flags.get("--text-model"), false),
                preprocess,
                integer(flags, "--batch-size", 16, 1),
                integer(flags, "--threads", 0, 0),
                output,
                format,
                dtype.equals("f16"),
                flags.containsKey("--normalize") || format.equals("clip-retrieval"),
                flags.containsKey("--embeddings"),
                minCosine,
                topFraction,
                integer(flags, "--shard-size", 1000, 1),
                flags.get("--master"),
                flags.containsKey("--verbose"));
    }

    private static final List<String> KNOWN = List.of(
            "--input",
            "--input-format",
            "--image-col",
            "--path-col",
            "--caption-col",
            "--key-col",
            "--shard-size",
            "--model",
            "--tokenizer",
            "--heads",
            "--vision-heads",
            "--text-model",
            "--preprocess",
            "--batch-size",
            "--threads",
            "--output",
            "--format",
            "--dtype",
            "--normalize",
            "--embeddings",
            "--min-cosine",
            "--top-fraction",
            "--master",
            "--verbose",
            "--help");

    /**
     * A local path as an absolute one, so executors (whose working folder is not the driver's)
     * read the same file, and the plan names it the same from any folder; URIs stay as they
     * are, and so does what is not a local file when {@code always} is false (a hub id, a name).
     */
    static String absolute(String location, boolean always) {
        if (location == null || location.isBlank() || Locations.scheme(location) != null) return location;
        Path p = Path.of(location);
        if (!always && !Files.exists(p)) return location;
        return p.toAbsolutePath().normalize().toString();
    }

    private static String required(Map<String, String> flags, String flag) throws UsageException {
        String v = flags.get(flag);
        if (v == null) throw new UsageException("no " + flag);
        if (v.isBlank()) throw new UsageException(flag + " is empty");
        return v;
    }

    private static String oneOf(Map<String, String> flags, String flag, String dflt, String... allowed)
            throws UsageException {
        String v = flags.get(flag);
        if (v == null) return dflt;
        String lower = v.toLowerCase(Locale.ROOT);
        if (!Arrays.asList(allowed).contains(lower))
            throw new UsageException(flag + " " + v + ": use " + String.join(", ", allowed));
        return lower;
    }

    private static int integer(Map<String, String> flags, String flag, int dflt, int min) throws UsageException {
        String v = flags.get(flag);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min) throw new UsageException(flag + " " + v + ": must be at least " + min);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " " + v + ": not a whole number");
        }
    }

    private static double number(Map<String, String> flags, String flag, double min, double max) throws UsageException {
        String v = flags.get(flag);
        double x;
        try {
            x = Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " " + v + ": not a number");
        }
        if (!(x >= min && x <= max)) throw new UsageException(flag + " " + v + ": must be from " + min + " to " + max);
        return x;
    }

    private static int[] heads(String v) throws UsageException {
        String[] parts = v.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new UsageException("--heads " + v + ": not N or N,N");
            }
            if (out[i] < 1) throw new UsageException("--heads " + v + ": heads must be at least 1");
        }
        return out;
    }

    /**
     * What the output depends on, as the plan records it: a rerun into the same folder must give
     * the same (batch size, threads, master and verbosity change nothing in the output).
     */
    Map<String, Object> identity() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("work", work.id);
        m.put("inputs", inputs);
        m.put("input_format", inputFormat);
        m.put("image_col", imageCol);
        m.put("path_col", pathCol);
        m.put("caption_col", captionCol);
        m.put("key_col", keyCol);
        m.put("model", model);
        m.put("tokenizer", tokenizer);
        m.put("heads", heads == null ? null : Arrays.toString(heads));
        m.put("vision_heads", visionHeads);
        m.put("text_model", textModel);
        m.put("preprocess", preprocess);
        m.put("format", format);
        m.put("dtype", f16 ? "f16" : "f32");
        m.put("normalize", normalize);
        m.put("embeddings", embeddings);
        m.put("min_cosine", minCosine);
        m.put("top_fraction", topFraction);
        m.put("shard_size", shardSize);
        return m;
    }

    /** Whether rows are filtered on their cosine. */
    boolean filters() {
        return minCosine != null || topFraction != null;
    }

    /** Whether the output rows carry image embeddings. */
    boolean imageEmbeds() {
        return work == Work.EMBED_IMAGES || (work == Work.SCORE && (embeddings || format.equals("clip-retrieval")));
    }

    /** Whether the output rows carry text embeddings. */
    boolean textEmbeds() {
        return work == Work.EMBED_TEXTS || (work == Work.SCORE && (embeddings || format.equals("clip-retrieval")));
    }
}
