package sdclip.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sdclip.model.ClipScore;
import sdclip.model.EncodeRequest;
import sdclip.model.ImageEncoder;
import sdclip.model.TextEncoder;
import sdclip.model.image.Preprocess;

/**
 * CLIPScore of image-caption pairs, as {@code sdclip score}: for each row, the cosine of the
 * image's and the caption's CLIP embeddings ({@code clip_cosine}, double) and torchmetrics'
 * CLIPScore {@code max(100 cos, 0)} ({@code clip_score}, double). The image comes as bytes (a
 * binary column), the caption as a string. With {@link #setTextModel} the caption goes through
 * another checkpoint's text tower (an SD 1.x, 2.x or SDXL checkpoint; SDXL's encoder 1, CLIP-L)
 * and the CLIP model's text projection: the per-model CLIPScore of {@code score --text-model}.
 * Values equal the library's for the same pair, bit for bit. A row whose image or caption cannot
 * be read gets nulls and the reasons in the error column.
 */
public final class ClipScorer extends ClipTransformer<ClipScorer> {
    private static final long serialVersionUID = 1L;
    private static final DefaultParamsReadable<ClipScorer> READER = new DefaultParamsReadable<>() {};

    private final Param<String> imageCol;
    private final Param<String> textCol;
    private final Param<String> textModel;
    private final Param<String> cosineCol;
    private final Param<String> scoreCol;
    private final Param<String> preprocess;

    /** A new scorer with a random uid. */
    public ClipScorer() {
        this(Identifiable.randomUID("ClipScorer"));
    }

    /**
     * A scorer with the given uid (ML persistence loads through this).
     *
     * @param uid the stage's id
     */
    public ClipScorer(String uid) {
        super(uid);
        imageCol = new Param<>(uid, "imageCol", "the binary column of image bytes", String.class);
        textCol = new Param<>(uid, "textCol", "the string column of captions", String.class);
        textModel = new Param<>(
                uid,
                "textModel",
                "a checkpoint whose text tower encodes the captions through the model's text projection (optional)",
                String.class);
        cosineCol = new Param<>(uid, "cosineCol", "the double column for the cosine", String.class);
        scoreCol = new Param<>(uid, "scoreCol", "the double column for CLIPScore, max(100 cos, 0)", String.class);
        preprocess = new Param<>(
                uid,
                "preprocess",
                "the preprocessing to reproduce: openai (OpenAI's _transform) or hf (Hugging Face's CLIPImageProcessor)",
                ParamValidators.inArray(new String[] {"openai", "hf"}),
                String.class);
        setDefault(imageCol, "content");
        setDefault(textCol, "text");
        setDefault(cosineCol, "clip_cosine");
        setDefault(scoreCol, "clip_score");
        setDefault(preprocess, "openai");
    }

    @Override
    ClipScorer self() {
        return this;
    }

    /** {@return the image column param} */
    public Param<String> imageCol() {
        return imageCol;
    }

    /** {@return the caption column param} */
    public Param<String> textCol() {
        return textCol;
    }

    /** {@return the text model param} */
    public Param<String> textModel() {
        return textModel;
    }

    /** {@return the cosine column param} */
    public Param<String> cosineCol() {
        return cosineCol;
    }

    /** {@return the score column param} */
    public Param<String> scoreCol() {
        return scoreCol;
    }

    /** {@return the preprocessing param} */
    public Param<String> preprocess() {
        return preprocess;
    }

    /** {@return the binary column} */
    public String getImageCol() {
        return $(imageCol);
    }

    /** {@return the caption column} */
    public String getTextCol() {
        return $(textCol);
    }

    /** {@return the text model, or null for the CLIP model's own text tower} */
    public String getTextModel() {
        return isDefined(textModel) ? $(textModel) : null;
    }

    /** {@return the cosine column} */
    public String getCosineCol() {
        return $(cosineCol);
    }

    /** {@return the score column} */
    public String getScoreCol() {
        return $(scoreCol);
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
    public ClipScorer setImageCol(String value) {
        set(imageCol, value);
        return this;
    }

    /**
     * The string column of captions (default {@code text}).
     *
     * @param value a column name
     * @return this
     */
    public ClipScorer setTextCol(String value) {
        set(textCol, value);
        return this;
    }

    /**
     * Encode captions with this checkpoint's text tower through the CLIP model's text
     * projection, as {@code score --text-model}: the per-model CLIPScore of an SD checkpoint.
     *
     * @param value a local path or {@code file:} URI
     * @return this
     */
    public ClipScorer setTextModel(String value) {
        set(textModel, value);
        return this;
    }

    /**
     * The cosine column (default {@code clip_cosine}).
     *
     * @param value a column name
     * @return this
     */
    public ClipScorer setCosineCol(String value) {
        set(cosineCol, value);
        return this;
    }

    /**
     * The CLIPScore column (default {@code clip_score}).
     *
     * @param value a column name
     * @return this
     */
    public ClipScorer setScoreCol(String value) {
        set(scoreCol, value);
        return this;
    }

    /**
     * The preprocessing to reproduce (default {@code openai}), as {@code --preprocess}.
     *
     * @param value {@code openai} or {@code hf}
     * @return this
     */
    public ClipScorer setPreprocess(String value) {
        set(preprocess, value.toLowerCase(Locale.ROOT));
        return this;
    }

    /** {@return the reader of saved scorers} */
    public static MLReader<ClipScorer> read() {
        return READER.read();
    }

    /**
     * Loads a scorer saved with {@link #save(String)}.
     *
     * @param path where it was saved
     * @return the scorer
     */
    public static ClipScorer load(String path) {
        return READER.load(path);
    }

    @Override
    void checkInput(StructType input) {
        column(input, "image", getImageCol(), DataTypes.BinaryType);
        column(input, "text", getTextCol(), DataTypes.StringType);
        if (getTextModel() != null) Locations.check("text model", getTextModel());
    }

    @Override
    List<StructField> outputFields(StructType input) {
        return List.of(
                DataTypes.createStructField(getCosineCol(), DataTypes.DoubleType, true),
                DataTypes.createStructField(getScoreCol(), DataTypes.DoubleType, true));
    }

    @Override
    BatchWork work(StructType input) {
        return new Work(
                modelSpec(),
                getTextModel(),
                ClipImageEmbedder.preprocessOf(getPreprocess()),
                column(input, "image", getImageCol(), DataTypes.BinaryType),
                pathColumn(input),
                getImageCol(),
                column(input, "text", getTextCol(), DataTypes.StringType),
                getTextCol());
    }

    /** A batch's scores; {@link ClipJob} takes the embeddings too, through {@link #pairs}. */
    record Work(
            ModelSpec spec,
            String textModel,
            Preprocess preprocess,
            int imageAt,
            int pathAt,
            String imageColumn,
            int textAt,
            String textColumn)
            implements BatchWork {

        /**
         * Per row: the caption's and the image's raw embeddings and their cosine, or nulls and the
         * reasons (the image's first).
         */
        record Pairs(float[][] texts, float[][] images, Double[] cosines, String[] errors) {}

        @Override
        public List<Result> run(List<Row> rows) {
            Pairs p = pairs(rows);
            List<Result> out = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                Double cos = p.cosines()[r];
                out.add(
                        cos == null
                                ? new Result(new Object[] {null, null}, p.errors()[r])
                                : new Result(new Object[] {cos, ClipScore.CLIPSCORE.pair(cos)}, null));
            }
            return out;
        }

        Pairs pairs(List<Row> rows) {
            ImageEncoder images = spec.imageEncoder(preprocess);
            TextEncoder texts = spec.textEncoder(textModel);
            int encoders = texts.configs().size();
            // As score: SDXL and SD3 text models give the encoder that takes the CLIP projection, CLIP-L (1).
            EncodeRequest request = EncodeRequest.pooledOnly().encoder(encoders == 1 ? 0 : 1);
            String tower = textModel != null ? textModel : spec.model();
            TextRows.Encoded t = TextRows.encode(texts, rows, textAt, textColumn, request, "text_embeds", tower);
            ImageRows.Embedded i = ImageRows.embed(images, rows, imageAt, pathAt, imageColumn);
            int n = rows.size();
            Double[] cosines = new Double[n];
            String[] errors = new String[n];
            for (int r = 0; r < n; r++) {
                float[] x = t.values()[r], y = i.embeds()[r];
                if (x == null || y == null) {
                    errors[r] = i.errors()[r] == null
                            ? t.errors()[r]
                            : t.errors()[r] == null ? i.errors()[r] : i.errors()[r] + "; " + t.errors()[r];
                    continue;
                }
                if (x.length != y.length) {
                    throw new IllegalArgumentException(
                            "text embeddings have " + x.length + " values but " + spec.model() + "'s image embeddings "
                                    + y.length + "; the text tower must go through the CLIP model's text projection");
                }
                cosines[r] = ClipScore.cosine(x, 0, y, 0, x.length);
            }
            return new Pairs(t.values(), i.embeds(), cosines, errors);
        }
    }
}
