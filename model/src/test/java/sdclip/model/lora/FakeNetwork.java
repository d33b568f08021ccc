package sdclip.model.lora;

import java.util.LinkedHashMap;
import java.util.Map;

import sdclip.testdata.Seeded;

/**
 * Test fixture: one network on one linear of a tiny model, with random factors (rounded to F16,
 * so F16 and F32 files hold the same values) and a known alpha; it writes its tensors under a
 * key stem and computes its own delta, element by element, independently of the production merge.
 */
record FakeNetwork(
        int encoder,
        int layer,
        String module,
        Kind kind,
        Map<String, float[]> parts,
        Map<String, long[]> shapes,
        float alpha) {
    enum Kind {
        LORA,
        LOHA,
        LOKR
    }

    /** Values rounded to F16. */
    static float[] f16(float[] v) {
        for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
        return v;
    }

    /** A LoRA {@code up [out, r] @ down [r, in]} with alpha (NaN for none). */
    static FakeNetwork lora(int encoder, int layer, String module, int out, int in, int r, float alpha, long seed) {
        Seeded s = new Seeded(seed);
        Map<String, float[]> p = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        p.put("lora_down.weight", f16(s.normal(r * in, 0.5f)));
        sh.put("lora_down.weight", new long[] {r, in});
        p.put("lora_up.weight", f16(s.normal(out * r, 0.5f)));
        sh.put("lora_up.weight", new long[] {out, r});
        return new FakeNetwork(encoder, layer, module, Kind.LORA, p, sh, alpha);
    }

    /** A LoHa: {@code (w1a @ w1b) * (w2a @ w2b)}. */
    static FakeNetwork loha(int encoder, int layer, String module, int out, int in, int r, float alpha, long seed) {
        Seeded s = new Seeded(seed);
        Map<String, float[]> p = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        for (String w : new String[] {"hada_w1", "hada_w2"}) {
            p.put(w + "_a", f16(s.normal(out * r, 0.7f)));
            sh.put(w + "_a", new long[] {out, r});
            p.put(w + "_b", f16(s.normal(r * in, 0.7f)));
            sh.put(w + "_b", new long[] {r, in});
        }
        return new FakeNetwork(encoder, layer, module, Kind.LOHA, p, sh, alpha);
    }

    /** A LoKr: {@code kron(w1 [a, b], w2a [out/a, r] @ w2b [r, in/b])}. */
    static FakeNetwork lokr(
            int encoder, int layer, String module, int out, int in, int a, int b, int r, float alpha, long seed) {
        Seeded s = new Seeded(seed);
        Map<String, float[]> p = new LinkedHashMap<>();
        Map<String, long[]> sh = new LinkedHashMap<>();
        p.put("lokr_w1", f16(s.normal(a * b, 0.5f)));
        sh.put("lokr_w1", new long[] {a, b});
        p.put("lokr_w2_a", f16(s.normal(out / a * r, 0.5f)));
        sh.put("lokr_w2_a", new long[] {out / a, r});
        p.put("lokr_w2_b", f16(s.normal(r * (in / b), 0.5f)));
        sh.put("lokr_w2_b", new long[] {r, in / b});
        return new FakeNetwork(encoder, layer, module, Kind.LOKR, p, sh, alpha);
    }

    /** kohya's key stem: {@code lora_te1_text_model_encoder_layers_0_self_attn_q_proj}. */
    String kohyaStem() {
        return "lora_te" + (encoder == 0 ? "" : String.valueOf(encoder)) + "_text_model_encoder_layers_" + layer + "_"
                + module.replace('.', '_');
    }

    /** diffusers' key stem: {@code text_encoder.text_model.encoder.layers.0.self_attn.q_proj}. */
    String diffusersStem() {
        return (encoder == 2 ? "text_encoder_2" : "text_encoder") + ".text_model.encoder.layers." + layer + "."
                + module;
    }

    /** The rank A1111 divides alpha by. */
    int rank() {
        return switch (kind) {
            case LORA -> (int) shapes.get("lora_down.weight")[0];
            case LOHA -> (int) shapes.get("hada_w1_b")[0];
            case LOKR -> (int) shapes.get("lokr_w2_b")[0];
        };
    }

    /** alpha / rank, or 1 without alpha. */
    double scale() {
        return Float.isNaN(alpha) ? 1 : (double) alpha / rank();
    }

    /** The unscaled delta at {@code [i, j]}, each sum over the rank from 0 starting at 0.0. */
    double raw(int i, int j) {
        return switch (kind) {
            case LORA ->
                product(
                        parts.get("lora_up.weight"),
                        parts.get("lora_down.weight"),
                        rank(),
                        i,
                        j,
                        shapes.get("lora_down.weight")[1]);
            case LOHA -> {
                int in = (int) shapes.get("hada_w1_b")[1];
                yield product(parts.get("hada_w1_a"), parts.get("hada_w1_b"), rank(), i, j, in)
                        * product(parts.get("hada_w2_a"), parts.get("hada_w2_b"), rank(), i, j, in);
            }
            case LOKR -> {
                long[] w1 = shapes.get("lokr_w1");
                int c = (int) shapes.get("lokr_w2_a")[0], d = (int) shapes.get("lokr_w2_b")[1];
                double a = parts.get("lokr_w1")[(int) ((i / c) * w1[1] + j / d)];
                double b = product(parts.get("lokr_w2_a"), parts.get("lokr_w2_b"), rank(), i % c, j % d, d);
                yield a * b;
            }
        };
    }

    private static double product(float[] a, float[] b, int r, int i, int j, long cols) {
        double sum = 0.0;
        for (int k = 0; k < r; k++) sum += (double) a[i * r + k] * b[(int) (k * cols + j)];
        return sum;
    }
}
