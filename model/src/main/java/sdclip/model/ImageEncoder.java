package sdclip.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.VisionTower;
import sdclip.model.image.ClipImageProcessor;
import sdclip.model.image.Preprocess;
import sdclip.model.image.PreprocessedImage;
import sdclip.model.vision.VisionTransformer;

/**
 * A CLIP model's vision tower, ready to encode images.
 *
 * <pre>{@code
 * try (ImageEncoder enc = ImageEncoder.open(Path.of("clip-vit-large-patch14"))) {
 *     ImageEncoding e = enc.encode(List.of(Path.of("cat.png")));
 *     float[] embeds = e.imageEmbeds().floats(); // [1, 768]
 * }
 * }</pre>
 *
 * Images are decoded and preprocessed ({@link ClipImageProcessor}, OpenAI's {@code _transform}
 * by default) a batch at a time on the encoder's threads, then run through the tower, so memory
 * stays bounded by the batch (plus the outputs). An image that cannot be decoded throws
 * {@link sdclip.model.image.ImageException} with a one-line message naming the file. Thread-safe;
 * closing unmaps the file and frees the backend.
 */
public final class ImageEncoder implements AutoCloseable {

    /**
     * How to open a model: immutable, defaults first, each {@code with} method a changed copy
     * (new settings can be added without breaking callers).
     */
    public static final class Options {
        private final int visionHeads, threads, batchSize;
        private final Device device;
        private final Preprocess preprocess;
        private final boolean exifTranspose;

        private Options(
                int visionHeads,
                Device device,
                int threads,
                int batchSize,
                Preprocess preprocess,
                boolean exifTranspose) {
            this.visionHeads = visionHeads;
            this.device = device;
            this.threads = threads;
            this.batchSize = batchSize;
            this.preprocess = preprocess;
            this.exifTranspose = exifTranspose;
        }

        /**
         * {@return heads inferred, the CPU on every processor, 8 images per pass, OpenAI's
         * preprocessing, Exif orientation ignored}
         */
        public static Options defaults() {
            return new Options(0, Device.cpu(), 0, 8, Preprocess.OPENAI, false);
        }

        /** {@return heads of the vision tower, 0 to infer (config.json, else width / 64; 16 for OpenCLIP ViT-H/bigG)} */
        public int visionHeads() {
            return visionHeads;
        }

        /** {@return the backend that runs the tower} */
        public Device device() {
            return device;
        }

        /** {@return CPU threads for the backend and for decoding, 0 for every processor} */
        public int threads() {
            return threads;
        }

        /** {@return images per forward pass (bounds memory)} */
        public int batchSize() {
            return batchSize;
        }

        /** {@return which reference preprocessing to reproduce} */
        public Preprocess preprocess() {
            return preprocess;
        }

        /** {@return whether JPEGs are turned upright by their Exif orientation before preprocessing} */
        public boolean exifTranspose() {
            return exifTranspose;
        }

        /**
         * A copy with another head count.
         *
         * @param h heads of the vision tower, 0 to infer
         * @return the new options
         */
        public Options withVisionHeads(int h) {
            return new Options(h, device, threads, batchSize, preprocess, exifTranspose);
        }

        /**
         * A copy with another backend.
         *
         * @param d the backend, e.g. {@link Device#auto()}
         * @return the new options
         */
        public Options withDevice(Device d) {
            return new Options(visionHeads, d, threads, batchSize, preprocess, exifTranspose);
        }

        /**
         * A copy with another thread count.
         *
         * @param n CPU threads for the backend and for decoding, 0 for every processor
         * @return the new options
         */
        public Options withThreads(int n) {
            return new Options(visionHeads, device, n, batchSize, preprocess, exifTranspose);
        }

        /**
         * A copy with another batch size.
         *
         * @param n images per forward pass; values below 1 mean 1
         * @return the new options
         */
        public Options withBatchSize(int n) {
            return new Options(visionHeads, device, threads, n, preprocess, exifTranspose);
        }

        /**
         * A copy with another preprocessing.
         *
         * @param p the reference preprocessing to reproduce
         * @return the new options
         */
        public Options withPreprocess(Preprocess p) {
            return new Options(visionHeads, device, threads, batchSize, p, exifTranspose);
        }

        /**
         * A copy that applies (or ignores) Exif orientation, as Pillow's {@code ImageOps.exif_transpose}
         * before either preprocessing. Off by default, as the references ignore it.
         *
         * @param on whether to turn JPEGs upright by their Exif orientation tag
         * @return the new options
         */
        public Options withExifTranspose(boolean on) {
            return new Options(visionHeads, device, threads, batchSize, preprocess, on);
        }

        @Override
        public String toString() {
            return "ImageEncoder.Options[visionHeads=" + visionHeads + ", device=" + device + ", threads=" + threads
                    + ", batchSize=" + batchSize + ", preprocess=" + preprocess + ", exifTranspose=" + exifTranspose
                    + "]";
        }
    }

    private final Checkpoint checkpoint;
    private final Backend backend;
    private final VisionTransformer transformer;
    private final ClipImageProcessor processor;
    private final ExecutorService decoders;
    private final int batchSize;

    private ImageEncoder(Checkpoint checkpoint, Backend backend, Options options) {
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.transformer = new VisionTransformer(backend, checkpoint.visionTower());
        this.processor = ClipImageProcessor.of(transformer.config().imageSize(), options.preprocess())
                .withExifTranspose(options.exifTranspose());
        this.batchSize = Math.max(1, options.batchSize());
        int threads = Math.max(1, backend.threads());
        this.decoders = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "sdclip-image-decoder");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * {@link #open(Path, Options)} with {@link Options#defaults()}.
     *
     * @param model a CLIP model file or folder
     * @return the encoder; the caller closes it
     * @throws IOException when the model is missing or unreadable, or has no vision tower
     * @throws sdclip.model.safetensors.SafetensorsException when a file is malformed or not a recognised checkpoint,
     *                                                       or a vision tensor has the wrong shape
     */
    public static ImageEncoder open(Path model) throws IOException {
        return open(model, Options.defaults());
    }

    /**
     * Opens a CLIP model's vision tower (a CLIPModel or CLIPVisionModel(WithProjection), file or folder,
     * or an OpenAI/OpenCLIP file), checks its tensors and starts the backend.
     *
     * @param model   a CLIP model file or folder
     * @param options vision heads, backend, threads, batch size and preprocessing
     * @return the encoder; the caller closes it
     * @throws IOException              when the model is missing or unreadable, or has no vision tower
     * @throws sdclip.model.safetensors.SafetensorsException when a file is malformed or not a recognised checkpoint,
     *                                  or a vision tensor has the wrong shape
     * @throws IllegalArgumentException for an unknown backend or negative heads or threads
     * @throws sdclip.model.checkpoint.HeadCountException when the vision heads given do not divide the tower's width
     * @throws IllegalStateException    when the backend cannot run here (see {@link Backends#create})
     */
    public static ImageEncoder open(Path model, Options options) throws IOException {
        Checkpoint checkpoint = Checkpoint.open(model, null, options.visionHeads());
        Backend backend = null;
        try {
            if (!checkpoint.hasVisionTower()) {
                throw new ModelFormatException(
                        model,
                        "has no CLIP vision tower (family "
                                + checkpoint.family().id() + "); image encoding needs a CLIP model");
            }
            checkpoint.visionTower(); // resolve and check every tensor before starting a backend
            backend = Backends.create(options.device(), options.threads());
            return new ImageEncoder(checkpoint, backend, options);
        } catch (RuntimeException e) {
            if (backend != null) backend.close();
            checkpoint.close();
            throw e;
        }
    }

    /** {@return the opened model; valid until {@link #close()}} */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /** {@return the vision tower's tensors under canonical names} */
    public VisionTower tower() {
        return checkpoint.visionTower();
    }

    /** {@return the vision tower's shape: image size S, patch, width D, heads, layers, projection P} */
    public ClipVisionConfig config() {
        return transformer.config();
    }

    /** {@return the backend's name, e.g. {@code cpu}} */
    public String backendName() {
        return backend.name();
    }

    /** {@return the threads the backend computes with} */
    public int threads() {
        return backend.threads();
    }

    /**
     * Decodes and preprocesses one image to this model's input size S.
     *
     * @param image a PNG, JPEG, BMP or GIF file
     * @return the pixels, {@code [3, S, S]} as bytes and normalised floats
     * @throws sdclip.model.image.ImageException when the file cannot be read or decoded; the message names it
     */
    public PreprocessedImage preprocess(Path image) {
        return processor.process(image);
    }

    /**
     * Decodes and preprocesses one image held in memory (a file's bytes: a Spark
     * {@code binaryFile} row, a parquet column, a tar member) to this model's input size S, the
     * same pixels {@link #preprocess(Path)} gives for a file with these bytes. Batches of these
     * go through {@link #encode(float[], ImageRequest)}, with the same results as
     * {@link #encode(List, ImageRequest)} on the files.
     *
     * @param image the encoded image: PNG, JPEG, BMP or GIF
     * @param name  what messages call it (a path or URI it came from, a row key)
     * @return the pixels, {@code [3, S, S]} as bytes and normalised floats
     * @throws sdclip.model.image.ImageException when the bytes cannot be decoded; the message starts with {@code name}
     */
    public PreprocessedImage preprocess(byte[] image, String name) {
        return processor.process(image, name);
    }

    /**
     * The tensors an {@code n}-image run of {@code request} produces, in order, with their
     * whole-run shapes, known before any work (as {@link TextEncoder#outputs} on the text side).
     *
     * @param n       the number of images
     * @param request the outputs
     * @return the specs, in the order an {@link ImageEncoding} holds the tensors
     */
    public List<TensorSpec> outputs(long n, ImageRequest request) {
        ClipVisionConfig cfg = config();
        long s = cfg.imageSize(), w = cfg.width(), p = cfg.projectionDim(), t = cfg.positions();
        List<TensorSpec> out = new ArrayList<>();
        if (p > 0 && request.wants(ImageOutput.IMAGE_EMBEDS))
            out.add(new TensorSpec(ImageOutput.IMAGE_EMBEDS.id(), "F32", new long[] {n, p}, 0, null));
        if (request.wants(ImageOutput.POOLED_OUTPUT))
            out.add(new TensorSpec(ImageOutput.POOLED_OUTPUT.id(), "F32", new long[] {n, w}, 0, null));
        if (request.wants(ImageOutput.PIXEL_VALUES))
            out.add(new TensorSpec(ImageOutput.PIXEL_VALUES.id(), "F32", new long[] {n, 3, s, s}, 0, null));
        if (request.wants(ImageOutput.HIDDEN_STATES)) {
            out.add(new TensorSpec(
                    ImageOutput.HIDDEN_STATES.id(), "F32", new long[] {cfg.layers() + 1, n, t, w}, 1, null));
        }
        return out;
    }

    /**
     * Encodes image files with {@link ImageRequest#standard()}.
     *
     * @param images PNG, JPEG, BMP or GIF files; may be empty
     * @return the embeddings, M = {@code images.size()}
     * @throws sdclip.model.image.ImageException when a file cannot be read or decoded (the first failing one)
     */
    public ImageEncoding encode(List<Path> images) {
        return encode(images, ImageRequest.standard());
    }

    /**
     * Encodes image files, a batch at a time, telling the request's listener after each batch.
     *
     * @param images  PNG, JPEG, BMP or GIF files; may be empty
     * @param request the outputs and the progress listener
     * @return the tensors asked for, M = {@code images.size()}
     * @throws sdclip.model.image.ImageException when a file cannot be read or decoded (the first failing one)
     */
    public ImageEncoding encode(List<Path> images, ImageRequest request) {
        int s = config().imageSize(), n = images.size(), per = 3 * s * s;
        return run(n, request, (b0, batch) -> {
            List<PreprocessedImage> done = preprocess(images.subList(b0, b0 + batch));
            float[] px = new float[batch * per];
            for (int i = 0; i < batch; i++) System.arraycopy(done.get(i).pixelValues(), 0, px, i * per, per);
            return px;
        });
    }

    /**
     * Encodes preprocessed pixels {@code [M, 3, S, S]} (normalised, channel-first; S is
     * {@link ClipVisionConfig#imageSize()}), for callers with their own preprocessing.
     *
     * @param pixelValues M images of {@code 3 * S * S} floats each, row-major
     * @param request     the outputs and the progress listener
     * @return the tensors asked for, for the M images
     * @throws IllegalArgumentException when the length is not a multiple of {@code 3 * S * S}
     */
    public ImageEncoding encode(float[] pixelValues, ImageRequest request) {
        int s = config().imageSize(), per = 3 * s * s;
        if (pixelValues.length % per != 0)
            throw new IllegalArgumentException("pixel values hold " + pixelValues.length
                    + " floats, not a whole number of [3, " + s + ", " + s + "] images");
        return run(
                pixelValues.length / per,
                request,
                (b0, batch) -> Arrays.copyOfRange(pixelValues, b0 * per, (b0 + batch) * per));
    }

    private interface PixelSource {
        float[] pixels(int b0, int batch);
    }

    private ImageEncoding run(int n, ImageRequest request, PixelSource source) {
        ClipVisionConfig cfg = config();
        int s = cfg.imageSize(), w = cfg.width(), p = cfg.projectionDim(), t = cfg.positions(), layers = cfg.layers();
        int per = 3 * s * s;
        boolean hiddenStates = request.wants(ImageOutput.HIDDEN_STATES);
        float[] embeds = p > 0 && request.wants(ImageOutput.IMAGE_EMBEDS) ? new float[n * p] : null;
        float[] pooled = request.wants(ImageOutput.POOLED_OUTPUT) ? new float[n * w] : null;
        float[] pixels = request.wants(ImageOutput.PIXEL_VALUES) ? new float[n * per] : null;
        float[] hidden = hiddenStates ? new float[(layers + 1) * n * t * w] : null;
        for (int b0 = 0; b0 < n; b0 += batchSize) {
            int batch = Math.min(batchSize, n - b0);
            float[] px = source.pixels(b0, batch);
            VisionTransformer.Result r =
                    transformer.forward(px, 0, batch, new VisionTransformer.Request(false, hiddenStates));
            if (pixels != null) System.arraycopy(px, 0, pixels, b0 * per, batch * per);
            if (embeds != null) System.arraycopy(r.imageEmbeds(), 0, embeds, b0 * p, batch * p);
            if (pooled != null) System.arraycopy(r.pooled(), 0, pooled, b0 * w, batch * w);
            if (hidden != null) {
                for (int l = 0; l <= layers; l++)
                    System.arraycopy(r.hiddenStates()[l], 0, hidden, (l * n + b0) * t * w, batch * t * w);
            }
            request.progress().progress(b0 + batch, n);
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        if (embeds != null) out.put(ImageOutput.IMAGE_EMBEDS.id(), HostTensor.of(embeds, n, p));
        if (pooled != null) out.put(ImageOutput.POOLED_OUTPUT.id(), HostTensor.of(pooled, n, w));
        if (pixels != null) out.put(ImageOutput.PIXEL_VALUES.id(), HostTensor.of(pixels, n, 3, s, s));
        if (hidden != null) out.put(ImageOutput.HIDDEN_STATES.id(), HostTensor.of(hidden, layers + 1, n, t, w));
        return new ImageEncoding(out, n);
    }

    /** Decodes and preprocesses images in parallel, results in order; the first failure (in order) is thrown. */
    private List<PreprocessedImage> preprocess(List<Path> images) {
        List<Future<PreprocessedImage>> futures = new ArrayList<>();
        for (Path image : images) futures.add(decoders.submit(() -> processor.process(image)));
        List<PreprocessedImage> out = new ArrayList<>();
        try {
            for (Future<PreprocessedImage> f : futures) out.add(f.get());
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            futures.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding images", e);
        }
        return out;
    }

    @Override
    public void close() {
        decoders.shutdownNow();
        backend.close();
        checkpoint.close();
    }
}
