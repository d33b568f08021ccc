package sdclip.spark;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A task's side of the inputs: one {@link JobInputs.Part}'s rows, read as they are asked for
 * (a folder's files one at a time, a tar front to back, a parquet file a record at a time), so
 * a part is never held whole. What one row's files lack (a missing caption, an image over the
 * size limit) is that row's error; what stops a tar from being read further (a corrupt header)
 * ends its rows with one error row naming the tar.
 */
final class PartSamples {
    private PartSamples() {}

    /** The largest image read, in bytes. */
    static final int MAX_IMAGE_BYTES = 64 << 20;

    /** The largest caption file (or webdataset txt/json member) read, in bytes. */
    static final int MAX_CAPTION_BYTES = 1 << 20;

    /** Rows that hold a file or a stream open. */
    interface Rows extends Iterator<Sample>, Closeable {}

    /**
     * The rows of a part.
     *
     * @param captions whether the work reads captions: then a folder's or a shard's sample without
     *     one, or with an empty one, is that row's error (a parquet caption column is checked by
     *     {@link ParquetSamples})
     */
    static Rows open(JobInputs.Part part, ParquetSamples.Columns columns, Configuration conf, boolean captions)
            throws IOException {
        return switch (part.format()) {
            case "folder" -> folder(part, conf, captions);
            case "webdataset" -> new TarSamples(part.source(), conf, captions);
            default -> ParquetSamples.open(new Path(part.source()), columns, conf);
        };
    }

    private static Rows folder(JobInputs.Part part, Configuration conf, boolean captions) {
        Iterator<JobInputs.Item> items = part.items().iterator();
        return new Rows() {
            @Override
            public boolean hasNext() {
                return items.hasNext();
            }

            @Override
            public Sample next() {
                JobInputs.Item item = items.next();
                String error = null;
                byte[] image = null;
                String caption = null;
                try {
                    image = read(new Path(item.image()), MAX_IMAGE_BYTES, conf);
                } catch (IOException e) {
                    error = RowErrors.message(e);
                }
                String missing = null;
                if (item.caption() != null) {
                    try {
                        caption = text(read(new Path(item.caption()), MAX_CAPTION_BYTES, conf), item.caption());
                        if (caption.isEmpty()) missing = "empty caption (its .txt file holds no text)";
                    } catch (IOException e) {
                        error = error == null ? RowErrors.message(e) : error + "; " + RowErrors.message(e);
                    }
                } else {
                    missing = "no caption (no .txt file of the same name beside it)";
                }
                // Said after the image's path, which the summary's reasons drop: one reason for every such row.
                if (captions && missing != null)
                    error = (error == null ? "" : error + "; ") + item.image() + ": " + missing;
                return new Sample(item.key(), item.image(), image, caption, error);
            }

            @Override
            public void close() {}
        };
    }

    /** A file's bytes, refused over {@code max} (without reading more than {@code max + 1}). */
    static byte[] read(Path file, int max, Configuration conf) throws IOException {
        FileSystem fs = file.getFileSystem(conf);
        try (FSDataInputStream in = fs.open(file)) {
            byte[] b = in.readNBytes(max + 1);
            if (b.length > max) throw new IOException(file + ": over the limit of " + max + " bytes");
            return b;
        } catch (java.io.FileNotFoundException e) {
            throw new IOException(file + ": no such file", e);
        }
    }

    /** UTF-8 text, its surrounding white space stripped; refused when it is not UTF-8. */
    static String text(byte[] b, String name) throws IOException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(b))
                    .toString()
                    .strip();
        } catch (CharacterCodingException e) {
            throw new IOException(name + ": the caption is not UTF-8 text", e);
        }
    }

    /**
     * A webdataset shard's samples: consecutive members with one key (the member's path up to
     * the first dot of its file name) make a sample; {@code jpg}, {@code jpeg}, {@code png},
     * {@code webp}, {@code bmp} or {@code gif} is its image (the first of these by that order
     * when it has several), {@code txt} its caption, else {@code json}'s {@code "caption"}.
     * Other members are skipped unread.
     */
    static final class TarSamples implements Rows {
        private static final ObjectMapper JSON = new ObjectMapper();

        private final String source;
        private final InputStream in;
        private final TarReader tar;
        private TarReader.Entry pending;
        private boolean ended;
        private Sample next;

        private final boolean captions;

        TarSamples(String source, Configuration conf, boolean captions) throws IOException {
            this.source = source;
            this.captions = captions;
            Path p = new Path(source);
            InputStream raw = p.getFileSystem(conf).open(p);
            String lower = p.getName().toLowerCase(Locale.ROOT);
            this.in = lower.endsWith(".gz") || lower.endsWith(".tgz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            this.tar = new TarReader(in, source);
        }

        @Override
        public boolean hasNext() {
            if (next == null && !ended) next = read();
            return next != null;
        }

        @Override
        public Sample next() {
            if (!hasNext()) throw new NoSuchElementException();
            Sample s = next;
            next = null;
            return s;
        }

        /** The next sample, or null at the end; a tar that cannot be read further ends with an error row. */
        private Sample read() {
            String key = null;
            String imageExt = null;
            byte[] image = null;
            String txt = null, json = null;
            List<String> errors = new ArrayList<>();
            try {
                while (true) {
                    TarReader.Entry e = pending != null ? pending : tar.next();
                    pending = null;
                    if (e == null) {
                        ended = true;
                        break;
                    }
                    if (!e.isFile()) continue;
                    String name = e.name();
                    int slash = name.lastIndexOf('/');
                    int dot = name.indexOf('.', slash + 1);
                    String k = dot < 0 ? name : name.substring(0, dot);
                    String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
                    if (key != null && !k.equals(key)) {
                        pending = e;
                        break;
                    }
                    key = k;
                    try {
                        int rank = JobInputs.TAR_IMAGES.indexOf(ext);
                        if (rank >= 0 && (imageExt == null || rank < JobInputs.TAR_IMAGES.indexOf(imageExt))) {
                            image = tar.read(MAX_IMAGE_BYTES);
                            imageExt = ext;
                        } else if (ext.equals("txt")) {
                            txt = text(tar.read(MAX_CAPTION_BYTES), source + "#" + name);
                        } else if (ext.equals("json")) {
                            json = caption(tar.read(MAX_CAPTION_BYTES), source + "#" + name);
                        }
                    } catch (IOException tooLarge) {
                        if (tooLarge instanceof java.io.EOFException) throw tooLarge;
                        errors.add(RowErrors.message(tooLarge));
                    }
                }
            } catch (IOException broken) {
                ended = true;
                String why = RowErrors.message(broken);
                if (key == null) return new Sample(source, source, null, null, why);
                errors.add(why);
            }
            if (key == null) return null;
            String path = source + "#" + key + (imageExt == null ? "" : "." + imageExt);
            String caption = txt != null ? txt : json;
            if (captions && caption == null)
                errors.add(path + ": no caption (no .txt member, nor a .json with \"caption\")");
            else if (captions && caption.isBlank()) errors.add(path + ": empty caption");
            String error = errors.isEmpty() ? null : String.join("; ", errors);
            return new Sample(key, path, image, caption, error);
        }

        /** A json member's {@code "caption"}, or null when it has none. */
        private static String caption(byte[] b, String name) throws IOException {
            try {
                JsonNode n = JSON.readTree(b);
                JsonNode c = n == null ? null : n.get("caption");
                return c == null || c.isNull() ? null : c.asText();
            } catch (IOException e) {
                throw new IOException(
                        name + ": not JSON ("
                                + e.getMessage().lines().findFirst().orElse("") + ")",
                        e);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
