package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import sdclip.model.PromptException;

/**
 * A run of A1111 prompts as the texts to encode: each prompt without its extra-network tags
 * ({@link ExtraNetworks}), split at {@code AND} and scheduled ({@link PromptSchedule}), one
 * {@link Row} per schedule entry. When no prompt has editing, alternation or {@code AND}
 * ({@link #isScheduled()} false) there is one row per prompt, its only text. Immutable.
 */
public final class ScheduledPrompts {
    /**
     * One text to encode and where it belongs.
     *
     * @param prompt the prompt's index in the run, from 0
     * @param subPrompt the {@code AND} sub-prompt's index in its prompt, from 0
     * @param endAtStep the last sampling step, from 1, that uses this row
     * @param weight the sub-prompt's weight
     * @param text the text, in A1111's emphasis syntax
     */
    public record Row(int prompt, int subPrompt, int endAtStep, double weight, String text) {
        /** Checks the text is present. */
        public Row {
            Objects.requireNonNull(text, "text");
        }
    }

    private final List<PromptSchedule> schedules;
    private final List<Row> rows;
    private final boolean scheduled;

    private ScheduledPrompts(List<PromptSchedule> schedules, List<Row> rows, boolean scheduled) {
        this.schedules = schedules;
        this.rows = rows;
        this.scheduled = scheduled;
    }

    /**
     * Reads a run.
     *
     * @param prompts the prompts as written
     * @param steps the sampling steps, 1 to {@link PromptSchedule#MAX_STEPS}
     * @return the rows
     * @throws PromptException naming the prompt ({@link PromptException#inPrompt}) where a step or an
     *     emphasis weight is not a number, or brackets nest too deep
     */
    public static ScheduledPrompts of(List<String> prompts, int steps) {
        List<PromptSchedule> schedules = new ArrayList<>(prompts.size());
        List<Row> rows = new ArrayList<>();
        Set<String> checked = new HashSet<>();
        boolean scheduled = false;
        for (int p = 0; p < prompts.size(); p++) {
            String prompt = prompts.get(p);
            try {
                PromptSchedule s = PromptSchedule.of(ExtraNetworks.strip(prompt).text(), steps);
                schedules.add(s);
                scheduled |= !s.isSingle();
                for (int i = 0; i < s.subPrompts().size(); i++) {
                    PromptSchedule.SubPrompt sub = s.subPrompts().get(i);
                    for (PromptSchedule.Step step : sub.schedule()) {
                        // A bad emphasis weight is found here, where the prompt is known, not later per row.
                        if (checked.add(step.text())) A1111Parser.parse(step.text());
                        rows.add(new Row(p, i, step.endAtStep(), sub.weight(), step.text()));
                    }
                }
            } catch (PromptException e) {
                throw e.inPrompt(p, prompt);
            }
        }
        return new ScheduledPrompts(List.copyOf(schedules), List.copyOf(rows), scheduled);
    }

    /** {@return whether some prompt has more than one text or a weight: the run needs its schedule written out} */
    public boolean isScheduled() {
        return scheduled;
    }

    /** {@return each prompt's schedule, in order} */
    public List<PromptSchedule> schedules() {
        return schedules;
    }

    /** {@return the rows: prompt by prompt, sub-prompt by sub-prompt, in step order} */
    public List<Row> rows() {
        return rows;
    }

    /** {@return the rows' texts, in order} */
    public List<String> texts() {
        return rows.stream().map(Row::text).toList();
    }
}
