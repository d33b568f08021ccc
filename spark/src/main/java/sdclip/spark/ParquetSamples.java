package sdclip.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Parquet input: a table with a caption column and either the images' bytes or their paths
 * (img2dataset's and DataComp's layouts, or any other given the column names). Read a record
 * at a time with only the columns used.
 */
final class ParquetSamples {
    private ParquetSamples() {}

    /**
     * The columns to read, as given or the defaults: {@code key} or {@code uid}; {@code jpg},
     * {@code image} or {@code content} (bytes), else {@code path} or {@code image_path};
     * {@code caption} or {@code text}.
     *
     * @param key     the key column, or null to key rows FILE:ROW
     * @param image   the binary image column, or null
     * @param path    the image path column, or null (one of image and path is set, unless only texts are read)
     * @param caption the caption column, or null
     */
    record Columns(String key, String image, String path, String caption) implements Serializable {}

    /**
     * The columns of {@code schema} to read for {@code o}.
     *
     * @throws JobInputs.InputException naming {@code file}, when a column asked for is missing or
     *                                  of the wrong type, or no default is there
     */
    static Columns columns(MessageType schema, JobOptions o, String file) throws JobInputs.InputException {
        String key = pick(schema, o.keyCol(), "--key-col", file, false, "key", "uid");
        String image = null, path = null;
        if (o.work().images()) {
            if (o.pathCol() != null) path = pick(schema, o.pathCol(), "--path-col", file, false);
            else if (o.imageCol() != null) image = pick(schema, o.imageCol(), "--image-col", file, true);
            else {
                image = pick(schema, null, "--image-col", file, true, "jpg", "image", "content");
                if (image == null) path = pick(schema, null, "--path-col", file, false, "path", "image_path");
                if (image == null && path == null)
                    throw new JobInputs.InputException(file + ": no image column (jpg, image, content) or path column"
                            + " (path, image_path); name one with --image-col or --path-col (columns: " + names(schema)
                            + ")");
            }
        }
        String caption = pick(schema, o.captionCol(), "--caption-col", file, false, "caption", "text");
        if (caption == null && o.work().texts())
            throw new JobInputs.InputException(file + ": no caption column (caption, text); name one with --caption-col"
                    + " (columns: " + names(schema) + ")");
        return new Columns(key, image, path, caption);
    }

    /** The column given (which must be there) or the first default that is; null when none is. */
    private static String pick(
            MessageType schema, String given, String flag, String file, boolean binary, String... defaults)
            throws JobInputs.InputException {
        if (given != null) {
            if (!schema.containsField(given))
                throw new JobInputs.InputException(
                        file + ": no column " + given + " (" + flag + "; columns: " + names(schema) + ")");
            check(schema.getType(given), binary, flag, file);
            return given;
        }
        for (String d : defaults) {
            if (schema.containsField(d)) {
                check(schema.getType(d), binary, flag, file);
                return d;
            }
        }
        return null;
    }

    /** A column is a plain value: bytes for an image, a string or a number otherwise. */
    private static void check(Type t, boolean binary, String flag, String file) throws JobInputs.InputException {
        String why = null;
        if (!t.isPrimitive() || t.isRepetition(Type.Repetition.REPEATED)) why = "not a single value";
        else {
            PrimitiveType p = t.asPrimitiveType();
            boolean bytes = p.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY;
            boolean string =
                    bytes && p.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation;
            if (binary && !bytes) why = "not binary";
            if (binary && string) why = "a string, not image bytes (for paths use --path-col)";
            if (!binary
                    && !bytes
                    && p.getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT32
                    && p.getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.INT64) why = "not a string";
        }
        if (why != null)
            throw new JobInputs.InputException(file + ": column " + t.getName() + " is " + why + " (" + flag + ")");
    }

    private static String names(MessageType schema) {
        List<String> n = new ArrayList<>();
        for (Type t : schema.getFields()) n.add(t.getName());
        return String.join(", ", n);
    }

    /** The schema of a parquet file, from its footer. */
    static MessageType schema(Path file, Configuration conf) throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            return r.getFooter().getFileMetaData().getSchema();
        } catch (IOException | RuntimeException e) {
            throw new JobInputs.InputException(file + ": not a parquet file sdclip can read (" + e.getMessage() + ")");
        }
    }

    /** A file's rows, with the columns resolved for it against the options' names. */
    static PartSamples.Rows open(Path file, Columns columns, Configuration conf) throws IOException {
        MessageType schema = schema(file, conf);
        List<Type> fields = new ArrayList<>();
        for (String c : new String[] {columns.key(), columns.image(), columns.path(), columns.caption()}) {
            if (c == null) continue;
            if (!schema.containsField(c))
                throw new JobInputs.InputException(file + ": no column " + c + " (columns: " + names(schema) + ")");
            fields.add(schema.getType(c));
        }
        Configuration c = new Configuration(conf);
        c.set(ReadSupport.PARQUET_READ_SCHEMA, new MessageType(schema.getName(), fields).toString());
        ParquetReader<Group> reader =
                ParquetReader.builder(new GroupReadSupport(), file).withConf(c).build();
        Path folder = file.getParent();
        return new PartSamples.Rows() {
            private long row;
            private Group next;
            private boolean ended;

            @Override
            public boolean hasNext() {
                if (next == null && !ended) {
                    try {
                        next = reader.read();
                    } catch (IOException e) {
                        throw new IllegalStateException(file + ": " + e.getMessage(), e);
                    }
                    ended = next == null;
                }
                return next != null;
            }

            @Override
            public Sample next() {
                if (!hasNext()) throw new NoSuchElementException();
                Group g = next;
                next = null;
                long r = row++;
                String key = columns.key() == null ? file.getName() + ":" + r : value(g, columns.key());
                if (key == null) key = file.getName() + ":" + r;
                String caption = columns.caption() == null ? null : value(g, columns.caption());
                if (columns.image() != null) {
                    byte[] image = g.getFieldRepetitionCount(columns.image()) == 0
                            ? null
                            : g.getBinary(columns.image(), 0).getBytes();
                    String name = file + "#" + key;
                    String error = image != null && image.length > PartSamples.MAX_IMAGE_BYTES
                            ? name + ": over the limit of " + PartSamples.MAX_IMAGE_BYTES + " bytes"
                            : null;
                    return new Sample(key, name, error == null ? image : null, caption, error);
                }
                if (columns.path() != null) {
                    String p = value(g, columns.path());
                    if (p == null)
                        return new Sample(key, null, null, caption, file + "#" + key + ": no image path (null)");
                    Path given = new Path(p);
                    Path image = given.isAbsolute() || given.toUri().getScheme() != null ? given : new Path(folder, p);
                    try {
                        return new Sample(
                                key,
                                image.toString(),
                                PartSamples.read(image, PartSamples.MAX_IMAGE_BYTES, conf),
                                caption,
                                null);
                    } catch (IOException e) {
                        return new Sample(key, image.toString(), null, caption, RowErrors.message(e));
                    }
                }
                return new Sample(key, null, null, caption, null);
            }

            @Override
            public void close() throws IOException {
                reader.close();
            }
        };
    }

    /** A string or whole-number column's value, or null. */
    private static String value(Group g, String column) {
        if (g.getFieldRepetitionCount(column) == 0) return null;
        return g.getValueToString(g.getType().getFieldIndex(column), 0);
    }
}
