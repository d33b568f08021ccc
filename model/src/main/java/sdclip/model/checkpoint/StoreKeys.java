package sdclip.model.checkpoint;

import java.util.Map;
import java.util.TreeMap;

import sdclip.model.safetensors.TensorStore;

/** What a tensor store's key names say: which prefixes it holds, and a summary of them for messages. */
final class StoreKeys {
    private StoreKeys() {}

    /** Whether some key of {@code s} starts with {@code prefix}. */
    static boolean hasPrefix(TensorStore s, String prefix) {
        for (String n : s.names()) if (n.startsWith(prefix)) return true;
        return false;
    }

    /** A Hugging Face text model saved without its {@code text_model.} prefix. */
    static boolean isBareHf(TensorStore s) {
        return s.has("embeddings.token_embedding.weight") && hasPrefix(s, "encoder.layers.");
    }

    /** The prefix of a Hugging Face text model's tensors: {@code text_model.}, or none in recent transformers' files; null when neither. */
    static String hfPrefix(TensorStore s) {
        if (hasPrefix(s, "text_model.")) return "text_model.";
        return isBareHf(s) ? "" : null;
    }

    /** The first two dotted components of every key, with counts: what a file holds, at a glance; the empty key as {@code ""}. */
    static String topPrefixes(TensorStore s) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String n : s.names()) {
            String[] parts = n.split("\\.", 3);
            String p = parts.length > 2 ? parts[0] + "." + parts[1] + "." : n;
            counts.merge(p, 1, Integer::sum);
        }
        if (counts.isEmpty()) return "(no tensors)";
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (var e : counts.entrySet()) {
            if (shown++ == 8) {
                sb.append(", ...");
                break;
            }
            sb.append(shown > 1 ? ", " : "")
                    .append(e.getKey().isEmpty() ? "\"\"" : e.getKey()) // a tensor named "" must show
                    .append(" (")
                    .append(e.getValue())
                    .append(')');
        }
        return sb.toString();
    }
}
