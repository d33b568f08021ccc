package sdclip.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import sdclip.model.EncodeRequest;
import sdclip.model.PromptOptions;
import sdclip.model.TextEncoder;
import sdclip.model.TextOutput;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.PromptSyntax;

/**
 * Text embeddings or conditioning of a string column, as {@code sdclip encode}: one of
 * {@code text_embeds} (the projected CLIP embedding; needs a text projection), {@code pooled_output},
 * or {@code conditioning} (what a diffusion model is conditioned on, {@code [77 c, D]} flattened
 * row-major, c the prompt's chunks: 1 for plain prompts; the layout is in the column's metadata),
 * as {@code array<float>}, equal to the library's for each text alone, bit for bit. Prompts are
 * read as plain CLIP text, or with A1111's or ComfyUI's syntax (weights, BREAK, textual
 * inversion embeddings). A text that cannot be encoded (a weight that is not a number) gets a null
 * output and the reason in the error column.
 */
public final class ClipTextEmbedder extends ClipTransformer<ClipTextEmbedder> {
    private static final long serialVersionUID = 1L;
    private static final DefaultParamsReadable<ClipTextEmbedder> READER = new DefaultParamsReadable<>() {};

    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> output;
    private final BooleanParam normalize;
    private final Param<String> syntax;
    private final IntParam clipSkip;
    private final Param<String> embeddings;

    /** A new embedder with a random uid. */
    public ClipTextEmbedder() {
        this(Identifiable.randomUID("ClipTextEmbedder"));
    }

    /**
     * An embedder with the given uid (ML persistence loads through this).
     *
     * @param uid the stage's id
     */
    public ClipTextEmbedder(String uid) {
        super(uid);
        inputCol = new Param<>(uid, "inputCol", "the string column of texts", String.class);
        outputCol = new Param<>(
                uid, "outputCol", "the array<float> output column (default: the output's name)", String.class);
        output = new Param<>(
                uid,
                "output",
                "what to compute: text_embeds, pooled_output or conditioning",
                ParamValidators.inArray(new String[] {"text_embeds", "pooled_output", "conditioning"}),
                String.class);
        normalize = new BooleanParam(this, "normalize", "whether to L2-normalise text_embeds or pooled_output");
        syntax = new Param<>(
                uid,
                "syntax",
                "how prompts are read: plain (CLIP), a1111 or comfy",
                ParamValidators.inArray(new String[] {"plain", "a1111", "comfy"}),
                String.class);
        clipSkip = new IntParam(
                this,
                "clipSkip",
                "the conditioning's layer, counted from the end as --clip-skip; 0 for the family's default",
                ParamValidators.gtEq(0));
        embeddings = new Param<>(
                uid,
                "embeddings",
                "textual inversion embeddings: a file or a folder of them (needs the a1111 or comfy syntax)",
                String.class);
        setDefault(inputCol, "text");
        setDefault(output, "text_embeds");
        setDefault(normalize, false);
        setDefault(syntax, "plain");
        setDefault(clipSkip, 0);
    }

    @Override
    ClipTextEmbedder self() {
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

    /** {@return the output param} */
    public Param<String> output() {
        return output;
    }

    /** {@return the normalise param} */
    public BooleanParam normalize() {
        return normalize;
    }

    /** {@return the syntax param} */
    public Param<String> syntax() {
        return syntax;
    }

    /** {@return the clip skip param} */
    public IntParam clipSkip() {
        return clipSkip;
    }

    /** {@return the embeddings param} */
    public Param<String> embeddings() {
        return embeddings;
    }

    /** {@return the string column} */
    public String getInputCol() {
        return $(inputCol);
    }

    /** {@return the output column: as set, else the output's name} */
    public String getOutputCol() {
        return isDefined(outputCol) ? $(outputCol) : getOutput();
    }

    /** {@return {@code text_embeds}, {@code pooled_output} or {@code conditioning}} */
    public String getOutput() {
        return $(output);
    }

    /** {@return whether outputs are L2-normalised} */
    public boolean getNormalize() {
        return (Boolean) $(normalize);
    }

    /** {@return {@code plain}, {@code a1111} or {@code comfy}} */
    public String getSyntax() {
        return $(syntax);
    }

    /** {@return the clip skip, 0 for the family's default} */
    public int getClipSkip() {
        return (Integer) $(clipSkip);
    }

    /** {@return the embeddings file or folder, or null} */
    public String getEmbeddings() {
        return isDefined(embeddings) ? $(embeddings) : null;
    }

    /**
     * The string column (default {@code text}).
     *
     * @param value a column name
     * @return this
     */
    public ClipTextEmbedder setInputCol(String value) {
        set(inputCol, value);
        return this;
    }

    /**
     * The output column, {@code array<float>} (default: the output's name).
     *
     * @param value a column name
     * @return this
     */
    public ClipTextEmbedder setOutputCol(String value) {
        set(outputCol, value);
        return this;
    }

    /**
     * What to compute (default {@code text_embeds}).
     *
     * @param value {@code text_embeds}, {@code pooled_output} or {@code conditioning}
     * @return this
     */
    public ClipTextEmbedder setOutput(String value) {
        set(output, value.toLowerCase(Locale.ROOT));
        return this;
    }

    /**
     * Whether to L2-normalise {@code text_embeds} or {@code pooled_output} (default false).
     *
     * @param value true to normalise
     * @return this
     */
    public ClipTextEmbedder setNormalize(boolean value) {
        set(normalize, value);
        return this;
    }

    /**
     * How prompts are read (default {@code plain}), as {@code --syntax}.
     *
     * @param value {@code plain}, {@code a1111} or {@code comfy}
     * @return this
     */
    public ClipTextEmbedder setSyntax(String value) {
        set(syntax, value.toLowerCase(Locale.ROOT));
        return this;
    }

    /**
     * The conditioning's layer, as {@code --clip-skip} (default 0, the family's default).
     *
     * @param value from 1, counted from the end, or 0
     * @return this
     */
    public ClipTextEmbedder setClipSkip(int value) {
        set(clipSkip, value);
        return this;
    }

    /**
     * Textual inversion embeddings, as {@code --embeddings}: a file or a folder, read once per
     * executor; the trigger is the file name without extension. Needs the a1111 or comfy syntax.
     *
     * @param value a local path or {@code file:} URI
     * @return this
     */
    public ClipTextEmbedder setEmbeddings(String value) {
        set(embeddings, value);
        return this;
    }

    /** {@return the reader of saved embedders} */
    public static MLReader<ClipTextEmbedder> read() {
        return READER.read();
    }

    /**
     * Loads an embedder saved with {@link #save(String)}.
     *
     * @param path where it was saved
     * @return the embedder
     */
    public static ClipTextEmbedder load(String path) {
        return READER.load(path);
    }

    @Override
    void checkInput(StructType input) {
        column(input, "text", getInputCol(), DataTypes.StringType);
        if (getNormalize() && getOutput().equals("conditioning"))
            throw new IllegalArgumentException(
                    "normalize applies to text_embeds and pooled_output, not the conditioning");
        if (getEmbeddings() != null) {
            if (getSyntax().equals("plain"))
                throw new IllegalArgumentException("textual inversion embeddings need the a1111 or comfy syntax");
            Locations.check("embeddings", getEmbeddings());
        }
    }

    @Override
    List<StructField> outputFields(StructType input) {
        MetadataBuilder meta = new MetadataBuilder().putString("sdclip_output", getOutput());
        if (getOutput().equals("conditioning")) {
            meta.putString("layout", "row-major [77 * chunks, width]: token by token, each token's width values");
            meta.putLong("tokens_per_chunk", TextRows.CHUNK);
            long width = conditioningWidth();
            if (width > 0) meta.putLong("width", width);
        }
        Metadata m = meta.build();
        List<StructField> out = new ArrayList<>();
        out.add(DataTypes.createStructField(
                getOutputCol(), DataTypes.createArrayType(DataTypes.FloatType, false), true, m));
        return out;
    }

    /** The conditioning's width when the driver can read the model's header and it has one text encoder; else 0. */
    private long conditioningWidth() {
        try {
            if (Locations.scheme(getModel()) != null && !"file".equals(Locations.scheme(getModel()))) return 0;
            var path = Locations.local(getModel());
            if (!Files.exists(path)) return 0;
            try (Checkpoint c = Checkpoint.open(path, getHeads())) {
                return c.encoders().size() == 1
                        ? c.encoders().getFirst().config().width()
                        : 0;
            }
        } catch (IOException | RuntimeException e) {
            return 0; // the executors report what is wrong with the model
        }
    }

    @Override
    BatchWork work(StructType input) {
        TextOutput out = switch (getOutput()) {
            case "pooled_output" -> TextOutput.POOLED_OUTPUT;
            case "conditioning" -> TextOutput.CONDITIONING;
            default -> TextOutput.TEXT_EMBEDS;
        };
        return new Work(
                modelSpec(),
                out,
                getClipSkip(),
                PromptSyntax.valueOf(getSyntax().toUpperCase(Locale.ROOT)),
                getEmbeddings(),
                getNormalize(),
                column(input, "text", getInputCol(), DataTypes.StringType),
                getInputCol());
    }

    /** A batch's outputs. */
    private record Work(
            ModelSpec spec,
            TextOutput output,
            int clipSkip,
            PromptSyntax syntax,
            String embeddings,
            boolean normalize,
            int textAt,
            String column)
            implements BatchWork {
        @Override
        public List<Result> run(List<Row> rows) {
            TextEncoder enc = spec.textEncoder(null);
            PromptOptions prompts = PromptOptions.plain().withSyntax(syntax);
            if (embeddings != null) prompts = prompts.withEmbeddings(embeddingFiles());
            EncodeRequest request = EncodeRequest.of(output).clipSkip(clipSkip).prompts(prompts);
            TextRows.Encoded e = TextRows.encode(enc, rows, textAt, column, request, output.id(), spec.model());
            List<Result> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                float[] v = normalize ? Vectors.normalized(e.values()[i]) : e.values()[i];
                out.add(new Result(new Object[] {v}, e.errors()[i]));
            }
            return out;
        }

        /** The embeddings, read once per JVM. */
        private EmbeddingFiles embeddingFiles() {
            ModelSpec.FileId id = ModelSpec.FileId.of(embeddings);
            return ModelCache.get(List.of("embeddings", id), () -> EmbeddingFiles.load(List.of(id.local())));
        }
    }
}
