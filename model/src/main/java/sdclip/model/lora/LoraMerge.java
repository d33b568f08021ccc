package sdclip.model.lora;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import sdclip.engine.DType;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.TextTower;

/**
 * Merges a stack of networks into one tower without copying the model: only the weights some
 * network changes get a private F32 copy (off the Java heap, in the caller's arena); every
 * other tensor stays the mapped original. Each merged value is
 * {@code (float) (base + c1 · d1 + c2 · d2 + ...)} computed in double, left to right in stack
 * order, where {@code base} is the stored value widened, {@code dk} network k's delta at that
 * place ({@link Delta}) and {@code ck} its user weight times its scale ({@link Network}); one
 * rounding, at the end. Where a network changes one of a layer's q, k and v, the other two are
 * copied to F32 as well (the backends fuse the three into one linear of one dtype); widening
 * is exact, so they keep their values.
 */
public final class LoraMerge {
    private LoraMerge() {}

    /**
     * One network file's part on this tower, and its weight.
     *
     * @param networks its networks, by the canonical name of the weight each changes ({@link LoraFile#bind})
     * @param weight the user's weight (A1111's text-encoder multiplier, ComfyUI's {@code strength_clip})
     */
    public record Stacked(Map<String, Network> networks, double weight) {}

    /** Rows merged per task. */
    private static final int BLOCK = 64;

    /**
     * The merged weights of one tower.
     *
     * @param tower the tower, as mapped
     * @param stack the networks in order
     * @param arena where the merged copies live; shared, as rows are merged in parallel
     * @return the replaced weights by canonical name (empty when no network touches the tower)
     */
    public static Map<String, Weights> merge(TextTower tower, List<Stacked> stack, Arena arena) {
        Map<String, Weights> out = new LinkedHashMap<>();
        for (String name : tower.tensors().keySet()) {
            List<Network> nets = new ArrayList<>();
            List<Double> coefs = new ArrayList<>();
            for (Stacked s : stack) {
                Network n = s.networks().get(name);
                if (n == null || s.weight() == 0) continue;
                nets.add(n);
                coefs.add(s.weight() * n.scale());
            }
            if (!nets.isEmpty()) out.put(name, merged(tower.tensor(name), nets, coefs, arena));
        }
        // q, k and v fuse into one linear: one merged means all three in F32.
        for (int l = 0; l < tower.config().layers(); l++) {
            String p = TextTower.layer(l) + "self_attn.";
            List<String> qkv = List.of(p + "q_proj.weight", p + "k_proj.weight", p + "v_proj.weight");
            if (qkv.stream().noneMatch(out::containsKey)) continue;
            for (String n : qkv)
                if (!out.containsKey(n)) out.put(n, merged(tower.tensor(n), List.of(), List.of(), arena));
        }
        return out;
    }

    private static Weights merged(TextTower.Tensor base, List<Network> nets, List<Double> coefs, Arena arena) {
        int rows = Math.toIntExact(base.shape()[0]), cols = Math.toIntExact(base.shape()[1]);
        List<Delta> deltas = nets.stream().map(Network::delta).toList();
        MemorySegment seg = arena.allocate((long) rows * cols * Float.BYTES, 64);
        IntStream.range(0, (rows + BLOCK - 1) / BLOCK).parallel().forEach(b -> {
            float[] row = new float[cols];
            double[] acc = new double[cols], s1 = new double[cols], s2 = new double[cols];
            for (int i = b * BLOCK; i < Math.min(rows, (b + 1) * BLOCK); i++) {
                base.copyTo((long) i * cols, row, 0, cols);
                for (int j = 0; j < cols; j++) acc[j] = row[j];
                for (int k = 0; k < deltas.size(); k++) deltas.get(k).addRow(i, coefs.get(k), acc, s1, s2);
                for (int j = 0; j < cols; j++) row[j] = (float) acc[j];
                MemorySegment.copy(row, 0, seg, Weights.F32_LE, (long) i * cols * Float.BYTES, cols);
            }
        });
        return Weights.of(DType.F32, seg);
    }
}
