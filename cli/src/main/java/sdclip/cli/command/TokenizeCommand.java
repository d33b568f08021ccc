package sdclip.cli.command;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sdclip.cli.option.ModelPaths;
import sdclip.cli.option.PromptSyntaxOptions;
import sdclip.cli.option.Prompts;
import sdclip.cli.output.JsonWriter;
import sdclip.cli.output.StandardOutput;
import sdclip.model.tokenizer.ClipTokenizer;

/** {@code sdclip tokenize}: prompts to CLIP token ids, as the reference tokenizer gives them. */
@Command(
        name = "tokenize",
        mixinStandardHelpOptions = true,
        description = "Tokenize prompts exactly as CLIP does: ids with start and end tokens, truncated to 77.")
public final class TokenizeCommand implements Callable<Integer> {

    enum Pad {
        eos,
        zero,
        none
    }

    @Spec
    CommandSpec spec;

    @Mixin
    Prompts prompts;

    @Mixin
    PromptSyntaxOptions syntax;

    @Mixin
    ModelPaths modelPaths;

    @Option(
            names = "--tokenizer",
            paramLabel = "PATH",
            description =
                    "bpe_simple_vocab_16e6.txt.gz, a vocab.json, or a folder with vocab.json + merges.txt (default: $SDCLIP_TOKENIZER).")
    Path tokenizer;

    @Option(
            names = "--json",
            description =
                    "One JSON object per prompt and line: {\"text\", \"ids\", \"tokens\"}; with --syntax a1111 or comfy {\"text\", \"syntax\", \"chunks\": [{\"ids\", \"weights\", \"tokens\", \"embeddings\"}]}; an A1111 prompt with editing, alternation or AND (or any, with --steps) {\"text\", \"syntax\", \"steps\", \"subprompts\": [{\"text\", \"weight\", \"schedule\": [{\"end_at_step\", \"text\", \"chunks\"}]}]}.")
    boolean json;

    @Option(names = "--no-truncate", description = "Keep every id instead of cutting to 77.")
    boolean noTruncate;

    @Option(
            names = "--pad",
            defaultValue = "none",
            paramLabel = "eos|zero|none",
            description =
                    "With --syntax a1111 or comfy: what follows a chunk's end token (eos, the default, or zero). Otherwise: pad to 77 with the end token (eos: SD 1.x, SDXL encoder 1, HF CLIP), 0 (zero: SD 2.x, OpenCLIP) or not at all (none, the default).")
    Pad pad;

    @Override
    public Integer call() throws Exception {
        syntax.check();
        List<String> texts = prompts.read();
        ClipTokenizer tok = ClipTokenizer.locate(tokenizer, null);
        int padId = switch (pad) {
            case eos -> tok.endId();
            case zero -> 0;
            case none -> -1;
        };
        PrintWriter out = spec.commandLine().getOut();
        if (!syntax.plain()) {
            PromptChunks.print(
                    texts,
                    tok,
                    syntax,
                    syntax.embeddings(modelPaths, spec.commandLine().getErr()),
                    pad == Pad.zero ? 0 : tok.endId(),
                    json,
                    out);
            return 0;
        }
        for (String text : texts) {
            int[] ids = tok.encode(text);
            if (!noTruncate || padId >= 0)
                ids = tok.fit(
                        ids,
                        noTruncate ? Math.max(ids.length, ClipTokenizer.CONTEXT_LENGTH) : ClipTokenizer.CONTEXT_LENGTH,
                        padId);
            List<String> tokens = tok.tokens(ids);
            if (json) {
                StringBuilder sb = new StringBuilder("{\"text\": ")
                        .append(JsonWriter.string(text))
                        .append(", \"ids\": [");
                for (int i = 0; i < ids.length; i++)
                    sb.append(i > 0 ? ", " : "").append(ids[i]);
                sb.append("], \"tokens\": [");
                for (int i = 0; i < tokens.size(); i++)
                    sb.append(i > 0 ? ", " : "").append(JsonWriter.string(tokens.get(i)));
                out.println(sb.append("]}"));
            } else {
                out.println(JsonWriter.string(text) + "  (" + ids.length + " ids)");
                for (int i = 0; i < ids.length; i++) out.printf("  %3d  %6d  %s%n", i, ids[i], tokens.get(i));
            }
            StandardOutput.check(out); // a reader that has gone stops the run here, not after every prompt
        }
        out.flush();
        return 0;
    }
}
