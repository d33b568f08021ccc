package sdclip.model.image.webp;

/**
 * Reads a WebP file as Pillow (9.4, through libwebp's animation decoder with its default options)
 * gives it: the simple formats (one {@code VP8 } or {@code VP8L} chunk), the extended format
 * ({@code VP8X}, with an {@code ALPH} chunk for lossy alpha) and, of an animation, the first
 * frame drawn on a transparent black canvas. The mode is RGBA when the file says it has alpha
 * (the VP8X flag, an ALPH chunk, or the VP8L header's bit, as {@code WebPGetFeatures} decides),
 * else RGB. {@link #open} reads only headers, so the caller can bound the size before
 * {@link #decode} allocates anything in proportion to it.
 */
public final class WebpDecoder {
    private static final int ALPHA_FLAG = 0x10, ANIMATION_FLAG = 0x02;

    private final byte[] data;
    private final int canvasWidth, canvasHeight;
    private final boolean alpha;
    // The image (or first frame): its bitstream, optional ALPH payload, size and place on the canvas.
    private final boolean lossless;
    private final int imageAt, imageLength, alphaAt, alphaLength;
    private final int frameWidth, frameHeight, frameX, frameY;

    private WebpDecoder(
            byte[] data,
            int canvasWidth,
            int canvasHeight,
            boolean alpha,
            boolean lossless,
            int imageAt,
            int imageLength,
            int alphaAt,
            int alphaLength,
            int[] frame) {
        this.data = data;
        this.canvasWidth = canvasWidth;
        this.canvasHeight = canvasHeight;
        this.alpha = alpha;
        this.lossless = lossless;
        this.imageAt = imageAt;
        this.imageLength = imageLength;
        this.alphaAt = alphaAt;
        this.alphaLength = alphaLength;
        this.frameWidth = frame[0];
        this.frameHeight = frame[1];
        this.frameX = frame[2];
        this.frameY = frame[3];
    }

    /**
     * Whether the bytes start as a WebP file does: {@code RIFF}, a size, {@code WEBP}.
     *
     * @param head the file's first bytes (12 or more to be WebP)
     * @return true for a WebP signature
     */
    public static boolean isWebp(byte[] head) {
        return head.length >= 12
                && fourcc(head, 0).equals("RIFF")
                && fourcc(head, 8).equals("WEBP");
    }

    private static String fourcc(byte[] d, int at) {
        return new String(d, at, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static int le24(byte[] d, int at) {
        return (d[at] & 0xff) | (d[at + 1] & 0xff) << 8 | (d[at + 2] & 0xff) << 16;
    }

    private static long le32(byte[] d, int at) {
        return le24(d, at) | (long) (d[at + 3] & 0xff) << 24;
    }

    /**
     * Reads the container and the image headers, nothing more.
     *
     * @param data the whole file; kept, not copied
     * @return a decoder for the file's image (or first frame)
     * @throws WebpException when the container or a header is invalid or truncated
     */
    public static WebpDecoder open(byte[] data) throws WebpException {
        if (!isWebp(data)) throw new WebpException("it has no RIFF/WEBP header");
        long riffSize = le32(data, 4);
        if (riffSize < 12) throw new WebpException("its RIFF size is too small");
        if (riffSize > data.length - 8L) throw new WebpException("it is shorter than its RIFF header says (truncated)");
        int end = (int) (8 + riffSize);
        Chunk first = Chunk.at(data, 12, end);
        return switch (first.tag) {
            case "VP8 ", "VP8L" -> simple(data, first);
            case "VP8X" -> extended(data, first, end);
            default ->
                throw new WebpException("its first chunk is " + printable(first.tag) + ", not VP8, VP8L or VP8X");
        };
    }

    private static String printable(String tag) {
        return "'" + tag.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }

    /** A chunk: its four-character tag, where its payload starts, its payload size and where the next chunk starts. */
    private record Chunk(String tag, int payload, int size, int next) {
        static Chunk at(byte[] d, int at, int end) throws WebpException {
            if (end - at < 8) throw new WebpException("it ends inside a chunk header (truncated)");
            long size = le32(d, at + 4);
            long next = at + 8 + size + (size & 1);
            // A chunk may not reach past the RIFF data; a missing pad byte after the last one is tolerated.
            if (at + 8 + size > end)
                throw new WebpException("its " + printable(fourcc(d, at)) + " chunk runs past the end of the file");
            return new Chunk(fourcc(d, at), at + 8, (int) size, (int) Math.min(next, end));
        }
    }

    private static WebpDecoder simple(byte[] data, Chunk image) throws WebpException {
        boolean lossless = image.tag.equals("VP8L");
        int[] size = frameSize(data, image, lossless);
        boolean alpha = lossless && size[2] == 1;
        return new WebpDecoder(data, size[0], size[1], alpha, lossless, image.payload, image.size, -1, 0, new int[] {
            size[0], size[1], 0, 0
        });
    }

    /** {@code {width, height, alpha bit}} of a VP8 or VP8L bitstream. */
    private static int[] frameSize(byte[] data, Chunk image, boolean lossless) throws WebpException {
        if (lossless) return Vp8lDecoder.header(data, image.payload, image.size);
        int[] wh = Vp8Decoder.size(data, image.payload, image.size);
        return new int[] {wh[0], wh[1], 0};
    }

    private static WebpDecoder extended(byte[] data, Chunk vp8x, int end) throws WebpException {
        if (vp8x.size != 10) throw new WebpException("its VP8X chunk has the wrong size");
        int flags = data[vp8x.payload] & 0xff;
        int width = 1 + le24(data, vp8x.payload + 4), height = 1 + le24(data, vp8x.payload + 7);
        boolean animation = (flags & ANIMATION_FLAG) != 0;
        boolean animSeen = false;
        Chunk alphaChunk = null;
        for (int at = vp8x.next; at < end; ) {
            Chunk c = Chunk.at(data, at, end);
            switch (c.tag) {
                case "ALPH" -> {
                    if (animation) throw new WebpException("it is an animation with an image outside its frames");
                    alphaChunk = c;
                }
                case "VP8 ", "VP8L" -> {
                    if (animation) throw new WebpException("it is an animation with an image outside its frames");
                    return still(data, width, height, flags, c, alphaChunk);
                }
                case "ANIM" -> {
                    if (c.size < 6) throw new WebpException("its ANIM chunk is too short");
                    animSeen = true;
                }
                case "ANMF" -> {
                    if (animation) {
                        if (!animSeen) throw new WebpException("its first frame comes before the ANIM chunk");
                        return firstFrame(data, width, height, flags, c);
                    }
                }
                default -> {
                    /* ICCP, EXIF, XMP and unknown chunks: skipped (no colour management, as Pillow) */
                }
            }
            at = c.next;
        }
        throw new WebpException(
                animation ? "it is an animation without frames" : "it has no image data (VP8 or VP8L chunk)");
    }

    private static WebpDecoder still(byte[] data, int width, int height, int flags, Chunk image, Chunk alphaChunk)
            throws WebpException {
        boolean lossless = image.tag.equals("VP8L");
        if (lossless && alphaChunk != null) throw new WebpException("it has an ALPH chunk before a lossless image");
        int[] size = frameSize(data, image, lossless);
        if (size[0] != width || size[1] != height)
            throw new WebpException(
                    "its image is " + size[0] + " x " + size[1] + " but its canvas " + width + " x " + height);
        boolean alpha = lossless ? size[2] == 1 : (flags & ALPHA_FLAG) != 0 || alphaChunk != null;
        return new WebpDecoder(
                data,
                width,
                height,
                alpha,
                lossless,
                image.payload,
                image.size,
                alphaChunk == null ? -1 : alphaChunk.payload,
                alphaChunk == null ? 0 : alphaChunk.size,
                new int[] {width, height, 0, 0});
    }

    private static WebpDecoder firstFrame(byte[] data, int width, int height, int flags, Chunk anmf)
            throws WebpException {
        if (anmf.size < 16) throw new WebpException("its first ANMF chunk is too short");
        int p = anmf.payload, frameEnd = anmf.payload + anmf.size;
        int x = 2 * le24(data, p), y = 2 * le24(data, p + 3);
        Chunk alphaChunk = null, image = null;
        // Like libwebp's demuxer: an optional ALPH, then the image; anything else ends the frame.
        for (int at = p + 16; at < frameEnd; ) {
            Chunk c = Chunk.at(data, at, frameEnd);
            if (c.tag.equals("VP8 ") || c.tag.equals("VP8L")) {
                image = c;
                break;
            }
            if (!c.tag.equals("ALPH") || alphaChunk != null) break;
            alphaChunk = c;
            at = c.next;
        }
        if (image == null) throw new WebpException("its first frame has no image data");
        boolean lossless = image.tag.equals("VP8L");
        if (lossless && alphaChunk != null)
            throw new WebpException("its first frame has an ALPH chunk before a lossless image");
        int[] size = frameSize(data, image, lossless);
        // libwebp's demuxer takes the frame size from the bitstream and checks it fits the canvas.
        if ((long) x + size[0] > width || (long) y + size[1] > height)
            throw new WebpException("its first frame does not fit its canvas");
        return new WebpDecoder(
                data,
                width,
                height,
                (flags & ALPHA_FLAG) != 0,
                lossless,
                image.payload,
                image.size,
                alphaChunk == null ? -1 : alphaChunk.payload,
                alphaChunk == null ? 0 : alphaChunk.size,
                new int[] {size[0], size[1], x, y});
    }

    /** {@return the canvas width (the image's, or an animation's)} */
    public int width() {
        return canvasWidth;
    }

    /** {@return the canvas height} */
    public int height() {
        return canvasHeight;
    }

    /** {@return whether the image decodes to RGBA (else RGB)} */
    public boolean hasAlpha() {
        return alpha;
    }

    /**
     * Decodes the image, or an animation's first frame on its canvas.
     *
     * @return the pixels, RGBA or RGB as {@link #hasAlpha()} says
     * @throws WebpException when the bitstream is corrupt or truncated
     */
    public WebpImage decode() throws WebpException {
        byte[] rgba = new byte[Math.multiplyExact(Math.multiplyExact(frameWidth, frameHeight), 4)];
        if (lossless) {
            int[] argb = Vp8lDecoder.decode(data, imageAt, imageLength);
            for (int i = 0; i < argb.length; i++) {
                int v = argb[i];
                rgba[4 * i] = (byte) (v >> 16);
                rgba[4 * i + 1] = (byte) (v >> 8);
                rgba[4 * i + 2] = (byte) v;
                rgba[4 * i + 3] = (byte) (v >>> 24);
            }
        } else {
            Vp8Decoder.Frame frame = Vp8Decoder.decode(data, imageAt, imageLength);
            FancyUpsampler.toRgb(frame, rgba, 4);
            byte[] a = alphaAt < 0 ? null : AlphaDecoder.decode(data, alphaAt, alphaLength, frameWidth, frameHeight);
            for (int i = 0; i < frameWidth * frameHeight; i++) rgba[4 * i + 3] = a == null ? (byte) 255 : a[i];
        }
        int channels = alpha ? 4 : 3;
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(canvasWidth, canvasHeight), channels)];
        // The canvas starts transparent black; the frame replaces its rectangle (no blending for the first frame).
        for (int y = 0; y < frameHeight; y++) {
            for (int x = 0; x < frameWidth; x++) {
                int from = 4 * (y * frameWidth + x), to = channels * ((frameY + y) * canvasWidth + frameX + x);
                for (int c = 0; c < channels; c++) out[to + c] = rgba[from + c];
            }
        }
        return new WebpImage(canvasWidth, canvasHeight, alpha, out);
    }
}
