package sdclip.cli.option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import sdclip.cli.UsageException;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.TextTower;

/**
 * The option checks the commands share, each a {@link UsageException} (exit 2) in the CLI's own
 * words: those that need no model run before anything is opened, the rest right after opening,
 * before any work.
 */
public final class OptionChecks {
    private OptionChecks() {}

    /** {@code --encoder N}: null (not given) is 0, the model's default; encoders count from 1. */
    public static int encoder(String flag, Integer number) {
        if (number == null) return 0;
        if (number < 1) throw new UsageException(flag + " " + number + ": encoders are numbered from 1");
        return number;
    }

    /** The model has encoder {@code number} (0, the default, always exists). */
    public static void encoderExists(String flag, int number, Checkpoint c) {
        int count = c.encoders().size();
        if (number > count) {
            throw new UsageException(flag + " " + number + ": " + c.path() + " has " + count + " text encoder"
                    + (count == 1 ? "" : "s") + (count == 1 ? " (leave out " + flag + ")" : " (1 to " + count + ")"));
        }
    }

    /** Head counts are positive. */
    public static void headValues(String flag, int[] heads) {
        if (heads == null) return;
        for (int h : heads)
            if (h < 1) throw new UsageException(flag + " " + joined(heads) + ": every value must be positive");
    }

    /**
     * A head list names every encoder of {@code model} or none: a shorter one would silently
     * default the rest. Reads only the checkpoint's header, and only when there is a list.
     */
    public static void headCount(String flag, int[] heads, Path model) throws IOException {
        if (heads == null) return;
        headValues(flag, heads);
        int encoders;
        try (Checkpoint c = Checkpoint.open(model, null)) {
            encoders = c.encoders().size();
        }
        if (heads.length != encoders) {
            throw new UsageException(flag + " " + joined(heads) + " gives " + heads.length + " value(s) but " + model
                    + " has " + encoders + " text encoder(s); give one per encoder");
        }
    }

    /**
     * {@code --vision-heads N} as its option setter sees it, while parsing: a count below 1 is a
     * usage error (leaving the option out infers the count).
     */
    public static int visionHeads(int n) {
        if (n < 1)
            throw new UsageException("--vision-heads " + n + ": give a positive count (leave it out to infer it)");
        return n;
    }

    /** {@code --clip-skip K}: null (not given) is 0, the family's default; else K counts from 1. */
    public static int clipSkip(Integer k) {
        if (k == null) return 0;
        if (k < 1) throw new UsageException("--clip-skip " + k + ": give 1 (the last layer), 2 (the penultimate), ...");
        return k;
    }

    /** Clip skip K reaches a layer of every encoder the request runs. */
    public static void clipSkipInRange(int k, Checkpoint c, int encoder) {
        if (k == 0) return;
        for (int i = 0; i < c.encoders().size(); i++) {
            if (encoder != 0 && encoder != i + 1) continue;
            TextTower t = c.encoders().get(i);
            int layers = t.config().layers(), most = layers + 1; // K = L + 1 is the embeddings (ConditioningLayer)
            try {
                TextEncoder.describeConditioning(t, k); // the library's one clip-skip rule
            } catch (IllegalArgumentException e) {
                throw new UsageException("--clip-skip " + k + ": " + t.label() + " of " + c.path() + " has " + layers
                        + " layers (at most " + most + ")");
            }
        }
    }

    /** A plain decimal number ({@code 2.5}, {@code .5}, {@code 1e-3}): none of Java's hex floats or {@code f}/{@code d} suffixes. */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /**
     * A number option's value, strictly decimal and finite, else a usage error naming the flag.
     *
     * @param flag the option, for the message
     * @param text the value as typed
     * @return the number
     */
    public static double decimal(String flag, String text) {
        String t = text.strip();
        double v = DECIMAL.matcher(t).matches() ? Double.parseDouble(t) : Double.NaN;
        if (!Double.isFinite(v)) throw new UsageException(flag + " " + text + ": not a decimal number");
        return v;
    }

    /**
     * An option and its value as the command line spelled them, for messages: {@code --type Q8_0},
     * not the enum's {@code q8_0} under the option's longest name.
     *
     * @param command the command whose option it is
     * @param name    any of the option's names
     * @return the name typed and the value typed (the last, if given twice), or the default value
     */
    public static String asTyped(CommandSpec command, String name) {
        ParseResult parsed = command.commandLine().getParseResult();
        OptionSpec o = parsed.matchedOption(name);
        if (o == null) return name + " " + command.findOption(name).defaultValue();
        String flag = name;
        for (String a : parsed.originalArgs())
            for (String n : o.names()) if (a.equals(n) || a.startsWith(n + "=")) flag = n;
        return flag + " " + o.originalStringValues().getLast();
    }

    private static String joined(int[] values) {
        return String.join(",", Arrays.stream(values).mapToObj(String::valueOf).toList());
    }
}
