package sdclip.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sdclip.model.ImageEncoder;
import sdclip.model.image.Preprocess;

/**
 * CLIP image embeddings of image bytes: {@code image_embeds}, {@code array<float>} of the
 * model's projection width, from a binary column (the {@code content} column of Spark's
 * {@code binaryFile} source, or a parquet bytes column). Images are decoded by sdclip's own
 * decoders from the bytes (PNG, JPEG, BMP, GIF, WebP), so the embeddings equal the library's
 * ({@code sdclip encode-image}) for the same files, bit for bit. A row whose image cannot be
 * read gets a null embedding and the reason in the error column, starting with the row's
 * {@code path} when the input has that column.
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("images/");
 * Dataset<Row> out = new ClipImageEmbedder().setModel("/models/clip-vit-large-patch14").transform(images);
 * }</pre>
 */
public final class ClipImageEmbedder extends ClipTransformer<ClipImageEmbedder> {
    private static final long serialVersionUID = 1L;
    private static final DefaultParamsReadable<ClipImageEmbedder> READER = new DefaultParamsReadable<>() {};

    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final BooleanParam normalize;
    private final Param<String> preprocess;

    /** A new embedder with a random uid. */
    public ClipImageEmbedder() {
        this(Identifiable.randomUID("ClipImageEmbedder"));
    }

    /**
     * An embedder with the given uid (ML persistence loads through this).
     *
     * @param uid the stage's id
     */
    public ClipImageEmbedder(String uid) {
        super(uid);
        inputCol = new Param<>(uid, "inputCol", "the binary column of image bytes", String.class);
        outputCol = new Param<>(uid, "outputCol", "the array<float> column for the image embeddings", String.class);
        normalize = new BooleanParam(this, "normalize", "whether to L2-normalise the embeddings");
        preprocess = new Param<>(
                uid,
                "preprocess",
                "the preprocessing to reproduce: openai (OpenAI's _transform) or hf (Hugging Face's CLIPImageProcessor)",
                ParamValidators.inArray(new String[] {"openai", "hf"}),
                String.class);
        setDefault(inputCol, "content");
        setDefault(outputCol, "image_embeds");
        setDefault(normalize, false);
        setDefault(preprocess, "openai");
    }

    @Override
    ClipImageEmbedder self() {
        return this;
    }

    /** {@return the input column param} */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** {@return the output column param} */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** {@return the normalise param} */
    public BooleanParam normalize() {
        return normalize;
    }

    /** {@return the preprocessing param} */
    public Param<String> preprocess() {
        return preprocess;
    }

    /** {@return the binary column} */
    public String getInputCol() {
        return $(inputCol);
    }

    /** {@return the output column} */
    public String getOutputCol() {
        return $(outputCol);
    }

    /** {@return whether embeddings are L2-normalised} */
    public boolean getNormalize() {
        return (Boolean) $(normalize);
    }

    /** {@return {@code openai} or {@code hf}} */
    public String getPreprocess() {
        return $(preprocess);
    }

    /**
     * The binary column of image bytes (default {@code content}, binaryFile's).
     *
     * @param value a column name
     * @return this
     */
    public ClipImageEmbedder setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    /**
     * The output column (default {@code image_embeds}), {@code array<float>}.
     *
     * @param value a column name
     * @return this
     */
    public ClipImageEmbedder setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    /**
     * Whether to L2-normalise each embedding (default false): {@code v / |v|}, the norm in double.
     *
     * @param value true to normalise
     * @return this
     */
    public ClipImageEmbedder setNormalize(boolean value) {
        set(normalize, value);
        return this;
    }

    /**
     * The preprocessing to reproduce (default {@code openai}), as {@code --preprocess}.
     *
     * @param value {@code openai} or {@code hf}
     * @return this
     */
    public ClipImageEmbedder setPreprocess(String value) {
        set(preprocess, value.toLowerCase(Locale.ROOT));
        return this;
    }

    /** {@return the reader of saved embedders} */
    public static MLReader<ClipImageEmbedder> read() {
        return READER.read();
    }

    /**
     * Loads an embedder saved with {@link #save(String)}.
     *
     * @param path where it was saved
     * @return the embedder
     */
    public static ClipImageEmbedder load(String path) {
        return READER.load(path);
    }

    static Preprocess preprocessOf(String name) {
        return name.equals("hf") ? Preprocess.HF : Preprocess.OPENAI;
    }

    @Override
    void checkInput(StructType input) {
        column(input, "image", getInputCol(), DataTypes.BinaryType);
    }

    @Override
    List<StructField> outputFields(StructType input) {
        List<StructField> out = new ArrayList<>();
        out.add(DataTypes.createStructField(
                getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true));
        return out;
    }

    @Override
    BatchWork work(StructType input) {
        return new Work(
                modelSpec(),
                preprocessOf(getPreprocess()),
                getNormalize(),
                column(input, "image", getInputCol(), DataTypes.BinaryType),
                pathColumn(input),
                getInputCol());
    }

    /** A batch's embeddings. */
    private record Work(
            ModelSpec spec, Preprocess preprocess, boolean normalize, int imageAt, int pathAt, String column)
            implements BatchWork {
        @Override
        public List<Result> run(List<Row> rows) {
            ImageEncoder enc = spec.imageEncoder(preprocess);
            ImageRows.Embedded e = ImageRows.embed(enc, rows, imageAt, pathAt, column);
            List<Result> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                float[] v = normalize ? Vectors.normalized(e.embeds()[i]) : e.embeds()[i];
                out.add(new Result(new Object[] {v}, e.errors()[i]));
            }
            return out;
        }
    }
}
