package sdclip.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The driver's side of the inputs: the files listed, sorted, and cut into {@link Part}s, each
 * of which becomes one output part. A folder's images are cut every {@code --shard-size}
 * images; a tar shard or a parquet file is one part. The same files and options always give
 * the same parts, which is what makes a rerun finish the same job.
 */
final class JobInputs {
    private JobInputs() {}

    /** Image extensions of the folder layout: what sdclip decodes. */
    static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp", "gif", "webp");

    /** Webdataset image members, in the order one is preferred when a sample has several. */
    static final List<String> TAR_IMAGES = List.of("jpg", "jpeg", "png", "webp", "bmp", "gif");

    /**
     * One image of a folder: its key (the path under the folder, less the extension), the image
     * file, and its caption file or null.
     */
    record Item(String key, String image, String caption) implements Serializable {}

    /**
     * One output part: its number, its format, the file it reads (a tar or a parquet file; the
     * folder for a folder's part), and a folder part's images.
     */
    record Part(int index, String format, String source, List<Item> items) implements Serializable {}

    /** A problem with an input (exit 1): the message names the file. */
    static final class InputException extends IOException {
        private static final long serialVersionUID = 1L;

        InputException(String message) {
            super(message);
        }
    }

    /** The parts of the inputs, numbered from 0 in the inputs' order, each input's files sorted. */
    static List<Part> plan(JobOptions o, Configuration conf) throws IOException {
        List<Part> parts = new ArrayList<>();
        for (String input : o.inputs()) {
            List<String> expanded = expandBraces(input);
            for (String one : expanded) {
                Path p = new Path(one);
                FileSystem fs = p.getFileSystem(conf);
                FileStatus[] matched = fs.globStatus(p);
                if (matched == null || matched.length == 0) throw new InputException(one + ": no such file or folder");
                java.util.Arrays.sort(
                        matched, Comparator.comparing(s -> s.getPath().toString()));
                for (FileStatus s : matched) add(parts, o, fs, s);
            }
        }
        if (parts.isEmpty())
            throw new InputException(String.join(" ", o.inputs()) + ": no images, tar shards or parquet files");
        return parts;
    }

    private static void add(List<Part> parts, JobOptions o, FileSystem fs, FileStatus s) throws IOException {
        String format = o.inputFormat() != null ? o.inputFormat() : formatOf(fs, s);
        Path path = s.getPath();
        switch (format) {
            case "folder" -> {
                if (!s.isDirectory())
                    throw new InputException(path + ": not a folder (the folder layout reads folders)");
                folder(parts, fs, path, o.shardSize());
            }
            case "webdataset" -> {
                for (FileStatus f : files(fs, s, JobInputs::isTar))
                    parts.add(new Part(parts.size(), format, f.getPath().toString(), List.of()));
            }
            default -> {
                for (FileStatus f : files(fs, s, n -> n.endsWith(".parquet")))
                    parts.add(new Part(parts.size(), format, f.getPath().toString(), List.of()));
            }
        }
    }

    /** What a path holds, by its name, or for a folder by its files: images first, then parquet, then tars. */
    private static String formatOf(FileSystem fs, FileStatus s) throws IOException {
        String name = s.getPath().getName().toLowerCase(Locale.ROOT);
        if (!s.isDirectory()) {
            if (isTar(name)) return "webdataset";
            if (name.endsWith(".parquet")) return "parquet";
            throw new InputException(s.getPath() + ": not a folder, a tar shard or a parquet file");
        }
        boolean parquet = false, tar = false;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(s.getPath(), true);
        while (it.hasNext()) {
            String n = it.next().getPath().getName().toLowerCase(Locale.ROOT);
            if (hidden(n)) continue;
            if (IMAGE_EXTENSIONS.contains(extension(n))) return "folder";
            parquet |= n.endsWith(".parquet");
            tar |= isTar(n);
        }
        if (parquet) return "parquet";
        if (tar) return "webdataset";
        throw new InputException(s.getPath() + ": no images, tar shards or parquet files in this folder");
    }

    private interface NameTest {
        boolean test(String lowerCaseName);
    }

    /** A file itself, or a folder's files (recursively) that pass the test, sorted by path. */
    private static List<FileStatus> files(FileSystem fs, FileStatus s, NameTest test) throws IOException {
        if (!s.isDirectory()) return List.of(s);
        List<FileStatus> out = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(s.getPath(), true);
        while (it.hasNext()) {
            LocatedFileStatus f = it.next();
            String n = f.getPath().getName().toLowerCase(Locale.ROOT);
            if (!hidden(n) && test.test(n)) out.add(f);
        }
        out.sort(Comparator.comparing(f -> f.getPath().toString()));
        if (out.isEmpty()) throw new InputException(s.getPath() + ": no input files in this folder");
        return out;
    }

    /** A folder's images and their captions, sorted by key, cut every {@code shardSize} images. */
    private static void folder(List<Part> parts, FileSystem fs, Path root, int shardSize) throws IOException {
        String base = root.toUri().getPath();
        if (!base.endsWith("/")) base += "/";
        // key without extension -> image files; key -> caption
        Map<String, List<String>> images = new TreeMap<>();
        Map<String, String> captions = new HashMap<>();
        RemoteIterator<LocatedFileStatus> it;
        try {
            it = fs.listFiles(root, true);
        } catch (FileNotFoundException e) {
            throw new InputException(root + ": no such folder");
        }
        while (it.hasNext()) {
            Path f = it.next().getPath();
            String rel = f.toUri().getPath();
            rel = rel.startsWith(base) ? rel.substring(base.length()) : f.getName();
            if (hiddenPath(rel)) continue;
            String ext = extension(f.getName().toLowerCase(Locale.ROOT));
            String key = rel.substring(0, rel.length() - (ext.isEmpty() ? 0 : ext.length() + 1));
            if (ext.equals("txt")) captions.put(key, f.toString());
            else if (IMAGE_EXTENSIONS.contains(ext))
                images.computeIfAbsent(key, k -> new ArrayList<>()).add(f.toString());
        }
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : images.entrySet()) {
            List<String> files = e.getValue();
            files.sort(null);
            String caption = captions.get(e.getKey());
            // Two images with one name (a.jpg, a.png) share the caption; their keys keep the extension.
            for (String f : files) {
                String key = files.size() == 1 ? e.getKey() : e.getKey() + "." + extension(f);
                items.add(new Item(key, f, caption));
            }
        }
        if (items.isEmpty()) throw new InputException(root + ": no images in this folder");
        for (int from = 0; from < items.size(); from += shardSize) {
            List<Item> slice = List.copyOf(items.subList(from, Math.min(items.size(), from + shardSize)));
            parts.add(new Part(parts.size(), "folder", root.toString(), slice));
        }
    }

    static boolean isTar(String lowerCaseName) {
        return lowerCaseName.endsWith(".tar") || lowerCaseName.endsWith(".tar.gz") || lowerCaseName.endsWith(".tgz");
    }

    /** Files and folders Spark and Hadoop leave out ({@code _SUCCESS}, {@code .crc}, ...). */
    private static boolean hidden(String name) {
        return name.startsWith(".") || name.startsWith("_");
    }

    private static boolean hiddenPath(String rel) {
        for (String seg : rel.split("/")) if (hidden(seg)) return true;
        return false;
    }

    /** The extension after the last dot, or "". */
    static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static final Pattern RANGE = Pattern.compile("\\{(\\d+)\\.\\.(\\d+)}");

    /** The largest number of paths one brace range may give. */
    static final int MAX_EXPANSION = 10_000_000;

    /**
     * A path with numeric brace ranges ({@code {00000..00099}}, zero-padded to the first
     * number's width) expanded, left to right; other braces ({@code {a,b}}) and globs are left
     * for Hadoop's glob.
     */
    static List<String> expandBraces(String path) throws InputException {
        Matcher m = RANGE.matcher(path);
        if (!m.find()) return List.of(path);
        String from = m.group(1), to = m.group(2);
        long a, b;
        try {
            a = Long.parseLong(from);
            b = Long.parseLong(to);
        } catch (NumberFormatException e) {
            throw new InputException(path + ": the range " + m.group() + " is too large");
        }
        if (b < a) throw new InputException(path + ": the range " + m.group() + " goes down");
        if (b - a + 1 > MAX_EXPANSION)
            throw new InputException(path + ": the range " + m.group() + " has over " + MAX_EXPANSION + " names");
        int width = from.length();
        String head = path.substring(0, m.start()), tail = path.substring(m.end());
        List<String> tails = expandBraces(tail);
        List<String> out = new ArrayList<>();
        if ((b - a + 1) * tails.size() > MAX_EXPANSION)
            throw new InputException(path + ": its ranges give over " + MAX_EXPANSION + " names");
        for (long n = a; n <= b; n++) {
            String num = String.format(Locale.ROOT, "%0" + width + "d", n);
            for (String t : tails) out.add(head + num + t);
        }
        return out;
    }
}
