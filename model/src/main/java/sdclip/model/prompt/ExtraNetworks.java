package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * AUTOMATIC1111's extra-network tags ({@code modules/extra_networks.py}, {@code parse_prompt}):
 * every {@code <kind:args>} ({@code <lora:detail:0.8>}, {@code <hypernet:x>}, any word before
 * the colon) is taken out of the prompt before anything else reads it, as A1111 does whether or
 * not it knows the kind. Stateless.
 */
public final class ExtraNetworks {
    private ExtraNetworks() {}

    /** {@code re_extra_net}: {@code <(\w+):([^>]+)>} with Python's {@code \w}. */
    private static final Pattern TAG = Pattern.compile("<(" + PythonText.WORD_CLASS + "+):([^>]+)>");

    /**
     * One tag.
     *
     * @param kind the word before the first colon ({@code lora}, {@code hypernet}, ...)
     * @param items what follows, split at every colon ({@code [detail, 0.8]}); A1111 reads
     *     {@code key=value} items as named
     */
    public record Tag(String kind, List<String> items) {
        /** Copies the items. */
        public Tag {
            Objects.requireNonNull(kind, "kind");
            items = List.copyOf(items);
        }
    }

    /**
     * A prompt without its tags.
     *
     * @param text the prompt with every tag replaced by nothing
     * @param tags the tags in order
     */
    public record Stripped(String text, List<Tag> tags) {
        /** Copies the tags. */
        public Stripped {
            Objects.requireNonNull(text, "text");
            tags = List.copyOf(tags);
        }
    }

    /**
     * A {@code <lora:...>} tag as A1111's LoRA network reads it ({@code extra_networks_lora.py}):
     * items with one {@code =} are named, the others positional; the name is the first positional
     * item, the text-encoder weight the second (default 1, overridden by {@code te=}), the UNet's
     * the third (default the text encoder's, overridden by {@code unet=}); each read as Python's
     * {@code float}.
     *
     * @param name the network's name, its file name without extension
     * @param te the text-encoder weight
     * @param unet the UNet weight (sdclip runs no UNet; kept for the record)
     */
    public record LoraTag(String name, double te, double unet) {
        /** Checks the name is present. */
        public LoraTag {
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * Whether a tag's kind is a LoRA: {@code lora}, or {@code lyco}, its alias from the LyCORIS
     * extension days (A1111 1.5+ registers it as one).
     *
     * @param kind the word before the first colon
     * @return true for {@code lora} and {@code lyco}
     */
    public static boolean isLora(String kind) {
        return kind.equals("lora") || kind.equals("lyco");
    }

    /**
     * Reads a LoRA tag's items as A1111 does.
     *
     * @param tag a tag whose kind {@link #isLora}
     * @return the name and weights
     * @throws IllegalArgumentException (a message saying why, for a warning) when there is no name or a weight is
     *     not a number A1111 reads
     */
    public static LoraTag lora(Tag tag) {
        List<String> positional = new ArrayList<>();
        java.util.Map<String, String> named = new java.util.HashMap<>();
        for (String item : tag.items()) {
            String[] parts = item.split("=", -1);
            if (parts.length == 2) named.put(parts[0], parts[1]);
            else positional.add(item);
        }
        if (positional.isEmpty()) throw new IllegalArgumentException("it names no network");
        double te = positional.size() > 1 ? number(positional.get(1), "the text-encoder weight") : 1.0;
        if (named.containsKey("te")) te = number(named.get("te"), "te=");
        double unet = positional.size() > 2 ? number(positional.get(2), "the UNet weight") : te;
        if (named.containsKey("unet")) unet = number(named.get("unet"), "unet=");
        return new LoraTag(positional.getFirst(), te, unet);
    }

    private static double number(String s, String what) {
        return PythonText.parseFloat(s)
                .orElseThrow(() -> new IllegalArgumentException(what + " \"" + s + "\" is not a number"));
    }

    /**
     * The prompt without its extra-network tags.
     *
     * @param prompt the prompt as written
     * @return the text left and the tags taken out
     */
    public static Stripped strip(String prompt) {
        Matcher m = TAG.matcher(prompt);
        List<Tag> tags = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            tags.add(new Tag(m.group(1), Arrays.asList(m.group(2).split(":", -1))));
            m.appendReplacement(text, "");
        }
        m.appendTail(text);
        return new Stripped(text.toString(), tags);
    }
}
