package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import sdclip.model.tokenizer.ClipTokenizer;

/**
 * A1111's textual inversion lookup ({@code EmbeddingDatabase.register_embedding} and
 * {@code find_embedding_at_position}): each trigger is its name tokenized without start and end
 * tokens, indexed by its first token; at a position the longest trigger that matches wins, and
 * among equally long ones the first given.
 */
final class Triggers {
    record Trigger(int[] ids, TextualInversion embedding) {}

    private final Map<Integer, List<Trigger>> byFirst = new HashMap<>();

    Triggers(ClipTokenizer tokenizer, List<TextualInversion> embeddings) {
        for (TextualInversion e : embeddings) {
            int[] all = tokenizer.encode(e.name());
            int[] ids = Arrays.copyOfRange(all, 1, all.length - 1);
            if (ids.length == 0) throw new IllegalArgumentException("embedding name '" + e.name() + "' has no tokens");
            List<Trigger> list = byFirst.computeIfAbsent(ids[0], k -> new ArrayList<>());
            list.add(new Trigger(ids, e));
            list.sort(Comparator.comparingInt((Trigger t) -> t.ids.length).reversed());
        }
    }

    /** The trigger that starts at {@code tokens[offset]}, or {@code null}. */
    Trigger at(int[] tokens, int offset) {
        List<Trigger> candidates = byFirst.get(tokens[offset]);
        if (candidates == null) return null;
        for (Trigger t : candidates) {
            if (offset + t.ids.length <= tokens.length
                    && Arrays.equals(tokens, offset, offset + t.ids.length, t.ids, 0, t.ids.length)) return t;
        }
        return null;
    }
}
