package sdclip.model.text;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/**
 * SDXL's two encoders as one result: the conditioning is both encoders' features side by side
 * ({@code [N, 77, D1 + D2]}), the top-level ids and pooled vectors are encoder 2's, and every
 * per-encoder tensor follows under {@code encoder1.} / {@code encoder2.}. SD3 joins its CLIP-L and
 * CLIP-G the same way except for the pooled vector, which Stability's reference code
 * ({@code sd3_infer.py}, {@code get_cond}) builds as CLIP-L's unprojected pooled output followed
 * by CLIP-G's projected one ({@code text_embeds}): {@code [N, W1 + P2]}, with no single
 * {@code text_embeds}.
 */
final class SdxlMerge {
    private static final List<String> FROM_ENCODER_2 =
            List.of("input_ids", "pooled_index", "pooled_output", "text_embeds");

    private SdxlMerge() {}

    static List<TensorSpec> specs(List<TensorSpec> e1, List<TensorSpec> e2, boolean sd3) {
        List<TensorSpec> out = new ArrayList<>();
        TensorSpec c1 = find(e1, "conditioning"), c2 = find(e2, "conditioning");
        for (TensorSpec s : e2) {
            if (s.name().equals("input_ids") || s.name().equals("pooled_index")) out.add(s);
        }
        if (c1 != null) {
            long[] shape = c1.shape().clone();
            shape[2] += c2.shape()[2];
            out.add(new TensorSpec("conditioning", "F32", shape, 0, null));
        }
        if (sd3) {
            TensorSpec l = find(e1, "pooled_output"),
                    g = find(e2, "text_embeds") != null ? find(e2, "text_embeds") : find(e2, "pooled_output");
            if (l != null && g != null)
                out.add(new TensorSpec(
                        "pooled_output", "F32", new long[] {l.shape()[0], l.shape()[1] + g.shape()[1]}, 0, null));
        } else {
            for (TensorSpec s : e2) {
                if (s.name().equals("pooled_output") || s.name().equals("text_embeds")) out.add(s);
            }
        }
        // Both encoders tokenize the same text with one vocabulary, so encoder 1's end token stands where
        // encoder 2's does: its pooled_index repeats the top level's (its ids differ, by their padding).
        prefixed(out, e1, "encoder1.", List.of("pooled_index"));
        prefixed(out, e2, "encoder2.", sd3 ? FROM_ENCODER_2.subList(0, 2) : FROM_ENCODER_2);
        return out;
    }

    /**
     * Per-encoder tensors under their prefix; each says which top-level tensor holds its values
     * too ({@code topLevel}: the names the top level takes from this encoder as they are).
     */
    private static void prefixed(List<TensorSpec> out, List<TensorSpec> specs, String prefix, List<String> topLevel) {
        for (TensorSpec s : specs) {
            String copyOf = s.name().equals("conditioning")
                    ? "conditioning"
                    : topLevel.contains(s.name()) ? s.name() : s.copyOf() != null ? prefix + s.copyOf() : null;
            out.add(new TensorSpec(prefix + s.name(), s.dtype(), s.shape(), s.batchAxis(), copyOf));
        }
    }

    static Map<String, HostTensor> merge(Map<String, HostTensor> e1, Map<String, HostTensor> e2, boolean sd3) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("input_ids", e2.get("input_ids"));
        out.put("pooled_index", e2.get("pooled_index"));
        HostTensor a = e1.get("conditioning"), b = e2.get("conditioning");
        if (a != null) out.put("conditioning", sideBySide(a, b));
        if (sd3) {
            HostTensor l = e1.get("pooled_output"),
                    g = e2.containsKey("text_embeds") ? e2.get("text_embeds") : e2.get("pooled_output");
            if (l != null && g != null) out.put("pooled_output", rowsSideBySide(l, g));
        } else {
            for (String name : List.of("pooled_output", "text_embeds"))
                if (e2.containsKey(name)) out.put(name, e2.get(name));
        }
        e1.forEach((name, t) -> out.put("encoder1." + name, t));
        e2.forEach((name, t) -> out.put("encoder2." + name, t));
        return out;
    }

    /** {@code [N, 77, D1]} and {@code [N, 77, D2]} as {@code [N, 77, D1 + D2]}. */
    private static HostTensor sideBySide(HostTensor a, HostTensor b) {
        return HostTensor.of(
                joinRows(a, b, (int) a.shape()[2], (int) b.shape()[2]),
                a.shape()[0],
                a.shape()[1],
                a.shape()[2] + b.shape()[2]);
    }

    /** {@code [N, D1]} and {@code [N, D2]} as {@code [N, D1 + D2]}. */
    private static HostTensor rowsSideBySide(HostTensor a, HostTensor b) {
        return HostTensor.of(
                joinRows(a, b, (int) a.shape()[1], (int) b.shape()[1]), a.shape()[0], a.shape()[1] + b.shape()[1]);
    }

    /** Each row of {@code a} (width d1) followed by the same row of {@code b} (width d2). */
    private static float[] joinRows(HostTensor a, HostTensor b, int d1, int d2) {
        int rows = a.floats().length / d1;
        float[] c = new float[Math.multiplyExact(rows, d1 + d2)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a.floats(), r * d1, c, r * (d1 + d2), d1);
            System.arraycopy(b.floats(), r * d2, c, r * (d1 + d2) + d1, d2);
        }
        return c;
    }

    private static TensorSpec find(List<TensorSpec> specs, String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }
}
