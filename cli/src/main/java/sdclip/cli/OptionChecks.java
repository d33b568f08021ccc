package sdclip.cli;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import sdclip.model.EncodeRequest;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;

/**
 * The option checks the commands share, each a {@link UsageException} (exit 2) in the CLI's own
 * words: those that need no model run before anything is opened, the rest right after opening,
 * before any work.
 */
final class OptionChecks {
    private OptionChecks() {}

    /** The output formats {@code encode} writes, by extension. */
    static final List<String> OUTPUT_EXTENSIONS = List.of(".safetensors", ".npy", ".json");

    /** {@code --encoder N}: null (not given) is 0, the model's default; encoders count from 1. */
    static int encoder(String flag, Integer number) {
        if (number == null) return 0;
        if (number < 1) throw new UsageException(flag + " " + number + ": encoders are numbered from 1");
        return number;
    }

    /** The model has encoder {@code number} (0, the default, always exists). */
    static void encoderExists(String flag, int number, Checkpoint c) {
        int count = c.encoders().size();
        if (number > count) {
            throw new UsageException(flag + " " + number + ": " + c.path() + " has " + count + " text encoder" + (count == 1 ? "" : "s")
                    + (count == 1 ? " (leave out " + flag + ")" : " (1 to " + count + ")"));
        }
    }

    /** {@code --clip-skip K}: null (not given) is 0, the family's default; else K counts from 1. */
    static int clipSkip(Integer k) {
        if (k == null) return 0;
        if (k < 1) throw new UsageException("--clip-skip " + k + ": give 1 (the last layer), 2 (the penultimate), ...");
        return k;
    }

    /** Clip skip K reaches a layer of every encoder the request runs. */
    static void clipSkipInRange(int k, Checkpoint c, int encoder) {
        if (k == 0) return;
        for (int i = 0; i < c.encoders().size(); i++) {
            if (encoder != 0 && encoder != i + 1) continue;
            TextTower t = c.encoders().get(i);
            int layers = t.config().layers();
            // Raw penultimate conditioning (SDXL) starts one layer down; the normed kind may reach the embeddings.
            int most = t.conditioning() == TextTower.Conditioning.RAW_PENULTIMATE ? layers : layers + 1;
            if (k > most) throw new UsageException("--clip-skip " + k + ": " + t.label() + " of " + c.path() + " has " + layers + " layers (at most " + most + ")");
        }
    }

    /** An output name whose extension says its format. */
    static void outputFormat(Path output) {
        if (output == null) return;
        String name = output.getFileName() == null ? "" : output.getFileName().toString().toLowerCase(Locale.ROOT);
        if (OUTPUT_EXTENSIONS.stream().noneMatch(name::endsWith)) {
            throw new UsageException("--output " + output + ": unknown format; name it " + String.join(", ", OUTPUT_EXTENSIONS).replaceAll(", (?=[^,]*$)", " or "));
        }
    }

    /** {@code --tensor NAME} names a tensor this request produces. */
    static void tensorName(String tensor, TextEncoder enc, EncodeRequest request, boolean borrowsProjection) {
        if (tensor == null) return;
        Set<String> names = tensorNames(enc, request, borrowsProjection);
        if (!names.contains(tensor)) throw new UsageException("--tensor " + tensor + ": not an output here; choose one of " + String.join(", ", names));
    }

    /** The tensors {@link TextEncoder#encode} returns for this request (see the README's encode section). */
    static Set<String> tensorNames(TextEncoder enc, EncodeRequest request, boolean borrowsProjection) {
        int encoders = enc.configs().size();
        if (request.encoder() != 0 || encoders == 1) {
            return perEncoder(enc, request.encoder() == 0 ? 0 : request.encoder() - 1, request, borrowsProjection);
        }
        Set<String> first = perEncoder(enc, 0, request, borrowsProjection), second = perEncoder(enc, 1, request, borrowsProjection);
        Set<String> names = new LinkedHashSet<>(List.of("input_ids", "pooled_index"));
        if (request.conditioning()) names.add("conditioning");
        for (String pooled : List.of("pooled_output", "text_embeds")) if (second.contains(pooled)) names.add(pooled);
        for (String n : first) if (!n.equals("conditioning")) names.add("encoder1." + n);
        for (String n : second) if (!n.equals("conditioning")) names.add("encoder2." + n);
        return names;
    }

    private static Set<String> perEncoder(TextEncoder enc, int index, EncodeRequest r, boolean borrowsProjection) {
        Set<String> names = new LinkedHashSet<>(List.of("input_ids", "pooled_index"));
        if (r.conditioning()) names.add("conditioning");
        if (r.lastHiddenState()) names.add("last_hidden_state");
        if (r.pooled()) {
            names.add("pooled_output");
            if (enc.configs().get(index).hasProjection() || borrowsProjection) names.add("text_embeds");
        }
        if (r.hiddenStates()) names.add("hidden_states");
        return names;
    }
}
