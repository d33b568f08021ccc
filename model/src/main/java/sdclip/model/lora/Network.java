package sdclip.model.lora;

import java.util.Map;

import sdclip.engine.Weights;
import sdclip.model.ModelFormatException;
import sdclip.model.safetensors.TensorInfo;

/**
 * One network on one {@code [out, in]} text-encoder linear, its factors checked but not read:
 * a LoRA ({@code lora_up @ lora_down}), a LyCORIS LoHa
 * ({@code (hada_w1_a @ hada_w1_b) * (hada_w2_a @ hada_w2_b)}, elementwise) or LoKr
 * ({@code kron(lokr_w1, lokr_w2)}, each factor whole or as {@code _a @ _b}). Its scale is A1111's
 * ({@code network.py}): the {@code scale} tensor when there is one, else {@code alpha / rank}
 * when both are known (LoRA: {@code lora_down}'s rows; LoHa: {@code hada_w1_b}'s; LoKr:
 * {@code lokr_w2_b}'s, else {@code lokr_w1_b}'s, none when both factors are whole), else 1;
 * diffusers files without an {@code alpha} take PEFT's {@code lora_alpha / r} from their metadata.
 */
public final class Network {
    enum Kind {
        LORA,
        LOHA,
        LOKR
    }

    private final LoraFile file;
    private final Map<String, String> parts;
    private final Kind kind;
    private final int out, in;
    private final double scale;

    private Network(LoraFile file, Map<String, String> parts, Kind kind, int out, int in, double scale) {
        this.file = file;
        this.parts = parts;
        this.kind = kind;
        this.out = out;
        this.in = in;
        this.scale = scale;
    }

    /** Checks a module's parts against the weight's shape and reads its scale. */
    static Network of(LoraFile file, LoraFile.Module m, Map<String, String> parts, long outRows, long inCols) {
        int out = Math.toIntExact(outRows), in = Math.toIntExact(inCols);
        Kind kind = kind(file, parts);
        long rank; // the dim A1111 divides alpha by, or -1
        switch (kind) {
            case LORA -> {
                rank = lowRank(file, parts.get("lora_up.weight"), parts.get("lora_down.weight"), out, in);
            }
            case LOHA -> {
                rank = lowRank(file, parts.get("hada_w1_a"), parts.get("hada_w1_b"), out, in);
                lowRank(file, parts.get("hada_w2_a"), parts.get("hada_w2_b"), out, in);
            }
            default -> {
                long[] w1 = kronFactor(file, parts, "lokr_w1"), w2 = kronFactor(file, parts, "lokr_w2");
                if (w1[0] * w2[0] != out || w1[1] * w2[1] != in)
                    throw new ModelFormatException(
                            file.path(),
                            any(parts) + ": kron of [" + w1[0] + ", " + w1[1] + "] and [" + w2[0] + ", " + w2[1]
                                    + "] is not the weight's [" + out + ", " + in + "]: a network for another model");
                rank = w2[2] > 0 ? w2[2] : w1[2] > 0 ? w1[2] : -1;
            }
        }
        double scale;
        if (parts.containsKey("scale")) scale = scalar(file, parts.get("scale"));
        else if (parts.containsKey("alpha")) scale = rank > 0 ? scalar(file, parts.get("alpha")) / rank : 1;
        else if (m.diffusers() && kind == Kind.LORA) scale = peftScale(file, m, rank);
        else scale = 1;
        return new Network(file, parts, kind, out, in, scale);
    }

    private static Kind kind(LoraFile file, Map<String, String> p) {
        boolean lora = p.containsKey("lora_down.weight") || p.containsKey("lora_up.weight");
        boolean hada = p.keySet().stream().anyMatch(k -> k.startsWith("hada_"));
        boolean lokr = p.keySet().stream().anyMatch(k -> k.startsWith("lokr_"));
        if ((lora ? 1 : 0) + (hada ? 1 : 0) + (lokr ? 1 : 0) > 1)
            throw new ModelFormatException(file.path(), any(p) + ": one linear carries parts of two network kinds");
        if (lora && p.containsKey("lora_down.weight") && p.containsKey("lora_up.weight")) return Kind.LORA;
        if (hada && p.keySet().containsAll(java.util.List.of("hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b")))
            return Kind.LOHA;
        if (lokr && whole(p, "lokr_w1") && whole(p, "lokr_w2")) return Kind.LOKR;
        throw new ModelFormatException(file.path(), any(p) + ": an incomplete network (parts " + p.keySet() + ")");
    }

    private static boolean whole(Map<String, String> p, String w) {
        return p.containsKey(w) || (p.containsKey(w + "_a") && p.containsKey(w + "_b"));
    }

    private static String any(Map<String, String> parts) {
        return parts.values().iterator().next();
    }

    /** Checks {@code up [out, r]} and {@code down [r, in]}, r at most min(out, in); returns r. */
    private static long lowRank(LoraFile file, String up, String down, int out, int in) {
        TensorInfo d = file.matrix(down);
        long r = d.shape()[0];
        if (r < 1 || r > Math.min(out, in))
            throw new ModelFormatException(
                    file.path(),
                    down + " has shape " + d.shapeString() + ": rank " + r + " for a [" + out + ", " + in + "] weight");
        file.check(down, r, in);
        file.check(up, out, r);
        return r;
    }

    /** A LoKr factor's shape {@code [rows, cols, rank or 0]}: whole, or {@code _a [rows, r] @ _b [r, cols]}. */
    private static long[] kronFactor(LoraFile file, Map<String, String> parts, String w) {
        if (parts.containsKey(w)) {
            TensorInfo t = file.matrix(parts.get(w));
            return new long[] {t.shape()[0], t.shape()[1], 0};
        }
        TensorInfo a = file.matrix(parts.get(w + "_a")), b = file.matrix(parts.get(w + "_b"));
        long rows = a.shape()[0], r = a.shape()[1], cols = b.shape()[1];
        if (r < 1 || r > Math.min(rows, cols) || b.shape()[0] != r)
            throw new ModelFormatException(
                    file.path(),
                    parts.get(w + "_a") + " " + a.shapeString() + " and " + parts.get(w + "_b") + " " + b.shapeString()
                            + " are not a low-rank pair");
        return new long[] {rows, cols, r};
    }

    private static double scalar(LoraFile file, String name) {
        TensorInfo t = file.store().require(name);
        if (t.type().computeType() == null || t.elements() != 1)
            throw new ModelFormatException(
                    file.path(),
                    name + " is " + t.type() + " " + t.shapeString() + ", expected one floating-point value");
        return file.store().weights(name).get(0);
    }

    /** PEFT: {@code lora_alpha / r} (or {@code / sqrt(r)} with rsLoRA) from the metadata; 1 without. */
    private static double peftScale(LoraFile file, LoraFile.Module m, long rank) {
        double[] a = file.peftAlpha(m.encoder() == 2 ? 2 : 1);
        if (a == null) return 1;
        if (a[1] > 0 && a[1] != rank)
            throw new ModelFormatException(
                    file.path(), m.weight() + " has rank " + rank + " but the adapter metadata says r " + (long) a[1]);
        return a[2] != 0 ? a[0] / Math.sqrt(rank) : a[0] / rank;
    }

    /** {@return the scale the delta is multiplied by, besides the user's weight} */
    double scale() {
        return scale;
    }

    /** {@return the delta's factors, read now (sized by the weight's shape, checked)} */
    Delta delta() {
        return switch (kind) {
            case LORA -> new Delta.LowRank(read("lora_up.weight"), read("lora_down.weight"), out, in);
            case LOHA ->
                new Delta.Hadamard(
                        new Delta.LowRank(read("hada_w1_a"), read("hada_w1_b"), out, in),
                        new Delta.LowRank(read("hada_w2_a"), read("hada_w2_b"), out, in));
            case LOKR -> new Delta.Kronecker(kron("lokr_w1"), kron("lokr_w2"), out, in);
        };
    }

    private Delta.Matrix kron(String w) {
        if (parts.containsKey(w)) {
            TensorInfo t = file.store().require(parts.get(w));
            return new Delta.Whole(read(w), (int) t.shape()[0], (int) t.shape()[1]);
        }
        TensorInfo a = file.store().require(parts.get(w + "_a")),
                b = file.store().require(parts.get(w + "_b"));
        return new Delta.LowRank(read(w + "_a"), read(w + "_b"), (int) a.shape()[0], (int) b.shape()[1]);
    }

    private float[] read(String part) {
        Weights w = file.store().weights(parts.get(part));
        float[] v = new float[Math.toIntExact(w.size())];
        w.copyTo(0, v, 0, v.length);
        return v;
    }
}
