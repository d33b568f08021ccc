package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import sdclip.model.PromptException;

/**
 * AUTOMATIC1111's attention syntax as of its version 1.6 and later ({@code modules/prompt_parser.py},
 * {@code parse_prompt_attention}), step for step:
 * <ul>
 * <li>{@code \(} {@code \)} {@code \[} {@code \]} {@code \\} are the literal character; a lone
 *     {@code \} is dropped;
 * <li>{@code (x)} multiplies by 1.1, {@code [x]} by 1/1.1, {@code (x:w)} by {@code w} (whitespace
 *     allowed around {@code w}, as since A1111 1.6: {@code (x: 1.2)}); nesting
 *     multiplies ({@code ((a:1.5))} is 1.65);
 * <li>an unmatched {@code )} or {@code ]}, and {@code :w)} with no open {@code (}, are literal
 *     text; an unclosed {@code (} or {@code [} applies its multiplier to the end of the prompt;
 * <li>{@code BREAK} as a whole word (Python's {@code \bBREAK\b}, surrounding whitespace
 *     included) becomes a {@link Break}; inside brackets A1111's {@code -1} marker gets multiplied
 *     too, so there it becomes the literal text {@code BREAK} with a negative weight (for example
 *     -1.1), exactly as A1111 then tokenizes it;
 * <li>an empty result is one empty fragment of weight 1; adjacent parts of equal weight merge
 *     (exact double comparison, as Python's {@code ==}).
 * </ul>
 * Weights are doubles computed in the same order as Python. Stateless.
 */
final class A1111Parser {
    private A1111Parser() {}

    /**
     * {@code re_attention} of A1111 1.6 and later, whose weight may have whitespace around it
     * ({@code (x: 1.2)}, {@code (x :0.7 )}), with Python's Unicode {@code \s} and {@code \d}.
     */
    private static final Pattern ATTENTION =
            Pattern.compile("\\\\\\(|\\\\\\)|\\\\\\[|\\\\]|\\\\\\\\|\\\\|\\(|\\[|:" + PythonText.SPACE_CLASS
                    + "*([+-]?[.\\p{Nd}]+)" + PythonText.SPACE_CLASS + "*\\)|\\)|]|[^\\\\()\\[\\]:]+|:");
    /** {@code re_break}: {@code \s*\bBREAK\b\s*} with Python's {@code \s} and {@code \w}. */
    private static final Pattern BREAK = Pattern.compile(PythonText.SPACE_CLASS + "*(?<!" + PythonText.WORD_CLASS
            + ")BREAK(?!" + PythonText.WORD_CLASS + ")" + PythonText.SPACE_CLASS + "*");

    private static final double ROUND = 1.1, SQUARE = 1 / 1.1;
    private static final String BREAK_TEXT = "BREAK";
    private static final double BREAK_MARK = -1;

    /** A mutable {@code [text, weight]} pair, as the Python list holds them. */
    private static final class Part {
        String text;
        double weight;

        Part(String text, double weight) {
            this.text = text;
            this.weight = weight;
        }
    }

    /**
     * The prompt's fragments and breaks.
     *
     * @param prompt the prompt; may be empty
     * @return the fragments and breaks in order, with their weights
     * @throws PromptException where a weight like {@code (x:1.2.3)} is not a number (A1111
     *     fails the generation there with Python's {@code ValueError})
     */
    public static List<PromptPart> parse(String prompt) {
        List<Part> res = new ArrayList<>();
        List<Integer> round = new ArrayList<>(), square = new ArrayList<>();
        Matcher m = ATTENTION.matcher(prompt);
        while (m.find()) {
            String text = m.group();
            String weight = m.group(1);
            if (text.startsWith("\\")) {
                res.add(new Part(text.substring(1), 1.0));
            } else if (text.equals("(")) {
                round.add(res.size());
            } else if (text.equals("[")) {
                square.add(res.size());
            } else if (weight != null && !round.isEmpty()) {
                double w = PythonText.parseFloat(weight)
                        .orElseThrow(() -> new PromptException(
                                "weight '" + weight + "' is not a number (at character " + (m.start() + 1) + ")"));
                multiply(res, round.removeLast(), w);
            } else if (text.equals(")") && !round.isEmpty()) {
                multiply(res, round.removeLast(), ROUND);
            } else if (text.equals("]") && !square.isEmpty()) {
                multiply(res, square.removeLast(), SQUARE);
            } else {
                String[] parts = BREAK.split(text, -1);
                for (int i = 0; i < parts.length; i++) {
                    if (i > 0) res.add(new Part(BREAK_TEXT, BREAK_MARK));
                    res.add(new Part(parts[i], 1.0));
                }
            }
        }
        for (int pos : round) multiply(res, pos, ROUND);
        for (int pos : square) multiply(res, pos, SQUARE);
        if (res.isEmpty()) res.add(new Part("", 1.0));
        for (int i = 0; i + 1 < res.size(); ) {
            if (res.get(i).weight == res.get(i + 1).weight) {
                res.get(i).text += res.get(i + 1).text;
                res.remove(i + 1);
            } else {
                i++;
            }
        }
        List<PromptPart> out = new ArrayList<>(res.size());
        for (Part p : res)
            out.add(
                    p.text.equals(BREAK_TEXT) && p.weight == BREAK_MARK
                            ? Break.INSTANCE
                            : new Fragment(p.text, p.weight));
        return List.copyOf(out);
    }

    private static void multiply(List<Part> res, int from, double multiplier) {
        for (int p = from; p < res.size(); p++) res.get(p).weight *= multiplier;
    }
}
