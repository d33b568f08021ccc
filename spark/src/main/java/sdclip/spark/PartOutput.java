package sdclip.spark;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.schema.MessageType;

/**
 * One part's output files, written under temporary names and published together by
 * {@link #publish} (each by {@link Publisher}); {@link #close} deletes what was not published.
 */
abstract sealed class PartOutput implements AutoCloseable {
    final FileSystem fs;
    final Path temporary;
    private final List<Path[]> files = new ArrayList<>(); // {temporary, target}
    private boolean published;

    PartOutput(FileSystem fs, Path root) {
        this.fs = fs;
        this.temporary = new Path(root, "_temporary");
    }

    /** The part's output in {@code root}: the job's format, or the scored rows of a top-fraction job. */
    static PartOutput open(
            FileSystem fs, Path root, JobOptions o, RowTables.Layout layout, int part, Configuration conf)
            throws IOException {
        if (layout == RowTables.Layout.PARTS && o.format().equals("clip-retrieval"))
            return new ClipRetrieval(fs, root, o, part, conf);
        return new Parquet(fs, root, RowTables.schema(layout, o), partFile(root, part), conf);
    }

    /** A parquet part's name: {@code part-00007.parquet}. */
    static Path partFile(Path root, int part) {
        return new Path(root, String.format(Locale.ROOT, "part-%05d.parquet", part));
    }

    /** A file to write, under a temporary name until published. */
    final Path file(Path target) {
        Path tmp = Publisher.temporary(temporary, target);
        files.add(new Path[] {tmp, target});
        return tmp;
    }

    /** Adds a row; {@return whether it was written (clip-retrieval leaves out rows without embeddings)} */
    abstract boolean write(JobRow r) throws IOException;

    /** Closes the files (the widths give a part with no rows its matrices' shape). */
    abstract void finish(int imageDim, int textDim) throws IOException;

    /** Finishes and publishes the files. */
    final void publish(int imageDim, int textDim) throws IOException {
        finish(imageDim, textDim);
        for (Path[] f : files) Publisher.publish(fs, f[0], f[1]);
        published = true;
    }

    @Override
    public void close() throws IOException {
        if (published) return;
        for (Path[] f : files) fs.delete(f[0], false);
    }

    /** Rows into one parquet file. */
    private static final class Table implements AutoCloseable {
        private final MessageType schema;
        private final ParquetWriter<Group> writer;
        private boolean closed;

        Table(Path file, MessageType schema, Configuration conf) throws IOException {
            this.schema = schema;
            this.writer = RowTables.writer(file, schema, conf);
        }

        void write(JobRow r) throws IOException {
            writer.write(RowTables.group(schema, r));
        }

        @Override
        public void close() throws IOException {
            if (closed) return;
            closed = true;
            writer.close();
        }

        /** Closes, on a failure already being reported. */
        void abandon() {
            try {
                close();
            } catch (IOException | RuntimeException e) {
                // the file is deleted unpublished; the task's own failure is what to report
            }
        }
    }

    /** The rows as one parquet file. */
    static final class Parquet extends PartOutput {
        private final Table table;

        Parquet(FileSystem fs, Path root, MessageType schema, Path target, Configuration conf) throws IOException {
            super(fs, root);
            this.table = new Table(file(target), schema, conf);
        }

        @Override
        boolean write(JobRow r) throws IOException {
            table.write(r);
            return true;
        }

        @Override
        void finish(int imageDim, int textDim) throws IOException {
            table.close();
        }

        @Override
        public void close() throws IOException {
            table.abandon();
            super.close();
        }
    }

    /**
     * clip-retrieval's layout: {@code img_emb/img_emb_N.npy}, {@code text_emb/text_emb_N.npy}
     * and {@code metadata/metadata_N.parquet}, row i of each the same row. Only rows with every
     * embedding the work gives, and no error, are written.
     */
    static final class ClipRetrieval extends PartOutput {
        private final boolean images, texts;
        private final NpyWriter imageRows, textRows;
        private final Path imageTarget, textTarget;
        private final Table metadata;

        ClipRetrieval(FileSystem fs, Path root, JobOptions o, int part, Configuration conf) throws IOException {
            super(fs, root);
            images = o.imageEmbeds();
            texts = o.textEmbeds();
            imageTarget = new Path(root, "img_emb/img_emb_" + part + ".npy");
            textTarget = new Path(root, "text_emb/text_emb_" + part + ".npy");
            imageRows = images ? new NpyWriter(o.f16()) : null;
            textRows = texts ? new NpyWriter(o.f16()) : null;
            metadata = new Table(
                    file(new Path(root, "metadata/metadata_" + part + ".parquet")),
                    RowTables.schema(RowTables.Layout.METADATA, o),
                    conf);
        }

        @Override
        boolean write(JobRow r) throws IOException {
            if (r.error() != null || (images && r.image() == null) || (texts && r.text() == null)) return false;
            if (images) imageRows.add(r.image());
            if (texts) textRows.add(r.text());
            metadata.write(r);
            return true;
        }

        @Override
        void finish(int imageDim, int textDim) throws IOException {
            metadata.close();
            if (images) npy(imageRows, imageTarget, imageDim);
            if (texts) npy(textRows, textTarget, textDim);
        }

        private void npy(NpyWriter rows, Path target, int emptyDim) throws IOException {
            try (OutputStream out = fs.create(file(target), true)) {
                rows.writeTo(out, emptyDim);
            }
        }

        @Override
        public void close() throws IOException {
            metadata.abandon();
            try {
                if (imageRows != null) imageRows.close();
            } finally {
                try {
                    if (textRows != null) textRows.close();
                } finally {
                    super.close();
                }
            }
        }
    }
}
