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
