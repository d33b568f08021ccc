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
 * per-encoder tensor follows under {@code encoder1.} / {@code encoder2.}.
 */
final class SdxlMerge {
    private static final List<String> FROM_ENCODER_2 = List.of("input_ids", "pooled_index", "pooled_output", "text_embeds");

    private SdxlMerge() {}

    static List<TensorSpec> specs(List<TensorSpec> e1, List<TensorSpec> e2) {
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
        for (TensorSpec s : e2) {
            if (s.name().equals("pooled_output") || s.name().equals("text_embeds")) out.add(s);
        }
        prefixed(out, e1, "encoder1.", false);
        prefixed(out, e2, "encoder2.", true);
        return out;
    }

    /** Per-encoder tensors under their prefix; each says which top-level tensor holds its values too. */
    private static void prefixed(List<TensorSpec> out, List<TensorSpec> specs, String prefix, boolean second) {
        for (TensorSpec s : specs) {
            String copyOf = s.name().equals("conditioning") ? "conditioning"
                    : second && FROM_ENCODER_2.contains(s.name()) ? s.name()
                    : s.copyOf() != null ? prefix + s.copyOf() : null;
            out.add(new TensorSpec(prefix + s.name(), s.dtype(), s.shape(), s.batchAxis(), copyOf));
        }
    }

    static Map<String, HostTensor> merge(Map<String, HostTensor> e1, Map<String, HostTensor> e2) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        out.put("input_ids", e2.get("input_ids"));
        out.put("pooled_index", e2.get("pooled_index"));
        HostTensor a = e1.get("conditioning"), b = e2.get("conditioning");
        if (a != null) out.put("conditioning", sideBySide(a, b));
        for (String name : List.of("pooled_output", "text_embeds")) if (e2.containsKey(name)) out.put(name, e2.get(name));
        e1.forEach((name, t) -> out.put("encoder1." + name, t));
        e2.forEach((name, t) -> out.put("encoder2." + name, t));
        return out;
    }

    /** {@code [N, 77, D1]} and {@code [N, 77, D2]} as {@code [N, 77, D1 + D2]}. */
    private static HostTensor sideBySide(HostTensor a, HostTensor b) {
        int d1 = (int) a.shape()[2], d2 = (int) b.shape()[2], rows = (int) (a.shape()[0] * a.shape()[1]);
        float[] c = new float[Math.multiplyExact(rows, d1 + d2)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(a.floats(), r * d1, c, r * (d1 + d2), d1);
            System.arraycopy(b.floats(), r * d2, c, r * (d1 + d2) + d1, d2);
        }
        return HostTensor.of(c, a.shape()[0], a.shape()[1], d1 + d2);
    }

    private static TensorSpec find(List<TensorSpec> specs, String name) {
        return specs.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }
}
