package sdclip.model.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import sdclip.model.format.TensorFiles;
import sdclip.model.gguf.GgufFile;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.TensorStore;

/**
 * A checkpoint opened and recognised from its keys: its family, its layout, and its text
 * encoders in order (SDXL: CLIP-L first, bigG second). Holds the mapped files; closing unmaps.
 * See the table of supported layouts in docs/checkpoints.md.
 */
public final class Checkpoint implements AutoCloseable {

    /** The checkpoint families sdclip recognises. */
    public enum Family {
        /** Stable Diffusion 1.x: OpenAI CLIP ViT-L/14, clip skip 1. */
        SD1("sd1"),
        /** Stable Diffusion 2.x: OpenCLIP ViT-H/14, clip skip 2. */
        SD2("sd2"),
        /** SDXL base: encoder 1 CLIP ViT-L/14, encoder 2 OpenCLIP ViT-bigG/14. */
        SDXL("sdxl"),
        /** The SDXL refiner: OpenCLIP ViT-bigG/14 only. */
        SDXL_REFINER("sdxl-refiner"),
        /** SD3 and SD3.5: CLIP-L and CLIP-G (their T5 is listed, not run). */
        SD3("sd3"),
        /** Flux: CLIP-L only (its T5 is listed, not run). */
        FLUX("flux"),
        /** A CLIP model with text and vision towers (Hugging Face CLIPModel, OpenAI or OpenCLIP). */
        CLIP("clip"),
        /** A CLIP text model alone (Hugging Face CLIPTextModel(WithProjection), or OpenAI keys without vision). */
        CLIP_TEXT("clip-text"),
        /** A CLIP vision model without a text tower (Hugging Face CLIPVisionModel(WithProjection), OpenAI {@code visual.*}). */
        CLIP_VISION("clip-vision");

        private final String id;

        Family(String id) {
            this.id = id;
        }

        /** {@return the lower-case name messages and files use, e.g. {@code sdxl-refiner}} */
        public String id() {
            return id;
        }
    }

    /** Where SD3 and Flux single files keep their T5 encoder, which sdclip lists but does not run. */
    public static final String T5_PREFIX = "text_encoders.t5xxl.";

    private final Path path;
    private final Family family;
    private final String layout;
    private final List<TextTower> encoders;
    /** How to build the vision tower (built on first use, so a text-only caller never pays for it), or null. */
    private final VisionTower.Builder vision;

    private VisionTower visionTower;
    private final List<TensorStore> stores;
    /** A single file's tensors under the names the towers use (a llama.cpp CLIP file's renamed), or null. */
    private TensorStore view;

    private int t5Tensors;
    private long t5Parameters;

    private Checkpoint(Path path, Recognised recognised, List<TensorStore> stores) {
        this.path = path;
        this.family = recognised.family();
        this.layout = recognised.layout();
        this.encoders = List.copyOf(recognised.encoders());
        this.vision = recognised.vision();
        this.stores = stores;
    }

    /** {@return the file or folder as given to {@link #open}} */
    public Path path() {
        return path;
    }

    /** {@return the family recognised from the keys} */
    public Family family() {
        return family;
    }

    /** {@return how the checkpoint is stored, one phrase, e.g. {@code sd1 single file} or {@code diffusers}} */
    public String layout() {
        return layout;
    }

    /** {@return the text encoders in order (SDXL: CLIP-L first); empty for a CLIP vision model} */
    public List<TextTower> encoders() {
        return encoders;
    }

    /**
     * One text encoder.
     *
     * @param number the encoder number, from 1
     * @return the encoder
     * @throws IllegalArgumentException when the checkpoint has no encoder {@code number}
     */
    public TextTower encoder(int number) {
        if (number < 1 || number > encoders.size()) {
            throw new IllegalArgumentException(
                    "text encoder " + number + " requested, but " + path + " has " + encoders(encoders.size()));
        }
        return encoders.get(number - 1);
    }

    /** {@return whether the checkpoint holds a CLIP vision tower (resolved only on {@link #visionTower()})} */
    public boolean hasVisionTower() {
        return vision != null;
    }

    /**
     * The CLIP vision tower, resolved and checked in full on first call; null when the checkpoint
     * has none (every Stable Diffusion checkpoint).
     *
     * @return the vision tower, or null
     * @throws SafetensorsException when a tensor of the tower is missing or has the wrong shape
     */
    public synchronized VisionTower visionTower() {
        if (vision == null) return null;
        if (visionTower == null) visionTower = vision.build();
        return visionTower;
    }

    /**
     * {@link #open(Path, int[], int)} with the vision tower's heads inferred.
     *
     * @param path  the checkpoint file or folder
     * @param heads head counts per text encoder, or null to infer them
     * @return the checkpoint; the caller closes it
     * @throws IOException          when the path is missing or unreadable, or a folder lacks its weights
     * @throws SafetensorsException when a file is malformed or holds no tower sdclip recognises
     * @throws HeadCountException   when a head count given does not divide its encoder's width
     */
    public static Checkpoint open(Path path, int[] heads) throws IOException {
        return open(path, heads, 0);
    }

    /** {@return how many tensors the T5 encoder under {@link #T5_PREFIX} has (SD3, Flux); 0 when there is none} */
    public int t5Tensors() {
        return t5Tensors;
    }

    /** {@return the T5 encoder's parameter count (elements of its tensors); 0 when there is none} */
    public long t5Parameters() {
        return t5Parameters;
    }

    /**
     * The tensors of a single-file checkpoint, as stored (every tensor, not only the text
     * encoders'), under the names its towers use (a llama.cpp CLIP GGUF file's under Hugging Face
     * names); valid until {@link #close()}.
     *
     * @return the file's tensor store
     * @throws IllegalStateException for a folder checkpoint, which has one store per file
     */
    public TensorStore store() {
        if (stores.size() != 1 || Files.isDirectory(path) || view == null)
            throw new IllegalStateException(path + " is a folder checkpoint, not one file");
        return view;
    }

    private static String encoders(int n) {
        return n + (n == 1 ? " text encoder" : " text encoders");
    }

    /**
     * Opens a checkpoint: a {@code .safetensors} file, a {@code *.safetensors.index.json}, a
     * PyTorch checkpoint ({@code .ckpt}, {@code .pt}, {@code .pth}, {@code .bin}), a GGUF file
     * (stable-diffusion.cpp, Hugging Face names, or llama.cpp's CLIP layout), a diffusers
     * folder, or a Hugging Face model folder (safetensors or {@code pytorch_model.bin}).
     * {@code heads} overrides the head count per encoder (null or shorter: inferred, width / 64
     * unless config.json says otherwise); {@code visionHeads} the vision tower's (0: config.json,
     * else 16 for OpenCLIP's ViT-H and ViT-bigG, else width / 64).
     *
     * @param path        the checkpoint file or folder
     * @param heads       head counts per text encoder, or null to infer them
     * @param visionHeads the vision tower's head count, 0 to infer it
     * @return the checkpoint; the caller closes it
     * @throws IOException              when the path is missing or unreadable, or a folder lacks its weights
     * @throws SafetensorsException     when a file is malformed or holds no tower sdclip recognises; the message
     *                                  names the file
     * @throws IllegalArgumentException for negative {@code visionHeads} or more head counts than encoders
     * @throws HeadCountException       when a head count given does not divide its tower's width
     */
    public static Checkpoint open(Path path, int[] heads, int visionHeads) throws IOException {
        if (!Files.exists(path)) throw new IOException(path + ": no such file or folder");
        if (visionHeads < 0) throw new IllegalArgumentException("vision heads must be positive, got " + visionHeads);
        List<TensorStore> stores = new ArrayList<>();
        try {
            Checkpoint c = Files.isDirectory(path)
                    ? openFolder(path, heads, visionHeads, stores)
                    : openFile(path, heads, visionHeads, stores);
            if (heads != null && heads.length > c.encoders.size()) {
                throw new IllegalArgumentException(
                        heads.length + " head counts given for " + encoders(c.encoders.size()) + " in " + path);
            }
            if (visionHeads > 0) c.visionTower(); // a given count is checked now, as the text encoders' are
            return c;
        } catch (IOException | RuntimeException e) {
            stores.forEach(TensorStore::close);
            throw e;
        }
    }

    /** Opens {@code file}'s tensors into {@code stores}, which the checkpoint (or a failed open) closes. */
    static TensorStore openStore(Path file, List<TensorStore> stores) throws IOException {
        TensorStore s = openTensors(file);
        stores.add(s);
        return s;
    }

    /**
     * Opens one file's tensors as they are stored, unrecognised: a {@code .safetensors} file, a
     * {@code *.safetensors.index.json}, or a PyTorch checkpoint ({@code .ckpt .pt .pth .bin}, zip
     * or legacy format, read by a pickle reader that never executes anything). The format is told
     * by the file's first bytes whatever its extension (a zip archive or torch's legacy magic
     * number is torch, anything else safetensors). A torch extension on a file that is neither
     * torch nor safetensors is refused with one line.
     *
     * @param file the file
     * @return its tensors; the caller closes the store
     * @throws IOException          when the file is missing or unreadable
     * @throws SafetensorsException when a safetensors file or index is malformed, or a torch extension is on
     *                              neither format; the message names the file
     */
    public static TensorStore openTensors(Path file) throws IOException {
        return TensorFiles.open(file);
    }

    private static Checkpoint openFile(Path file, int[] heads, int visionHeads, List<TensorStore> stores)
            throws IOException {
        TensorStore s = openStore(file, stores);
        Recognised r;
        if (s instanceof GgufFile g && LlamaCppClip.isClip(g)) {
            s = new LlamaCppClip.Names(g);
            r = LlamaCppClip.recognise(file, g, s, heads, visionHeads);
        } else {
            r = SingleFileLayouts.recognise(file, s, heads, visionHeads);
            // stable-diffusion.cpp and Hugging Face-named GGUF files keep their checkpoints' names
            if (s instanceof GgufFile) r = new Recognised(r.family(), r.layout() + " (gguf)", r.encoders(), r.vision());
        }
        Checkpoint c = new Checkpoint(file, r, stores);
        c.view = s;
        for (String n : s.names()) {
            if (!n.startsWith(T5_PREFIX)) continue;
            c.t5Tensors++;
            c.t5Parameters += s.info(n).elements();
        }
        return c;
    }

    private static Checkpoint openFolder(Path dir, int[] heads, int visionHeads, List<TensorStore> stores)
            throws IOException {
        Recognised r = DiffusersFolder.isDiffusers(dir)
                ? DiffusersFolder.read(dir, heads, stores)
                : HfModelFolder.read(dir, heads, visionHeads, stores);
        return new Checkpoint(dir, r, stores);
    }

    @Override
    public void close() {
        stores.forEach(TensorStore::close);
    }
}
