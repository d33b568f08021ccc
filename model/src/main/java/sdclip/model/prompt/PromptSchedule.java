package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import sdclip.model.PromptException;

/**
 * What AUTOMATIC1111 makes of a prompt for a number of sampling steps, before emphasis
 * ({@code modules/prompt_parser.py}, 1.6 and later): the prompt split at {@code AND} into
 * sub-prompts, each with its weight ({@code get_multicond_prompt_list}: {@code a cat :1.5}), and
 * each sub-prompt's schedule of texts ({@code get_learned_conditioning_prompt_schedules}): prompt
 * editing {@code [from:to:when]}, {@code [to:when]}, {@code [from::when]}, nested, and
 * alternation {@code [a|b|c]}.
 *
 * <p>{@code when} written with a decimal point is a fraction of the steps ({@code int(when *
 * steps)}: {@code 0.5} of 20 is 10, {@code 1.5} is 30, capped at 20), without one a step number;
 * the text before it is used at steps up to {@code when}, the one after it from the next step.
 * An entry {@code (k, text)} means: {@code text} up to and including step {@code k} (steps count
 * from 1). Alternation changes every step: step {@code s} takes option {@code (s - 1) % count}.
 * Extra networks ({@code <lora:...>}) are not read here: remove them first
 * ({@link ExtraNetworks}). Hires-fix steps are not modelled.
 *
 * @param subPrompts the sub-prompts, in order; at least one
 */
public record PromptSchedule(List<SubPrompt> subPrompts) {
    /** A1111's default number of sampling steps. */
    public static final int DEFAULT_STEPS = 20;
    /** The most steps accepted: alternation gives one entry per step. */
    public static final int MAX_STEPS = 10_000;

    /**
     * One {@code AND} sub-prompt.
     *
     * @param text its text as A1111 keeps it (leading whitespace kept, the weight and trailing whitespace removed)
     * @param weight its composable-diffusion weight, 1.0 unless written ({@code :w} at its end)
     * @param schedule its texts by step, in step order; the last ends at the step count
     */
    public record SubPrompt(String text, double weight, List<Step> schedule) {
        /** Copies the schedule. */
        public SubPrompt {
            Objects.requireNonNull(text, "text");
            schedule = List.copyOf(schedule);
        }
    }

    /**
     * One entry of a schedule, as A1111's {@code [end_at_step, text]}.
     *
     * @param endAtStep the last step, from 1, that uses this text
     * @param text the text, still in A1111's emphasis syntax
     */
    public record Step(int endAtStep, String text) {
        /** Checks the text is present. */
        public Step {
            Objects.requireNonNull(text, "text");
        }
    }

    /** {@code re_AND}: {@code \bAND\b} with Python's {@code \w}. */
    private static final Pattern AND =
            Pattern.compile("(?<!" + PythonText.WORD_CLASS + ")AND(?!" + PythonText.WORD_CLASS + ")");
    /** {@code re_weight}, with Python's {@code \s} and {@code \d}; {@code \z} behaves as its {@code $} here. */
    private static final Pattern WEIGHT = Pattern.compile("^([\\s\\S]*?)(?:" + PythonText.SPACE_CLASS + "*:"
            + PythonText.SPACE_CLASS + "*([-+]?(?:\\p{Nd}+\\.?|\\p{Nd}*\\.\\p{Nd}+)))?" + PythonText.SPACE_CLASS
            + "*\\z");

    /** Copies the list and checks there is a sub-prompt. */
    public PromptSchedule {
        subPrompts = List.copyOf(subPrompts);
        if (subPrompts.isEmpty()) throw new IllegalArgumentException("a prompt has at least one sub-prompt");
    }

    /**
     * A prompt's sub-prompts and their schedules.
     *
     * @param prompt the prompt, extra networks already removed
     * @param steps the sampling steps, 1 to {@value #MAX_STEPS}
     * @return the schedule
     * @throws PromptException where a step number is infinite ({@code [a:1e999]}, an error in A1111 too) or
     *     brackets nest too deep
     * @throws IllegalArgumentException for a step count out of range
     */
    public static PromptSchedule of(String prompt, int steps) {
        checkSteps(steps);
        List<SubPrompt> subs = new ArrayList<>();
        Matcher and = AND.matcher(prompt);
        int from = 0;
        while (true) {
            boolean more = and.find();
            String sub = prompt.substring(from, more ? and.start() : prompt.length());
            Matcher m = WEIGHT.matcher(sub);
            if (!m.find()) throw new IllegalStateException("re_weight always matches"); // group 1 can take all
            String text = m.group(1), w = m.group(2);
            double weight = w == null ? 1.0 : PythonText.parseFloat(w).orElseThrow();
            subs.add(new SubPrompt(text, weight, schedule(text, steps, from)));
            if (!more) return new PromptSchedule(subs);
            from = and.end();
        }
    }

    /**
     * One text's schedule ({@code get_learned_conditioning_prompt_schedules} for one prompt).
     *
     * @param text the text; {@code AND} is not special here
     * @param steps the sampling steps, 1 to {@value #MAX_STEPS}
     * @return the entries in step order, the last ending at {@code steps}
     * @throws PromptException where a step number is infinite or brackets nest too deep
     */
    public static List<Step> schedule(String text, int steps) {
        return schedule(text, steps, 0);
    }

    /** {@code text}'s schedule; {@code offset} is where it starts in the prompt, for errors. */
    private static List<Step> schedule(String text, int steps, int offset) {
        checkSteps(steps);
        ScheduleParser.Node tree = ScheduleParser.parse(text, offset);
        if (tree == null) return List.of(new Step(steps, text));
        TreeSet<Integer> ends = new TreeSet<>(List.of(steps));
        collect(tree, steps, ends);
        List<Step> out = new ArrayList<>();
        for (int end : ends) {
            StringBuilder sb = new StringBuilder();
            render(tree, end, steps, sb);
            out.add(new Step(end, sb.toString()));
        }
        return List.copyOf(out);
    }

    /** {@return whether this is one sub-prompt of weight 1 with one text: what a prompt without editing, alternation or AND gives} */
    public boolean isSingle() {
        return subPrompts.size() == 1
                && subPrompts.getFirst().weight() == 1.0
                && subPrompts.getFirst().schedule().size() == 1;
    }

    /** {@return every entry of every sub-prompt, in order} */
    public int entryCount() {
        int n = 0;
        for (SubPrompt s : subPrompts) n += s.schedule().size();
        return n;
    }

    private static void checkSteps(int steps) {
        if (steps < 1 || steps > MAX_STEPS)
            throw new IllegalArgumentException("steps " + steps + " is not in 1.." + MAX_STEPS);
    }

    /** {@code collect_steps}: every {@code when} from 1 up, and every step where an alternation is present. */
    private static void collect(ScheduleParser.Node node, int steps, TreeSet<Integer> ends) {
        switch (node) {
            case ScheduleParser.Text t -> {}
            case ScheduleParser.Seq s -> {
                for (ScheduleParser.Node i : s.items()) collect(i, steps, ends);
            }
            case ScheduleParser.Scheduled s -> {
                long when = when(s, steps);
                if (when >= 1) ends.add((int) when);
                if (s.before() != null) collect(s.before(), steps, ends);
                collect(s.after(), steps, ends);
            }
            case ScheduleParser.Alternate a -> {
                for (int i = 1; i <= steps; i++) ends.add(i);
                for (ScheduleParser.Node o : a.options()) collect(o, steps, ends);
            }
        }
    }

    /**
     * The step a {@code [..:when]} switches after: {@code min(steps, int(v))} where v is the
     * number, times the steps when written with a decimal point; may be 0 or negative (the
     * second text from the start).
     */
    static long when(ScheduleParser.Scheduled s, int steps) {
        double v = Double.parseDouble(s.number());
        if (s.number().contains(".")) v = v * steps;
        if (Double.isInfinite(v))
            throw new PromptException(
                    "step '" + s.number() + "' is not a finite number (at character " + (s.at() + 1) + ")");
        return Math.min(steps, (long) v); // Java's cast truncates toward zero as int() does; beyond long it clamps
    }

    /** {@code at_step}: the text at one step. */
    private static void render(ScheduleParser.Node node, int step, int steps, StringBuilder out) {
        switch (node) {
            case ScheduleParser.Text t -> out.append(t.text());
            case ScheduleParser.Seq s -> {
                for (ScheduleParser.Node i : s.items()) render(i, step, steps, out);
            }
            case ScheduleParser.Scheduled s -> {
                if (step <= when(s, steps)) {
                    if (s.before() != null) render(s.before(), step, steps, out);
                } else {
                    render(s.after(), step, steps, out);
                }
            }
            case ScheduleParser.Alternate a ->
                render(a.options().get((step - 1) % a.options().size()), step, steps, out);
        }
    }
}
