package sdclip.model.lora;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a tensor name in a LoRA file means: a part of a network on a text-encoder linear, a key
 * sdclip leaves alone (the UNet's, or a tower it does not run), or a text-encoder key it does
 * not know. Names come in two spellings:
 * <ul>
 * <li>kohya / A1111 / LyCORIS: {@code lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight}
 *     ({@code lora_te1_}, {@code lora_te2_} for the encoders of SDXL and SD3), module and part
 *     split at the first dot;
 * <li>diffusers / PEFT: {@code text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight}
 *     ({@code text_encoder_2.} for the second encoder).
 * </ul>
 * Both name Hugging Face's CLIP modules, whatever the checkpoint's own layout (kohya's SD 2.x
 * and SDXL encoder-2 networks too), so they map onto the towers' canonical names.
 */
final class LoraKeys {
    private LoraKeys() {}

    /** What one key is. */
    sealed interface Key permits Part, Ignored, Unknown {}

    /**
     * A part of a network on one linear.
     *
     * @param encoder the encoder number, from 1, or 0 for kohya's {@code lora_te_} (a model's only encoder)
     * @param layer the transformer layer, from 0
     * @param module {@code self_attn.q_proj}, {@code self_attn.k_proj}, {@code self_attn.v_proj},
     *     {@code self_attn.out_proj}, {@code mlp.fc1} or {@code mlp.fc2}
     * @param part what the tensor is, in kohya's words ({@code lora_down.weight}, {@code alpha}, {@code hada_w1_a}, ...)
     */
    record Part(int encoder, int layer, String module, String part) implements Key {
        /** {@return the canonical name of the weight this part changes} */
        String weightName() {
            return "text_model.encoder.layers." + layer + "." + module + ".weight";
        }
    }

    /** A key for the UNet (or a diffusion transformer), or for a tower sdclip does not run (T5). */
    record Ignored() implements Key {}

    /** A key of a text encoder that names no linear sdclip knows. */
    record Unknown() implements Key {}

    private static final Pattern KOHYA = Pattern.compile(
            "lora_te([12]?)_text_model_encoder_layers_(\\d{1,4})_(self_attn_[qkv]_proj|self_attn_out_proj|mlp_fc[12])\\.(.+)");
    private static final Pattern DIFFUSERS = Pattern.compile(
            "text_encoder(_2)?\\.text_model\\.encoder\\.layers\\.(\\d{1,4})\\.(self_attn\\.(?:[qkv]|out)_proj|mlp\\.fc[12])\\.(.+)");
    /** Text-encoder keys of the towers sdclip runs; anything under them that does not match is unknown. */
    private static final Pattern TEXT_ENCODER = Pattern.compile("lora_te[12]?_.*|text_encoder(_2)?\\..*");
    /** T5 (SD3's third encoder), which sdclip lists but does not run. */
    private static final Pattern T5 = Pattern.compile("lora_te3_.*|text_encoder_3\\..*");
    /** Diffusers' spellings of the two factors, as kohya's. */
    private static final Pattern DIFFUSERS_PART = Pattern.compile(
            "(?:lora_A|lora\\.down|lora_linear_layer\\.down)\\.weight|(?:lora_B|lora\\.up|lora_linear_layer\\.up)\\.weight");

    /** Reads one key. */
    static Key of(String key) {
        Matcher k = KOHYA.matcher(key);
        if (k.matches()) {
            int encoder = k.group(1).isEmpty() ? 0 : Integer.parseInt(k.group(1));
            String module = k.group(3).replaceFirst("^self_attn_", "self_attn.").replaceFirst("^mlp_", "mlp.");
            return new Part(encoder, Integer.parseInt(k.group(2)), module, kohyaPart(k.group(4)));
        }
        Matcher d = DIFFUSERS.matcher(key);
        if (d.matches()) {
            int encoder = d.group(1) == null ? 1 : 2;
            return new Part(encoder, Integer.parseInt(d.group(2)), d.group(3), kohyaPart(d.group(4)));
        }
        if (T5.matcher(key).matches()) return new Ignored();
        if (TEXT_ENCODER.matcher(key).matches()) return new Unknown();
        return new Ignored();
    }

    /** A part in kohya's words: diffusers' and PEFT's factor names become {@code lora_down} / {@code lora_up}. */
    private static String kohyaPart(String part) {
        if (!DIFFUSERS_PART.matcher(part).matches()) return part;
        return part.contains("lora_A") || part.contains("down") ? "lora_down.weight" : "lora_up.weight";
    }
}
