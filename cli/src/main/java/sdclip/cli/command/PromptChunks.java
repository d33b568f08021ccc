package sdclip.cli.command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import sdclip.cli.option.PromptSyntaxOptions;
import sdclip.model.PromptException;
import sdclip.model.json.Json;
import sdclip.model.prompt.A1111Chunker;
import sdclip.model.prompt.Chunk;
import sdclip.model.prompt.ComfyChunker;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.EmbeddingSlot;
import sdclip.model.prompt.ExtraNetworks;
import sdclip.model.prompt.PromptSchedule;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.tokenizer.ClipTokenizer;

/** {@code sdclip tokenize --syntax a1111|comfy}: each prompt's chunks, their ids, weights and embedding slots. */
final class PromptChunks {
    private PromptChunks() {}

    static void print(
            List<String> texts,
            ClipTokenizer tok,
            PromptSyntaxOptions syntax,
            EmbeddingFiles embeddings,
            int padId,
            boolean json,
            PrintWriter out) {
        A1111Chunker a1111 =
                syntax.syntax() == PromptSyntax.A1111 ? new A1111Chunker(tok, padId, embeddings.inversions()) : null;
        ComfyChunker comfy = a1111 == null
                ? new ComfyChunker(tok, padId, embeddings.inversions(), ComfyChunker.Grouping.SEGMENTS)
                : null;
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            try {
                if (a1111 == null) {
                    List<Chunk> chunks = comfy.chunk(text);
                    if (json) out.println(json(text, chunks, tok, syntax.name()));
                    else text(text, chunks, tok, out);
                    continue;
                }
                // A1111: tags out, then AND and the schedule; a prompt with none of them prints as its chunks alone,
                // unless --steps asks for the schedule.
                PromptSchedule schedule =
                        PromptSchedule.of(ExtraNetworks.strip(text).text(), syntax.steps());
                if (schedule.isSingle() && !syntax.stepsGiven()) {
                    List<Chunk> chunks = a1111.chunk(schedule.subPrompts()
                            .getFirst()
                            .schedule()
                            .getFirst()
                            .text());
                    if (json) out.println(json(text, chunks, tok, syntax.name()));
                    else text(text, chunks, tok, out);
                } else if (json) {
                    out.println(scheduleJson(text, schedule, a1111, tok, syntax.steps()));
                } else {
                    scheduleText(text, schedule, a1111, tok, out);
                }
            } catch (PromptException e) {
                throw e.inPrompt(i, text);
            }
        }
        out.flush();
    }

    /**
     * A1111's schedule: {@code {"text", "syntax": "a1111", "steps", "subprompts": [{"text", "weight",
     * "schedule": [{"end_at_step", "text", "chunks"}]}]}}.
     */
    private static String scheduleJson(
            String text, PromptSchedule schedule, A1111Chunker chunker, ClipTokenizer tok, int steps) {
        StringBuilder sb = new StringBuilder("{\"text\": ")
                .append(Json.quote(text))
                .append(", \"syntax\": \"a1111\", \"steps\": ")
                .append(steps)
                .append(", \"subprompts\": [");
        for (int i = 0; i < schedule.subPrompts().size(); i++) {
            PromptSchedule.SubPrompt sub = schedule.subPrompts().get(i);
            sb.append(i > 0 ? ", " : "")
                    .append("{\"text\": ")
                    .append(Json.quote(sub.text()))
                    .append(", \"weight\": ")
                    .append(sub.weight())
                    .append(", \"schedule\": [");
            for (int j = 0; j < sub.schedule().size(); j++) {
                PromptSchedule.Step step = sub.schedule().get(j);
                sb.append(j > 0 ? ", " : "")
                        .append("{\"end_at_step\": ")
                        .append(step.endAtStep())
                        .append(", \"text\": ")
                        .append(Json.quote(step.text()))
                        .append(", \"chunks\": ")
                        .append(chunksJson(chunker.chunk(step.text()), tok))
                        .append('}');
            }
            sb.append("]}");
        }
        return sb.append("]}").toString();
    }

    /** Each sub-prompt, its weight, then each entry's steps, text and chunks. */
    private static void scheduleText(
            String text, PromptSchedule schedule, A1111Chunker chunker, ClipTokenizer tok, PrintWriter out) {
        int subs = schedule.subPrompts().size();
        out.println(Json.quote(text) + "  (" + subs + (subs == 1 ? " sub-prompt" : " sub-prompts") + ", "
                + schedule.entryCount() + " scheduled texts)");
        for (int i = 0; i < subs; i++) {
            PromptSchedule.SubPrompt sub = schedule.subPrompts().get(i);
            out.println("sub-prompt " + (i + 1) + "  weight " + sub.weight() + "  " + Json.quote(sub.text()));
            int from = 1;
            for (PromptSchedule.Step step : sub.schedule()) {
                String range = from == step.endAtStep() ? "step " + from : "steps " + from + "-" + step.endAtStep();
                List<Chunk> chunks = chunker.chunk(step.text());
                out.println(range + "  " + Json.quote(step.text()));
                text(null, chunks, tok, out);
                from = step.endAtStep() + 1;
            }
        }
    }

    /** The token at each position, or {@code NAME[i]} at an embedding slot. */
    private static List<String> tokens(Chunk c, ClipTokenizer tok) {
        List<String> tokens = new ArrayList<>(tok.tokens(c.ids()));
        for (int i = 0; i < Chunk.LENGTH; i++) {
            EmbeddingSlot s = c.slot(i);
            if (s != null) tokens.set(i, s.name() + "[" + s.index() + "]");
        }
        return tokens;
    }

    private static String json(String text, List<Chunk> chunks, ClipTokenizer tok, String syntax) {
        return "{\"text\": " + Json.quote(text) + ", \"syntax\": \"" + syntax + "\", \"chunks\": "
                + chunksJson(chunks, tok) + "}";
    }

    /** {@code [{"ids", "weights", "tokens", "embeddings"}, ...]}. */
    private static String chunksJson(List<Chunk> chunks, ClipTokenizer tok) {
        StringBuilder sb = new StringBuilder("[");
        for (int c = 0; c < chunks.size(); c++) {
            Chunk chunk = chunks.get(c);
            sb.append(c > 0 ? ", " : "").append("{\"ids\": [");
            for (int i = 0; i < Chunk.LENGTH; i++) sb.append(i > 0 ? ", " : "").append(chunk.id(i));
            sb.append("], \"weights\": [");
            for (int i = 0; i < Chunk.LENGTH; i++) sb.append(i > 0 ? ", " : "").append(chunk.weight(i));
            sb.append("], \"tokens\": [");
            List<String> tokens = tokens(chunk, tok);
            for (int i = 0; i < Chunk.LENGTH; i++) sb.append(i > 0 ? ", " : "").append(Json.quote(tokens.get(i)));
            sb.append("], \"embeddings\": [");
            boolean first = true;
            for (int i = 0; i < Chunk.LENGTH; i++) {
                EmbeddingSlot s = chunk.slot(i);
                if (s == null) continue;
                sb.append(first ? "" : ", ")
                        .append("{\"position\": ")
                        .append(i)
                        .append(", \"name\": ")
                        .append(Json.quote(s.name()))
                        .append(", \"vector\": ")
                        .append(s.index())
                        .append('}');
                first = false;
            }
            sb.append("]}");
        }
        return sb.append("]").toString();
    }

    /** Positions up to each chunk's first end token; the padding after it in one line; {@code text} null for no header. */
    private static void text(String text, List<Chunk> chunks, ClipTokenizer tok, PrintWriter out) {
        if (text != null)
            out.println(Json.quote(text) + "  (" + chunks.size() + (chunks.size() == 1 ? " chunk" : " chunks") + ")");
        for (int c = 0; c < chunks.size(); c++) {
            Chunk chunk = chunks.get(c);
            List<String> tokens = tokens(chunk, tok);
            out.println(" chunk " + (c + 1));
            int end = 0;
            while (end < Chunk.LENGTH - 1 && (chunk.id(end) != tok.endId() || chunk.slot(end) != null)) end++;
            for (int i = 0; i <= end; i++) {
                String weight = chunk.weight(i) == 1f ? "" : String.format(Locale.ROOT, "  x%s", chunk.weight(i));
                out.printf("  %3d  %6d  %s%s%n", i, chunk.id(i), tokens.get(i), weight);
            }
            if (end < Chunk.LENGTH - 1)
                out.printf("  %d-%d  padding (%d)%n", end + 1, Chunk.LENGTH - 1, chunk.id(Chunk.LENGTH - 1));
        }
    }
}
