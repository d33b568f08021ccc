package sdclip.model.synth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import sdclip.engine.DType;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorType;

/**
 * The full-size SD 1.5-shaped text encoder whose every weight is a formula of its Hugging Face
 * name and element index (shared/reference README §4): no weights to ship. F32 holds every
 * value exactly; F16 holds all but the layer-norm weights ({@code 1 + u/4} needs 14 bits),
 * which it rounds. Used by {@code sdclip synth}, {@code sdclip bench} and the full-size tests.
 */
public final class FormulaModel {
    private FormulaModel() {}

    /** SD 1.5's text encoder (CLIP ViT-L/14): vocabulary, context, width, blocks, MLP width, projection width. */
    public static final int VOCAB = 49408, CONTEXT = 77, WIDTH = 768, LAYERS = 12, MLP = 3072, PROJECTION = 768;

    /** CLIP ViT-L/14's vision tower: image 224, patch 14 (257 positions), width 1024, 16 heads, 24 layers, MLP 4096. */
    public static final int IMAGE = 224, PATCH = 14, VISION_WIDTH = 1024, VISION_LAYERS = 24, VISION_MLP = 4096;

    /**
     * A tensor of the model, whose element i is {@code offset + scale * u(fnv1a64(name), i)}.
     *
     * @param name   the Hugging Face tensor name, e.g. {@code text_model.final_layer_norm.weight}
     * @param shape  the dimensions, outermost first
     * @param scale  the multiplier of {@link #u}: a power of two from 1/64 to 1/4
     * @param offset 1 for layer-norm weights, else 0
     */
    public record Spec(String name, long[] shape, double scale, double offset) {
        /** {@return the number of elements, the product of the shape} */
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }

        /**
         * One element's value.
         *
         * @param seed the tensor's seed, {@link #fnv1a64} of its name
         * @param i    the element's row-major index, from 0
         * @return {@code offset + scale * u(seed, i)}
         */
        public double value(long seed, long i) {
            return offset + scale * u(seed, i);
        }
    }

    /** {@return every tensor of the text model, in HF CLIPTextModelWithProjection order} */
    public static List<Spec> tensors() {
        List<Spec> t = new ArrayList<>();
        double s4 = 0x1p-4, s5 = 0x1p-5, s6 = 0x1p-6, ln = 0x1p-2;
        t.add(new Spec("text_model.embeddings.token_embedding.weight", new long[] {VOCAB, WIDTH}, s4, 0));
        t.add(new Spec("text_model.embeddings.position_embedding.weight", new long[] {CONTEXT, WIDTH}, s5, 0));
        for (int l = 0; l < LAYERS; l++) {
            String p = "text_model.encoder.layers." + l + ".";
            t.add(new Spec(p + "layer_norm1.weight", new long[] {WIDTH}, ln, 1));
            t.add(new Spec(p + "layer_norm1.bias", new long[] {WIDTH}, s6, 0));
            for (String x : new String[] {"q", "k", "v", "out"}) {
                t.add(new Spec(p + "self_attn." + x + "_proj.weight", new long[] {WIDTH, WIDTH}, s4, 0));
                t.add(new Spec(p + "self_attn." + x + "_proj.bias", new long[] {WIDTH}, s6, 0));
            }
            t.add(new Spec(p + "layer_norm2.weight", new long[] {WIDTH}, ln, 1));
            t.add(new Spec(p + "layer_norm2.bias", new long[] {WIDTH}, s6, 0));
            t.add(new Spec(p + "mlp.fc1.weight", new long[] {MLP, WIDTH}, s4, 0));
            t.add(new Spec(p + "mlp.fc1.bias", new long[] {MLP}, s6, 0));
            t.add(new Spec(p + "mlp.fc2.weight", new long[] {WIDTH, MLP}, s5, 0));
            t.add(new Spec(p + "mlp.fc2.bias", new long[] {WIDTH}, s6, 0));
        }
        t.add(new Spec("text_model.final_layer_norm.weight", new long[] {WIDTH}, ln, 1));
        t.add(new Spec("text_model.final_layer_norm.bias", new long[] {WIDTH}, s6, 0));
        t.add(new Spec("text_projection.weight", new long[] {PROJECTION, WIDTH}, s4, 0));
        return t;
    }

    /**
     * The vision tower of a CLIP ViT-L/14 {@code CLIPModel} (Hugging Face names), with the same
     * formulas and scales as the text tower: with {@link #tensors()} a whole CLIP model.
     *
     * @return the vision tower's and {@code visual_projection}'s tensors, in Hugging Face order
     */
    public static List<Spec> visionTensors() {
        List<Spec> t = new ArrayList<>();
        double s4 = 0x1p-4, s5 = 0x1p-5, s6 = 0x1p-6, ln = 0x1p-2;
        int w = VISION_WIDTH, positions = (IMAGE / PATCH) * (IMAGE / PATCH) + 1;
        t.add(new Spec("vision_model.embeddings.patch_embedding.weight", new long[] {w, 3, PATCH, PATCH}, s5, 0));
        t.add(new Spec("vision_model.embeddings.class_embedding", new long[] {w}, s4, 0));
        t.add(new Spec("vision_model.embeddings.position_embedding.weight", new long[] {positions, w}, s5, 0));
        t.add(new Spec("vision_model.pre_layrnorm.weight", new long[] {w}, ln, 1));
        t.add(new Spec("vision_model.pre_layrnorm.bias", new long[] {w}, s6, 0));
        for (int l = 0; l < VISION_LAYERS; l++) {
            String p = "vision_model.encoder.layers." + l + ".";
            t.add(new Spec(p + "layer_norm1.weight", new long[] {w}, ln, 1));
            t.add(new Spec(p + "layer_norm1.bias", new long[] {w}, s6, 0));
            for (String x : new String[] {"q", "k", "v", "out"}) {
                t.add(new Spec(p + "self_attn." + x + "_proj.weight", new long[] {w, w}, s4, 0));
                t.add(new Spec(p + "self_attn." + x + "_proj.bias", new long[] {w}, s6, 0));
            }
            t.add(new Spec(p + "layer_norm2.weight", new long[] {w}, ln, 1));
            t.add(new Spec(p + "layer_norm2.bias", new long[] {w}, s6, 0));
            t.add(new Spec(p + "mlp.fc1.weight", new long[] {VISION_MLP, w}, s4, 0));
            t.add(new Spec(p + "mlp.fc1.bias", new long[] {VISION_MLP}, s6, 0));
            t.add(new Spec(p + "mlp.fc2.weight", new long[] {w, VISION_MLP}, s5, 0));
            t.add(new Spec(p + "mlp.fc2.bias", new long[] {w}, s6, 0));
        }
        t.add(new Spec("vision_model.post_layernorm.weight", new long[] {w}, ln, 1));
        t.add(new Spec("vision_model.post_layernorm.bias", new long[] {w}, s6, 0));
        t.add(new Spec("visual_projection.weight", new long[] {PROJECTION, w}, s4, 0));
        return t;
    }

    /**
     * A tensor's seed.
     *
     * @param name the tensor's Hugging Face name
     * @return FNV-1a 64 of the name's UTF-8 bytes
     */
    public static long fnv1a64(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        return h;
    }

    /**
     * The SplitMix64 output for element {@code i}.
     *
     * @param seed the tensor's seed
     * @param i    the element's row-major index, from 0
     * @return 64 pseudo-random bits
     */
    public static long z(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The formula's unit value for element {@code i}, from the top 11 bits of {@link #z}.
     *
     * @param seed the tensor's seed
     * @param i    the element's row-major index, from 0
     * @return an odd multiple of 1/4096 in (-0.5, 0.5)
     */
    public static double u(long seed, long i) {
        return ((z(seed, i) >>> 53) * 2 + 1) / 4096.0 - 0.5;
    }

    /**
     * Writes the text model as a Hugging Face CLIPTextModelWithProjection safetensors file (atomically).
     *
     * @param file  the file to write; replaced when it exists
     * @param dtype {@link DType#F32} or {@link DType#F16}
     * @throws IOException              when the file cannot be written
     * @throws IllegalArgumentException for {@link DType#BF16}
     */
    public static void write(Path file, DType dtype) throws IOException {
        write(file, dtype, false);
    }

    /**
     * Writes the text model, or with {@code vision} a whole CLIP ViT-L/14 {@code CLIPModel} (text
     * and vision towers), in F32 or F16 (atomically).
     *
     * @param file   the file to write; replaced when it exists
     * @param dtype  {@link DType#F32} or {@link DType#F16}
     * @param vision whether to add the vision tower and {@code visual_projection}
     * @throws IOException              when the file cannot be written
     * @throws IllegalArgumentException for {@link DType#BF16}
     */
    public static void write(Path file, DType dtype, boolean vision) throws IOException {
        if (dtype == DType.BF16) throw new IllegalArgumentException("the formula model is written in F32 or F16");
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("sdclip", "formula model (shared/reference README section 4)");
        TensorType type = dtype == DType.F32 ? TensorType.F32 : TensorType.F16;
        int size = dtype.bytes();
        List<Spec> specs = new ArrayList<>(tensors());
        if (vision) specs.addAll(visionTensors());
        for (Spec spec : specs) {
            w.add(spec.name(), type, spec.shape(), out -> {
                long seed = fnv1a64(spec.name()), n = spec.elements();
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i++) {
                    float v = (float) spec.value(seed, i);
                    if (size == 4) buf.putFloat(v);
                    else buf.putShort(Float.floatToFloat16(v));
                    if (!buf.hasRemaining()) {
                        buf.flip();
                        SafetensorsWriter.writeFully(out, buf);
                        buf.clear();
                    }
                }
                buf.flip();
                SafetensorsWriter.writeFully(out, buf);
            });
        }
        w.write(file);
    }
}
