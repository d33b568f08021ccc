package sdclip.model.prompt;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import sdclip.model.PromptException;

/**
 * AUTOMATIC1111's prompt-editing grammar ({@code modules/prompt_parser.py},
 * {@code schedule_parser}, A1111 1.6 and later):
 *
 * <pre>
 * start: (prompt | /[][():]/+)*
 * prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)*
 * emphasized: "(" prompt ")" | "(" prompt ":" prompt ")" | "[" prompt "]"
 * scheduled: "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
 * alternate: "[" prompt ("|" [prompt])+ "]"
 * plain: /([^\\\[\]():|]|\\.)+/
 * </pre>
 *
 * Inside a {@code prompt} every bracket is structural, so the brackets there match uniquely and
 * each {@code [...]} is emphasis, editing or alternation by its separators; only the top level
 * may hold loose {@code [ ] ( ) :}. A1111's Earley parser prefers a prompt to a loose character
 * wherever both parse (its doctest {@code ((a][:b:c [d:3]} schedules {@code [d:3]}), which is
 * what reading each prompt as far as it goes and taking one loose character where it stops
 * gives. A string the grammar rejects (a {@code |} outside an alternation, a {@code \} at the
 * end or before a line break) makes A1111 use the whole prompt as written: {@link #parse}
 * returns null there. Emphasis keeps its brackets in the text: {@link A1111Parser} reads them
 * later, per scheduled text.
 */
final class ScheduleParser {
    /** Deeper nesting than this is refused: A1111's tree transformer recurses (Python's limit is 1000 frames). */
    static final int MAX_DEPTH = 200;

    /** A parsed piece of prompt. */
    sealed interface Node permits Text, Seq, Scheduled, Alternate {}

    /** Text as written (plain runs, whitespace, emphasis brackets, loose characters). */
    record Text(String text) implements Node {}

    /** Pieces in order. */
    record Seq(List<Node> items) implements Node {}

    /**
     * {@code [before:after:when]}; {@code before} is null for {@code [after:when]}.
     *
     * @param number the NUMBER token as written
     * @param at its position in the prompt as written, from 0
     */
    record Scheduled(Node before, Node after, String number, int at) implements Node {}

    /** {@code [a|b|c]}: option {@code (step - 1) % size} at each step. */
    record Alternate(List<Node> options) implements Node {}

    /** lark's {@code [WHITESPACE] SIGNED_NUMBER [WHITESPACE] "]"}, ASCII digits as lark's common grammar has them. */
    private static final Pattern NUMBER = Pattern.compile(PythonText.SPACE_CLASS
            + "*([+-]?(?:[0-9]+[eE][+-]?[0-9]+|(?:[0-9]+\\.[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[0-9]+))"
            + PythonText.SPACE_CLASS + "*]");

    private record Parsed(Node node, int end) {}

    /** Marks a bracket that starts no item, in the memo. */
    private static final Parsed NONE = new Parsed(null, -1);

    private final String s;
    private final int n;
    /** Where {@code s} starts in the prompt the user wrote, for positions in errors. */
    private final int offset;
    /** Each bracket's item (or {@link #NONE}): an item starting at a position is the same wherever it is met. */
    private final Map<Integer, Parsed> items = new HashMap<>();

    private ScheduleParser(String s, int offset) {
        this.s = s;
        this.n = s.length();
        this.offset = offset;
    }

    /**
     * The prompt's tree.
     *
     * @param prompt the prompt
     * @param offset where {@code prompt} starts in the text the user wrote (an {@code AND} part), for errors
     * @return the tree, or null where A1111's grammar rejects the prompt (it is then used as written)
     * @throws PromptException where brackets nest deeper than {@value #MAX_DEPTH}
     */
    static Node parse(String prompt, int offset) {
        return new ScheduleParser(prompt, offset).start();
    }

    private Node start() {
        List<Node> out = new ArrayList<>();
        int i = 0;
        while (true) {
            Parsed p = prompt(i, 0);
            out.add(p.node());
            i = p.end();
            if (i == n) return new Seq(out);
            char c = s.charAt(i);
            if ("[]():".indexOf(c) < 0) return null; // '|' outside an alternation, or a lone '\'
            out.add(new Text(String.valueOf(c)));
            i++;
        }
    }

    /** A {@code prompt} from {@code i}, as far as it goes (possibly empty). */
    private Parsed prompt(int i, int depth) {
        List<Node> out = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (i + 1 >= n || s.charAt(i + 1) == '\n') break; // lark's '.' stops at a line feed
                text.append(c).append(s.charAt(i + 1));
                i += 2;
            } else if ("[]():|".indexOf(c) < 0) {
                text.append(c);
                i++;
            } else if (c == '[' || c == '(') {
                Parsed item = item(i, depth + 1);
                if (item == null) break;
                if (!text.isEmpty()) out.add(new Text(text.toString()));
                text.setLength(0);
                out.add(item.node());
                i = item.end();
            } else {
                break;
            }
        }
        if (!text.isEmpty()) out.add(new Text(text.toString()));
        return new Parsed(new Seq(out), i);
    }

    /** The bracketed item at {@code i}, or null where none starts there. */
    private Parsed item(int i, int depth) {
        Parsed known = items.get(i);
        if (known != null) return known == NONE ? null : known;
        if (depth > MAX_DEPTH)
            throw new PromptException(
                    "brackets nest deeper than " + MAX_DEPTH + " (at character " + (offset + i + 1) + ")");
        Parsed p = s.charAt(i) == '[' ? square(i, depth) : round(i, depth);
        items.put(i, p == null ? NONE : p);
        return p;
    }

    private Parsed square(int i, int depth) {
        Parsed first = prompt(i + 1, depth);
        int j = first.end();
        if (j >= n) return null;
        switch (s.charAt(j)) {
            case ']' -> {
                return new Parsed(new Seq(List.of(new Text("["), first.node(), new Text("]"))), j + 1);
            }
            case '|' -> {
                List<Node> options = new ArrayList<>(List.of(first.node()));
                while (j < n && s.charAt(j) == '|') {
                    Parsed o = prompt(j + 1, depth);
                    options.add(o.node());
                    j = o.end();
                }
                return j < n && s.charAt(j) == ']' ? new Parsed(new Alternate(List.copyOf(options)), j + 1) : null;
            }
            case ':' -> {
                Matcher m = number(j + 1);
                if (m != null)
                    return new Parsed(new Scheduled(null, first.node(), m.group(1), offset + m.start(1)), m.end());
                Parsed second = prompt(j + 1, depth);
                int k = second.end();
                if (k < n && s.charAt(k) == ':' && (m = number(k + 1)) != null)
                    return new Parsed(
                            new Scheduled(first.node(), second.node(), m.group(1), offset + m.start(1)), m.end());
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private Parsed round(int i, int depth) {
        Parsed first = prompt(i + 1, depth);
        int j = first.end();
        if (j >= n) return null;
        if (s.charAt(j) == ')') return new Parsed(new Seq(List.of(new Text("("), first.node(), new Text(")"))), j + 1);
        if (s.charAt(j) != ':') return null;
        Parsed second = prompt(j + 1, depth);
        int k = second.end();
        if (k >= n || s.charAt(k) != ')') return null;
        return new Parsed(
                new Seq(List.of(new Text("("), first.node(), new Text(":"), second.node(), new Text(")"))), k + 1);
    }

    /** {@code [WHITESPACE] NUMBER [WHITESPACE] "]"} at {@code i}, or null. */
    private Matcher number(int i) {
        Matcher m = NUMBER.matcher(s).region(i, n);
        return m.lookingAt() ? m : null;
    }
}
