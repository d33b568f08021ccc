package sdclip.model.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

import sdclip.model.image.webp.WebpDecoder;
import sdclip.model.image.webp.WebpException;
import sdclip.model.image.webp.WebpImage;

/**
 * Decodes PNG, JPEG, BMP and GIF files with {@code javax.imageio}, taking the raw samples from the
 * raster (no colour management) into the mode Pillow opens the file in, and WebP files with
 * sdclip's own decoder:
 *
 * <ul>
 * <li>PNG: gray 1-bit is "1"; gray 2 and 4-bit are L scaled by 0x55 and 0x11; gray 8-bit L;
 * gray 16-bit is I (Pillow 9.4 opens it as 32-bit integers 0..65535, resizes those, and
 * {@code convert("RGB")} clamps them to 255, so such images come out nearly white, as in the
 * reference); RGB, RGBA, LA 16-bit keep the high byte of each sample (Pillow's {@code ;16B}
 * unpackers; Pillow opens 16-bit LA as RGBA with equal colours, which resizes and converts to the
 * same pixels as LA); palette is P (entries past the PLTE read as Pillow's gray ramp); a tRNS
 * chunk does not change the mode and its transparency is ignored.</li>
 * <li>JPEG: read as Pillow reads it through libjpeg-turbo, without colour management (ICC
 * profiles are ignored): 1 component is L, 3 are RGB, 4 are CMYK (YCCK converted, all four
 * inverted as Pillow's {@code CMYK;I}); see {@code JpegSamples}. The frame and markers come from
 * our own walk over the file ({@code JpegHeader}), not the JDK's metadata; a file that ends before
 * its EOI marker is refused as truncated, as are 12-bit, arithmetic-coded and 2-component ones.</li>
 * <li>BMP: a palette of 2 entries black and white is "1", a palette {@code (i, i, i)} is L, other
 * palettes P; true colour is RGB, or RGBA when the file has an alpha mask; n-bit fields are scaled
 * {@code v * 255 / (2^n - 1)} as Pillow does. OS/2 2.x headers and RLE4/RLE8 go to our own
 * decoder, {@code BmpDecoder} (Pillow's fixed RLE behaviour).</li>
 * <li>GIF: the first frame only, on the logical screen (filled with the transparent index, else 0);
 * P, or L when the palette is the gray ramp (Pillow's rule). The JDK's GIF reader was seen to drop
 * the last pixel of a 3 x 2 GIF it had written itself; larger images decode correctly.</li>
 * <li>WebP: lossy, lossless, with alpha, extended, an animation's first frame on its canvas;
 * RGBA when the file says it has alpha, else RGB; bit-exact to Pillow through libwebp (fancy
 * upsampling, no colour management).</li>
 * </ul>
 *
 * <p>EXIF orientation is ignored unless asked for ({@link #decode(Path, boolean)}: a JPEG's, as
 * Pillow's {@code ImageOps.exif_transpose}). Images whose header claims more than
 * {@link #MAX_PIXELS} pixels are refused before any pixel is decoded. Every failure is an
 * {@link ImageException} naming the file: truncated data (where the JDK's libjpeg would warn
 * "premature end" and fill in gray, Pillow raises, and so does this), corrupt data, zero size,
 * formats other than these five (TIFF is told by its first bytes, {@link #unsupportedFormat},
 * and named).
 */
public final class ImageDecoder {
    /** The largest image accepted, in pixels (100 megapixels). */
    public static final long MAX_PIXELS = 100_000_000L;

    private ImageDecoder() {}

    /**
     * Decodes an image file in Pillow's mode for it.
     *
     * @param file a PNG, JPEG, BMP, GIF or WebP file (an animation's first frame)
     * @return the pixels
     * @throws ImageException for anything that is not a decodable image, or one over {@link #MAX_PIXELS};
     *                        the message names the file
     */
    public static DecodedImage decode(Path file) {
        return decode(file, false);
    }

    /**
     * Decodes an image file, optionally turned upright by its Exif orientation as Pillow's
     * {@code ImageOps.exif_transpose} does (JPEG files; other formats' orientation is not read).
     *
     * @param file          a PNG, JPEG, BMP or GIF file (a GIF's first frame)
     * @param exifTranspose apply the orientation tag of a JPEG's Exif segment
     * @return the pixels
     * @throws ImageException for anything that is not a decodable image, or one over {@link #MAX_PIXELS};
     *                        the message names the file
     */
    public static DecodedImage decode(Path file, boolean exifTranspose) {
        Objects.requireNonNull(file, "file");
        return decode(new FileInput(file), exifTranspose);
    }

    /**
     * Decodes an image held in memory (a file's bytes, as a Spark {@code binaryFile} row or a
     * parquet column holds them), exactly as {@link #decode(Path)} decodes the same bytes from
     * a file: the same pixels, the same refusals.
     *
     * @param data the encoded image: PNG, JPEG, BMP, GIF or WebP (an animation's first frame); not copied, not changed
     * @param name what the messages call it (a path or URI it came from, a row key)
     * @return the pixels
     * @throws ImageException for anything that is not a decodable image, or one over {@link #MAX_PIXELS};
     *                        the message starts with {@code name}
     */
    public static DecodedImage decode(byte[] data, String name) {
        return decode(data, name, false);
    }

    /**
     * Decodes an image held in memory, optionally turned upright by its Exif orientation, as
     * {@link #decode(Path, boolean)} decodes the same bytes from a file.
     *
     * @param data          the encoded image: PNG, JPEG, BMP or GIF; not copied, not changed
     * @param name          what the messages call it
     * @param exifTranspose apply the orientation tag of a JPEG's Exif segment
     * @return the pixels
     * @throws ImageException for anything that is not a decodable image, or one over {@link #MAX_PIXELS};
     *                        the message starts with {@code name}
     */
    public static DecodedImage decode(byte[] data, String name, boolean exifTranspose) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(name, "name");
        return decode(new BytesInput(data, name), exifTranspose);
    }

    private static DecodedImage decode(Input input, boolean exifTranspose) {
        input.check();
        byte[] head = input.head(12);
        if (WebpDecoder.isWebp(head)) return webp(input);
        String other = unsupportedFormat(head);
        if (other != null) throw new ImageException(input.name(), unsupported(other));
        if (BmpDecoder.handles(input.head(34))) return BmpDecoder.decode(input.name(), input.bytes());
        JpegHeader jpeg = jpegHeader(input);
        try (ImageInputStream in = input.open()) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext())
                throw new ImageException(input.name(), "is not an image (no PNG, JPEG, BMP, GIF or WebP signature)");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, false);
                return read(input, reader, jpeg, exifTranspose);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageException(input.name(), "cannot be read: " + e.getMessage(), e);
        }
    }

    /** Where an image's bytes are read from, and what messages call it. */
    private sealed interface Input permits FileInput, BytesInput {
        String name();

        /** Refuses a missing or empty input before any decoder sees it. */
        void check();

        /** Up to {@code n} first bytes; fewer (or none) when there are fewer or they cannot be read. */
        byte[] head(int n);

        boolean endsWith(byte[] suffix);

        ImageInputStream open() throws IOException;

        /** The bytes from the start, for a second pass of our own (JPEG markers). */
        InputStream stream() throws IOException;

        /** All the bytes, for a decoder of our own (WebP, some BMPs), which reads from memory. */
        byte[] bytes();
    }

    private record FileInput(Path file) implements Input {
        public String name() {
            return file.toString();
        }

        public void check() {
            if (!Files.isRegularFile(file)) throw new ImageException(name(), "no such file");
            try {
                if (Files.size(file) == 0) throw new ImageException(name(), "is empty (0 bytes)");
            } catch (IOException e) {
                throw new ImageException(name(), "cannot be read: " + e.getMessage(), e);
            }
        }

        public byte[] head(int n) {
            try (var in = Files.newInputStream(file)) {
                return in.readNBytes(n);
            } catch (IOException e) {
                return new byte[0];
            }
        }

        public boolean endsWith(byte[] suffix) {
            try (SeekableByteChannel ch = Files.newByteChannel(file)) {
                if (ch.size() < suffix.length) return false;
                ByteBuffer tail = ByteBuffer.allocate(suffix.length);
                ch.position(ch.size() - suffix.length);
                while (tail.hasRemaining() && ch.read(tail) > 0) {
                    /* fill */
                }
                return Arrays.equals(tail.array(), suffix);
            } catch (IOException e) {
                return false;
            }
        }

        public byte[] bytes() {
            try {
                if (Files.size(file) > Integer.MAX_VALUE - 8)
                    throw new ImageException(name(), "is too large (over 2 GB)");
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new ImageException(name(), "cannot be read: " + e.getMessage(), e);
            }
        }

        public ImageInputStream open() throws IOException {
            return new FileImageInputStream(file.toFile());
        }

        public InputStream stream() throws IOException {
            return Files.newInputStream(file);
        }
    }

    private record BytesInput(byte[] data, String name) implements Input {
        public void check() {
            if (data.length == 0) throw new ImageException(name, "is empty (0 bytes)");
        }

        public byte[] head(int n) {
            return Arrays.copyOf(data, Math.min(n, data.length));
        }

        public boolean endsWith(byte[] suffix) {
            return data.length >= suffix.length
                    && Arrays.equals(data, data.length - suffix.length, data.length, suffix, 0, suffix.length);
        }

        public byte[] bytes() {
            return data;
        }

        // In memory, not ImageIO.createImageInputStream: that one caches to a temporary file by default.
        public ImageInputStream open() {
            return new MemoryCacheImageInputStream(new ByteArrayInputStream(data));
        }

        public InputStream stream() {
            return new ByteArrayInputStream(data);
        }
    }

    /**
     * The name of an image format this decoder does not read, told by the file's first bytes:
     * {@code TIFF} ({@code II*\0} or {@code MM\0*}); null for anything else, including a file that
     * cannot be read.
     *
     * @param file the file
     * @return {@code "TIFF"} or null
     */
    public static String unsupportedFormat(Path file) {
        return unsupportedFormat(new FileInput(file).head(12));
    }

    private static String unsupportedFormat(byte[] head) {
        int n = head.length;
        if (n >= 4 && (startsWith(head, "II*\0", 0) || startsWith(head, "MM\0*", 0))) return "TIFF";
        return null;
    }

    private static boolean startsWith(byte[] head, String ascii, int at) {
        for (int i = 0; i < ascii.length(); i++) if (head[at + i] != ascii.charAt(i)) return false;
        return true;
    }

    /** One wording for every format recognised but not read. */
    private static String unsupported(String format) {
        return "is a " + format + " image, an unsupported format (PNG, JPEG, BMP, GIF and WebP are supported)";
    }

    private static DecodedImage read(Input input, ImageReader reader, JpegHeader jpeg, boolean exifTranspose)
            throws IOException {
        String file = input.name(), format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (!List.of("png", "jpeg", "jpg", "bmp", "gif").contains(format)) {
            throw new ImageException(file, unsupported(format.toUpperCase(Locale.ROOT)));
        }
        int width, height;
        try {
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw new ImageException(
                    file,
                    "is a corrupt " + format.toUpperCase(Locale.ROOT) + " file: cannot read its header (" + describe(e)
                            + ")",
                    e);
        }
        checkSize(file, width, height);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try {
            DecodedImage image = switch (format) {
                case "png" -> png(file, reader);
                case "gif" -> gif(file, reader);
                case "bmp" -> bmp(reader);
                default -> jpeg(file, reader, jpeg, exifTranspose);
            };
            for (String w : warnings) {
                // libjpeg warns and fills in gray where Pillow raises "image file is truncated".
                if (w.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw new ImageException(
                            file, (input.endsWith(JPEG_EOI) ? "is corrupt" : "is truncated") + " (" + w + ")");
                }
            }
            return image;
        } catch (ImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            String what = hasCause(e, EOFException.class) || format.equals("png") && !input.endsWith(PNG_IEND)
                    ? "is truncated"
                    : "is corrupt";
            throw new ImageException(file, what + " (" + format.toUpperCase(Locale.ROOT) + ": " + describe(e) + ")", e);
        }
    }

    /** WebP: the container and headers first, the size bounded, then the pixels. */
    private static DecodedImage webp(Input input) {
        String file = input.name();
        try {
            WebpDecoder decoder = WebpDecoder.open(input.bytes());
            checkSize(file, decoder.width(), decoder.height());
            WebpImage image = decoder.decode();
            return DecodedImage.of(
                    image.width(), image.height(), image.alpha() ? PixelMode.RGBA : PixelMode.RGB, image.samples());
        } catch (WebpException e) {
            throw new ImageException(file, "is a corrupt WebP file: " + e.getMessage(), e);
        } catch (ImageException e) {
            throw e;
        } catch (RuntimeException e) { // a decoder bug on hostile input: still one line (the fuzz test looks for these)
            throw new ImageException(file, "is a corrupt WebP file (decoder error: " + describe(e) + ")", e);
        }
    }

    static void checkSize(String file, long width, long height) {
        if (width <= 0 || height <= 0) throw new ImageException(file, "has no pixels (" + width + " x " + height + ")");
        if (width * height > MAX_PIXELS) {
            throw new ImageException(
                    file,
                    "claims " + width + " x " + height + " pixels, more than the limit of " + MAX_PIXELS / 1_000_000
                            + " megapixels; refused before decoding");
        }
    }

    private static DecodedImage png(String file, ImageReader reader) throws IOException {
        PngHeader header = PngHeader.of(reader.getImageMetadata(0));
        BufferedImage img = reader.read(0);
        Raster r = img.getRaster();
        int w = r.getWidth(), h = r.getHeight();
        RasterSamples.SampleMap to8 =
                header.bitDepth() == 16 ? RasterSamples.SampleMap.HIGH_BYTE : RasterSamples.SampleMap.SAME;
        return switch (header.colorType()) {
            case "Grayscale" ->
                switch (header.bitDepth()) {
                    case 16 -> DecodedImage.ofWide(w, h, RasterSamples.ints(r));
                    case 1 -> DecodedImage.of(w, h, PixelMode.BILEVEL, RasterSamples.bytes(r, 1, (b, v) -> v * 255));
                    default ->
                        DecodedImage.of(
                                w, h, PixelMode.L, RasterSamples.bytes(r, 1, RasterSamples.SampleMap.scaled(new int[] {
                                    header.bitDepth()
                                })));
                };
            case "RGB" -> DecodedImage.of(w, h, PixelMode.RGB, RasterSamples.bytes(r, 3, to8));
            case "GrayAlpha" -> DecodedImage.of(w, h, PixelMode.LA, RasterSamples.bytes(r, 2, to8));
            case "RGBAlpha" -> DecodedImage.of(w, h, PixelMode.RGBA, RasterSamples.bytes(r, 4, to8));
            case "Palette" ->
                DecodedImage.ofPalette(
                        w,
                        h,
                        RasterSamples.bytes(r, 1, RasterSamples.SampleMap.SAME),
                        RasterSamples.palette((IndexColorModel) img.getColorModel(), header.paletteEntries()));
            default -> throw new ImageException(file, "has an unknown PNG colour type " + header.colorType());
        };
    }

    /**
     * For a file that starts like a JPEG, our own walk over its markers (null for other files): it
     * says what the file is and refuses, before the JDK's decoder sees it, what Pillow cannot
     * decode or we cannot decode alike.
     */
    private static JpegHeader jpegHeader(Input input) {
        byte[] head = input.head(3);
        if (head.length < 3 || (head[0] & 0xff) != 0xff || (head[1] & 0xff) != 0xd8 || (head[2] & 0xff) != 0xff)
            return null;
        String file = input.name();
        JpegHeader header;
        try (InputStream in = input.stream()) {
            header = JpegHeader.read(in);
        } catch (JpegHeader.Malformed e) {
            throw new ImageException(file, "is a corrupt JPEG file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ImageException(file, "cannot be read: " + e.getMessage(), e);
        }
        if (!header.complete())
            throw new ImageException(file, "is truncated: the JPEG data ends before its EOI marker (premature end)");
        int n = header.components();
        if (header.precision() != 8)
            throw new ImageException(
                    file, "is a " + header.precision() + "-bit JPEG; only 8-bit samples are supported");
        if (n != 1 && n != 3 && n != 4)
            throw new ImageException(
                    file, "is a JPEG with " + n + " components; only 1 (gray), 3 (colour) or 4 (CMYK) are supported");
        if (header.arithmetic())
            throw new ImageException(file, "is an arithmetic-coded JPEG; only Huffman-coded JPEGs are supported");
        checkSize(file, header.width(), header.height());
        return header;
    }

    /**
     * The JDK's libjpeg decodes to raw components, which {@link JpegSamples} turns into Pillow's
     * samples: a raster read does no colour conversion and ignores ICC profiles, as Pillow does.
     */
    private static DecodedImage jpeg(String file, ImageReader reader, JpegHeader header, boolean exifTranspose)
            throws IOException {
        if (header == null) throw new ImageException(file, "is a corrupt JPEG file: no SOI marker");
        Raster r = reader.readRaster(0, null);
        if (r.getWidth() != header.width()
                || r.getHeight() != header.height()
                || r.getNumBands() != header.components())
            throw new ImageException(file, "is a corrupt JPEG file: its frame and its decoded data disagree");
        DecodedImage image =
                DecodedImage.of(r.getWidth(), r.getHeight(), JpegSamples.mode(header), JpegSamples.of(r, header));
        return exifTranspose ? ExifOrientation.apply(image, header.orientation()) : image;
    }

    private static DecodedImage bmp(ImageReader reader) throws IOException {
        BufferedImage img = reader.read(0);
        Raster r = img.getRaster();
        int w = r.getWidth(), h = r.getHeight();
        ColorModel cm = img.getColorModel();
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] indices = RasterSamples.bytes(r, 1, RasterSamples.SampleMap.SAME);
            if (n == 2 && (icm.getRGB(0) & 0xffffff) == 0 && (icm.getRGB(1) & 0xffffff) == 0xffffff) {
                for (int i = 0; i < indices.length; i++) indices[i] = (byte) (indices[i] == 0 ? 0 : 255);
                return DecodedImage.of(w, h, PixelMode.BILEVEL, indices);
            }
            if (RasterSamples.isGrayRamp(icm, n)) return DecodedImage.of(w, h, PixelMode.L, indices);
            return DecodedImage.ofPalette(w, h, indices, RasterSamples.palette(icm, n));
        }
        // The JDK turns an exact 256-entry gray ramp palette into a gray image: Pillow's L as well.
        PixelMode mode = cm.getNumColorComponents() == 1 ? PixelMode.L : cm.hasAlpha() ? PixelMode.RGBA : PixelMode.RGB;
        return DecodedImage.of(
                w,
                h,
                mode,
                RasterSamples.bytes(r, mode.channels(), RasterSamples.SampleMap.scaled(cm.getComponentSize())));
    }

    private static DecodedImage gif(String file, ImageReader reader) throws IOException {
        GifFirstFrame layout = GifFirstFrame.of(reader.getStreamMetadata(), reader.getImageMetadata(0));
        checkSize(file, layout.canvasWidth(reader.getWidth(0)), layout.canvasHeight(reader.getHeight(0)));
        BufferedImage img = reader.read(0);
        if (!(img.getColorModel() instanceof IndexColorModel icm))
            throw new ImageException(file, "is a GIF without a palette");
        byte[] indices = layout.onCanvas(
                RasterSamples.bytes(img.getRaster(), 1, RasterSamples.SampleMap.SAME), img.getWidth(), img.getHeight());
        int w = layout.canvasWidth(img.getWidth()), h = layout.canvasHeight(img.getHeight());
        if (RasterSamples.isGrayRamp(icm, icm.getMapSize())) return DecodedImage.of(w, h, PixelMode.L, indices);
        return DecodedImage.ofPalette(w, h, indices, RasterSamples.palette(icm, icm.getMapSize()));
    }

    /** The IEND chunk a whole PNG ends with (length 0, type, fixed CRC); the EOI marker of a whole JPEG. */
    private static final byte[] PNG_IEND = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xae, 0x42, 0x60, (byte) 0x82};

    private static final byte[] JPEG_EOI = {(byte) 0xff, (byte) 0xd9};

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder(String.valueOf(
                e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append(": ")
                    .append(
                            c.getMessage() != null
                                    ? c.getMessage()
                                    : c.getClass().getSimpleName());
        }
        return s.toString();
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause())
            if (type.isInstance(c)) return true;
        return false;
    }
}
