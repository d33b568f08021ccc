package sdclip.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What the sdclip transformers share: the model and how to open it, the batch size, the error
 * column, and the way a transform runs. A transformer holds only these params (small, plain
 * values); the model is opened on each executor JVM once ({@link ModelCache}) and never travels
 * with a task. Rows stream through {@code mapPartitions} a batch at a time ({@link Batches}), so
 * no partition is ever held whole. A row that cannot be computed gets nulls in the output
 * columns and its one-line reason in the error column; a bad row never fails a task. What is
 * wrong with the job itself (a missing model, a model without the tower the transformer needs,
 * an unknown option) fails it, with the library's message.
 *
 * @param <T> the concrete transformer, which the setters return
 */
public abstract sealed class ClipTransformer<T extends ClipTransformer<T>> extends Transformer
        implements DefaultParamsWritable permits ClipImageEmbedder, ClipTextEmbedder, ClipScorer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> model;
    private final Param<String> tokenizer;
    private final IntArrayParam heads;
    private final IntParam visionHeads;
    private final IntParam batchSize;
    private final IntParam threads;
    private final Param<String> errorCol;

    /**
     * The shared params, with their defaults.
     *
     * @param uid this stage's id
     */
    ClipTransformer(String uid) {
        this.uid = uid;
        model = new Param<>(
                uid,
                "model",
                "the model: a local path (file or folder) or a file: URI, the same on every executor",
                String.class);
        tokenizer = new Param<>(
                uid,
                "tokenizer",
                "the vocabulary (bpe_simple_vocab_16e6.txt.gz, a vocab.json, or a folder with vocab.json and merges.txt); default: the model's own, else $SDCLIP_TOKENIZER",
                String.class);
        heads = new IntArrayParam(
                this,
                "heads",
                "attention heads of each text encoder, for checkpoints without a config (default: config.json, else width / 64)");
        visionHeads = new IntParam(
                this,
                "visionHeads",
                "attention heads of the vision tower, 0 to infer (config.json, else width / 64)",
                ParamValidators.gtEq(0));
        batchSize = new IntParam(
                this,
                "batchSize",
                "rows per batch: how many rows a task holds and encodes at a time",
                ParamValidators.gtEq(1));
        threads = new IntParam(
                this,
                "threads",
                "CPU threads of the model on each executor, 0 for the executor's cores (spark.executor.cores, the N of local[N], else every processor)",
                ParamValidators.gtEq(0));
        errorCol = new Param<>(
                uid,
                "errorCol",
                "the column for each row's error: null, or one line saying why the row has no result",
                String.class);
        setDefault(visionHeads, 0);
        setDefault(batchSize, 16);
        setDefault(threads, 0);
        setDefault(errorCol, "error");
    }

    @Override
    public String uid() {
        return uid;
    }

    /** {@return this, as the concrete type the setters return} */
    abstract T self();

    /** {@return the model param} */
    public Param<String> model() {
        return model;
    }

    /** {@return the tokenizer param} */
    public Param<String> tokenizer() {
        return tokenizer;
    }

    /** {@return the text heads param} */
    public IntArrayParam heads() {
        return heads;
    }

    /** {@return the vision heads param} */
    public IntParam visionHeads() {
        return visionHeads;
    }

    /** {@return the batch size param} */
    public IntParam batchSize() {
        return batchSize;
    }

    /** {@return the threads param} */
    public IntParam threads() {
        return threads;
    }

    /** {@return the error column param} */
    public Param<String> errorCol() {
        return errorCol;
    }

    /** {@return the model, as set} */
    public String getModel() {
        return $(model);
    }

    /** {@return the tokenizer, or null for the model's own} */
    public String getTokenizer() {
        return isDefined(tokenizer) ? $(tokenizer) : null;
    }

    /** {@return the text heads, or null to infer} */
    public int[] getHeads() {
        return isDefined(heads) ? $(heads).clone() : null;
    }

    /** {@return the vision heads, 0 to infer} */
    public int getVisionHeads() {
        return (Integer) $(visionHeads);
    }

    /** {@return rows per batch} */
    public int getBatchSize() {
        return (Integer) $(batchSize);
    }

    /** {@return CPU threads per executor, 0 for its cores} */
    public int getThreads() {
        return (Integer) $(threads);
    }

    /** {@return the error column} */
    public String getErrorCol() {
        return $(errorCol);
    }

    /**
     * The model (as {@code score --model} takes it): a local path to a file or folder, or a
     * {@code file:} URI, readable at that path on every executor.
     *
     * @param value the model
     * @return this
     */
    public T setModel(String value) {
        set(model, value);
        return self();
    }

    /**
     * The vocabulary, as {@code --tokenizer}; by default the model's own, else {@code $SDCLIP_TOKENIZER}.
     *
     * @param value a path or {@code file:} URI
     * @return this
     */
    public T setTokenizer(String value) {
        set(tokenizer, value);
        return self();
    }

    /**
     * Attention heads of the text encoder, as {@code --heads} (for checkpoints without a config).
     *
     * @param value heads of text encoder 1
     * @return this
     */
    public T setHeads(int value) {
        return setHeads(new int[] {value});
    }

    /**
     * Attention heads of each text encoder, as {@code --heads N,N} (SDXL's two).
     *
     * @param value heads per encoder, encoder 1 first
     * @return this
     */
    public T setHeads(int[] value) {
        set(heads, value.clone());
        return self();
    }

    /**
     * Attention heads of the vision tower, as {@code --vision-heads}.
     *
     * @param value heads, 0 to infer
     * @return this
     */
    public T setVisionHeads(int value) {
        set(visionHeads, value);
        return self();
    }

    /**
     * Rows per batch (default 16): what a task holds and encodes at once.
     *
     * @param value at least 1
     * @return this
     */
    public T setBatchSize(int value) {
        set(batchSize, value);
        return self();
    }

    /**
     * CPU threads of the model on each executor (default 0: the executor's cores). The model is
     * shared by the executor's concurrent tasks and runs one forward pass at a time on these
     * threads, so one model per JVM keeps every core busy.
     *
     * @param value threads, 0 for the executor's cores
     * @return this
     */
    public T setThreads(int value) {
        set(threads, value);
        return self();
    }

    /**
     * The error column (default {@code "error"}). When the input already has it (an earlier
     * sdclip stage), an earlier error is kept and this stage's is appended after {@code "; "}.
     *
     * @param value a column name
     * @return this
     */
    public T setErrorCol(String value) {
        set(errorCol, value);
        return self();
    }

    /** {@return how to open the model on an executor: the params, checked for form (not for existence: executors read it)} */
    ModelSpec modelSpec() {
        if (!isDefined(model))
            throw new IllegalArgumentException(getClass().getSimpleName() + " " + uid + ": no model (call setModel)");
        Locations.check("model", getModel());
        if (getTokenizer() != null) Locations.check("tokenizer", getTokenizer());
        return new ModelSpec(getModel(), getTokenizer(), getHeads(), getVisionHeads(), getThreads());
    }

    /** The columns this stage adds, in order (the error column aside). */
    abstract List<StructField> outputFields(StructType input);

    /** Checks the input columns, their types, and the options that need no model. */
    abstract void checkInput(StructType input);

    /** What a task does to a batch: serializable, holding params only. */
    abstract BatchWork work(StructType input);

    @Override
    public StructType transformSchema(StructType schema) {
        modelSpec();
        checkInput(schema);
        List<String> names = Arrays.asList(schema.fieldNames());
        StructType out = schema;
        for (StructField f : outputFields(schema)) {
            if (names.contains(f.name()))
                throw new IllegalArgumentException(
                        "output column " + f.name() + " already exists in the input; choose another name");
            out = out.add(f);
        }
        String error = getErrorCol();
        int at = names.indexOf(error);
        if (at < 0) return out.add(DataTypes.createStructField(error, DataTypes.StringType, true));
        if (!schema.fields()[at].dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("error column " + error + " exists in the input as "
                    + schema.fields()[at].dataType().simpleString() + ", not string; choose another name");
        }
        return out;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType input = dataset.schema();
        StructType output = transformSchema(input);
        int batch = getBatchSize();
        int errorAt = Arrays.asList(input.fieldNames()).indexOf(getErrorCol());
        MapPartitionsFunction<Row, Row> f = new Batches(work(input), batch, input.size(), output.size(), errorAt);
        Dataset<Row> out = dataset.toDF().mapPartitions(f, Encoders.row(output));
        // The encoder's schema drops column metadata: put back the input's, and the outputs' (the conditioning's
        // layout).
        for (StructField field : output.fields()) {
            if (!field.metadata().equals(Metadata.empty())) out = out.withMetadata(field.name(), field.metadata());
        }
        return out;
    }

    @Override
    public Transformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** The index of {@code name} in {@code schema}, of one of {@code types}, or why not. */
    static int column(StructType schema, String what, String name, DataType... types) {
        List<String> names = Arrays.asList(schema.fieldNames());
        int at = names.indexOf(name);
        if (at < 0)
            throw new IllegalArgumentException(
                    what + " column " + name + " is not in the input (columns: " + String.join(", ", names) + ")");
        DataType type = schema.fields()[at].dataType();
        List<String> wanted = new ArrayList<>();
        for (DataType t : types) {
            if (t.equals(type)) return at;
            wanted.add(t.simpleString());
        }
        throw new IllegalArgumentException(
                what + " column " + name + " is " + type.simpleString() + ", not " + String.join(" or ", wanted));
    }

    /** What messages call row images: the {@code path} column of Spark's binaryFile source when there is one, else -1. */
    static int pathColumn(StructType schema) {
        int at = Arrays.asList(schema.fieldNames()).indexOf("path");
        return at >= 0 && schema.fields()[at].dataType().equals(DataTypes.StringType) ? at : -1;
    }
}
