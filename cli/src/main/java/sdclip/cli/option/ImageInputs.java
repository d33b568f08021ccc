package sdclip.cli.option;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sdclip.cli.UsageException;
import sdclip.model.image.ImageDecoder;

/**
 * Where images come from: the arguments (files, or folders whose image files are taken in name
 * order, not recursively) and {@code --images FILE} (one path per line, relative to the file's
 * folder; blank lines and lines starting with {@code #} skipped). A folder without image files
 * is an error naming it and the TIFF files it skipped. Outputs name each image as the
 * user wrote it, not as resolved.
 */
public final class ImageInputs {
    static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp");

    @Option(
            names = "--images",
            paramLabel = "FILE",
            description = "A file listing image paths, one per line (relative to the file's folder).")
    Path list;

    @Parameters(
            paramLabel = "IMAGE",
            arity = "0..*",
            description = "Image files (PNG, JPEG, BMP, GIF, WebP) or folders of them.")
    List<String> images = new ArrayList<>(); // strings: a Path that fails to convert reads as "unmatched"

    /** {@return the image files and folders given as arguments, as typed} */
    public List<Path> given() {
        List<Path> paths = new ArrayList<>();
        for (String typed : images) {
            if (typed.isEmpty()) throw new UsageException("Invalid value for IMAGE: an empty path");
            paths.add(Path.of(typed));
        }
        return paths;
    }

    /** The {@code --images} list file, or null. */
    public Path list() {
        return list;
    }

    /** An image: the path to read, and the name to print (the path as the user wrote it, on the command line or in the list file). */
    public record Image(Path path, String name) {}

    /** The images in order: arguments first (folders expanded), then the list file's. */
    public List<Image> read() throws IOException {
        List<Image> out = new ArrayList<>();
        for (Path p : given()) expand(p, p, out);
        if (list != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(list, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IOException(list + ": no such image list");
            } catch (MalformedInputException e) {
                throw new IOException(list + ": not UTF-8 text");
            }
            Path base = list.toAbsolutePath().getParent();
            for (String line : lines) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) continue;
                expand(base.resolve(s).normalize(), Path.of(s), out);
            }
        }
        return out;
    }

    /** {@code p} itself, or a folder's image files; {@code written} is {@code p} as the user wrote it. */
    static void expand(Path p, Path written, List<Image> out) throws IOException {
        if (!Files.isDirectory(p)) {
            out.add(new Image(p, written.toString()));
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(p)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        List<Path> found = files.stream().filter(ImageInputs::isImage).toList();
        // A folder given as input that yields nothing is a mistake worth naming, not a silent skip.
        if (found.isEmpty())
            throw new IOException(p + ": no images in this folder (PNG, JPEG, BMP, GIF, WebP)" + skipped(files));
        for (Path f : found)
            out.add(new Image(f, written.resolve(f.getFileName()).toString()));
    }

    /** The images in formats not read (TIFF) among a folder's files, as a clause, or nothing. */
    private static String skipped(List<Path> files) {
        List<String> named = new ArrayList<>();
        for (Path f : files) {
            String format = ImageDecoder.unsupportedFormat(f);
            if (format != null) named.add(f.getFileName() + " (" + format + ")");
        }
        if (named.isEmpty()) return "";
        int shown = Math.min(named.size(), 5);
        return "; skipped " + named.size() + " in unsupported formats: " + String.join(", ", named.subList(0, shown))
                + (shown < named.size() ? " and " + (named.size() - shown) + " more" : "");
    }

    static boolean isImage(Path f) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        return EXTENSIONS.stream().anyMatch(n::endsWith);
    }
}
