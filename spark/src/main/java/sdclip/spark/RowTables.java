package sdclip.spark;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * {@link JobRow}s as parquet, written from inside a task through parquet-hadoop (on Spark's
 * class path): the layouts of the output's parts, of clip-retrieval's metadata, and of the
 * scored rows the top fraction is chosen from. Embeddings are {@code array<float>} as Spark
 * writes it (a three-level list of required floats), or with {@code f16} binary: each value's
 * IEEE half-precision bits, two bytes little-endian, value after value.
 */
final class RowTables {
    private RowTables() {}

    /** Which columns a table has. */
    enum Layout {
        /** The output's parts: key, path, caption, scores, embeddings, error. */
        PARTS,
        /** clip-retrieval's metadata: key, image_path, caption, scores. */
        METADATA,
        /** The scored rows of a top-fraction job: the parts' columns in F32, and the row's place. */
        SCORED
    }

    /** The table's schema for a job. */
    static MessageType schema(Layout layout, JobOptions o) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        b.required(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named("key");
        b.optional(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named(layout == Layout.METADATA ? "image_path" : "path");
        b.optional(PrimitiveTypeName.BINARY)
                .as(LogicalTypeAnnotation.stringType())
                .named("caption");
        if (o.work() == JobOptions.Work.SCORE) {
            b.optional(PrimitiveTypeName.DOUBLE).named("clip_cosine");
            b.optional(PrimitiveTypeName.DOUBLE).named("clip_score");
        }
        if (layout != Layout.METADATA) {
            boolean f16 = o.f16() && layout == Layout.PARTS;
            if (o.imageEmbeds()) b.addField(embeds("image_embeds", f16));
            if (o.textEmbeds()) b.addField(embeds("text_embeds", f16));
            b.optional(PrimitiveTypeName.BINARY)
                    .as(LogicalTypeAnnotation.stringType())
                    .named("error");
        }
        if (layout == Layout.SCORED) b.required(PrimitiveTypeName.INT64).named("row");
        return b.named("sdclip_clip_job");
    }

    private static Type embeds(String name, boolean f16) {
        if (f16) return Types.optional(PrimitiveTypeName.BINARY).named(name);
        return Types.optionalList().requiredElement(PrimitiveTypeName.FLOAT).named(name);
    }

    /** A writer of {@code schema} rows to a new file (a temporary one: see {@link Publisher}). */
    static ParquetWriter<Group> writer(Path file, MessageType schema, Configuration conf) throws IOException {
        return ExampleParquetWriter.builder(HadoopOutputFile.fromPath(file, conf))
                .withConf(conf)
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .build();
    }

    /** A row as a record of {@code schema}. */
    static Group group(MessageType schema, JobRow r) {
        Group g = new SimpleGroupFactory(schema).newGroup();
        g.add("key", r.key());
        String pathColumn = schema.containsField("path") ? "path" : "image_path";
        if (r.path() != null) g.add(pathColumn, r.path());
        if (r.caption() != null) g.add("caption", r.caption());
        if (schema.containsField("clip_cosine") && r.cosine() != null) {
            g.add("clip_cosine", r.cosine());
            g.add("clip_score", r.score());
        }
        addEmbeds(schema, g, "image_embeds", r.image());
        addEmbeds(schema, g, "text_embeds", r.text());
        if (schema.containsField("error") && r.error() != null) g.add("error", r.error());
        if (schema.containsField("row")) g.add("row", r.row());
        return g;
    }

    private static void addEmbeds(MessageType schema, Group g, String column, float[] v) {
        if (!schema.containsField(column) || v == null) return;
        if (schema.getType(column).isPrimitive()) {
            g.add(column, Binary.fromConstantByteArray(f16(v)));
            return;
        }
        Group list = g.addGroup(column);
        for (float x : v) list.addGroup("list").add("element", x);
    }

    /** IEEE half-precision values, two bytes each, little-endian (numpy's {@code <f2}), rounded to nearest even. */
    static byte[] f16(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putShort(Float.floatToFloat16(x));
        return b.array();
    }

    /** The floats of {@link #f16} bytes. */
    static float[] fromF16(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.length / 2];
        for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(in.getShort());
        return out;
    }

    /** Reads a {@link Layout#SCORED} table back, a row at a time. */
    static final class ScoredReader implements AutoCloseable {
        private final ParquetReader<Group> reader;

        ScoredReader(Path file, Configuration conf) throws IOException {
            reader = ParquetReader.builder(new GroupReadSupport(), file)
                    .withConf(conf)
                    .build();
        }

        /** {@return the next row, or null at the end} */
        JobRow next() throws IOException {
            Group g = reader.read();
            if (g == null) return null;
            return new JobRow(
                    string(g, "key"),
                    string(g, "path"),
                    string(g, "caption"),
                    dbl(g, "clip_cosine"),
                    dbl(g, "clip_score"),
                    floats(g, "image_embeds"),
                    floats(g, "text_embeds"),
                    string(g, "error"),
                    g.getLong("row", 0));
        }

        private static boolean has(Group g, String column) {
            return g.getType().containsField(column) && g.getFieldRepetitionCount(column) > 0;
        }

        private static String string(Group g, String column) {
            return has(g, column) ? g.getString(column, 0) : null;
        }

        private static Double dbl(Group g, String column) {
            return has(g, column) ? g.getDouble(column, 0) : null;
        }

        private static float[] floats(Group g, String column) {
            if (!has(g, column)) return null;
            Group list = g.getGroup(column, 0);
            float[] v = new float[list.getFieldRepetitionCount("list")];
            for (int i = 0; i < v.length; i++) v[i] = list.getGroup("list", i).getFloat("element", 0);
            return v;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}
