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
            List<Chunk> chunks;
            try {
                chunks = a1111 != null ? a1111.chunk(text) : comfy.chunk(text);
            } catch (PromptException e) {
                throw e.inPrompt(i, text);
            }
            if (json) out.println(json(text, chunks, tok, syntax.name()));
            else text(text, chunks, tok, out);
        }
        out.flush();
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
        StringBuilder sb = new StringBuilder("{\"text\": ")
                .append(Json.quote(text))
                .append(", \"syntax\": \"")
                .append(syntax)
                .append("\", \"chunks\": [");
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
        return sb.append("]}").toString();
    }

    /** Positions up to each chunk's first end token; the padding after it in one line. */
    private static void text(String text, List<Chunk> chunks, ClipTokenizer tok, PrintWriter out) {
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
