package sdclip.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.prompt.ExtraNetworks;
import sdclip.model.prompt.PromptSyntax;

/**
 * The LoRAs each prompt of a run is encoded with: the options' own ({@link PromptOptions#loras}),
 * then, with A1111's syntax, those its {@code <lora:...>} / {@code <lyco:...>} tags name, found
 * in {@link PromptOptions#loraFolders}; and a note for each tag skipped or ignored, once per
 * run. Networks of weight 0 are left out (merging them would change no value).
 */
final class NetworkTags {
    private NetworkTags() {}

    /**
     * A run's stacks and notes.
     *
     * @param stacks each prompt's LoRAs, in order
     * @param notes what was skipped or ignored, each once, in the order met
     */
    record Run(List<List<Lora>> stacks, List<String> notes) {}

    static Run read(List<String> prompts, PromptOptions options) throws IOException {
        List<Lora> base = options.loras().stream().filter(l -> l.weight() != 0).toList();
        if (options.syntax() != PromptSyntax.A1111)
            return new Run(Collections.nCopies(prompts.size(), base), List.of());
        Set<String> notes = new LinkedHashSet<>();
        Map<String, Path> files = new HashMap<>();
        List<List<Lora>> stacks = new ArrayList<>();
        for (String prompt : prompts) {
            List<Lora> stack = new ArrayList<>(base);
            for (ExtraNetworks.Tag tag : ExtraNetworks.strip(prompt).tags()) {
                String written = "<" + tag.kind() + ":" + String.join(":", tag.items()) + ">";
                if (!ExtraNetworks.isLora(tag.kind())) {
                    notes.add(
                            tag.kind().equals("hypernet")
                                    ? "<hypernet:...> tags are removed from the prompt and ignored: hypernetworks change the"
                                            + " UNet, not the text encoder"
                                    : "<" + tag.kind()
                                            + ":...> tags are removed from the prompt (as A1111 removes every"
                                            + " <name:...> tag) and ignored: \"" + tag.kind()
                                            + "\" is no network that changes the text encoder");
                    continue;
                }
                try {
                    ExtraNetworks.LoraTag t = ExtraNetworks.lora(tag);
                    Path file = files.containsKey(t.name()) ? files.get(t.name()) : find(t.name(), options);
                    files.put(t.name(), file);
                    if (file == null) {
                        notes.add("LoRA \"" + t.name() + "\" is in none of the LoRA folders "
                                + (options.loraFolders().isEmpty() ? "(none is given)" : options.loraFolders())
                                + "; its tag is skipped");
                        continue;
                    }
                    if (t.te() != 0) stack.add(new Lora(file, t.te()));
                } catch (IllegalArgumentException e) {
                    notes.add(written + " is skipped: " + e.getMessage());
                }
            }
            stacks.add(List.copyOf(stack));
        }
        return new Run(stacks, List.copyOf(notes));
    }

    private static Path find(String name, PromptOptions options) throws IOException {
        return Lora.find(name, options.loraFolders());
    }
}
