package sdclip.model.pickle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A pickle machine of its own: it runs the opcodes {@code torch.save} emits (protocols 2 to 5,
 * and the protocol 0 and 1 opcodes that can carry a value or a global) over bytes in memory
 * and builds plain Java values. Nothing is imported or executed: globals go through
 * {@link Globals}, and calling one only builds a dict, a set, a tensor view or a placeholder.
 * Every length is checked against the bytes left before anything is allocated, so what the
 * machine allocates is bounded by the size of the pickle, and one work budget bounds its time:
 * every opcode run and every value it moves, copies or hashes is a step, and the steps may not
 * exceed {@link #WORK_PER_BYTE} per byte read so far (plus {@link #WORK_FLOOR}), so any file ends
 * in a value or a one-line refusal in time linear in its size.
 */
final class PickleMachine {
    /** Turns a persistent id (for torch: a storage tuple) into a value. */
    interface PersistentLoader {
        Object load(Object pid);
    }

    private static final int HIGHEST_PROTOCOL = 5;
    private static final int MAX_LINE = 64 * 1024;
    private static final int MAX_LONG_BYTES = 1024;
    /** Bounds the work of checking (and later hashing) one dict key or set element. */
    private static final int MAX_KEY_NODES = 256;
    /** torch's own limit on a tensor's dimensions. */
    static final int MAX_RANK = 64;
    /** Distinct dict keys that may share one hash; real files have a handful at most. */
    private static final int MAX_SAME_HASH = 256;
    /**
     * Work steps allowed per byte of pickle read so far. Real checkpoints take under 3 (each
     * opcode is a step, each value a mark gathers another); what takes more does the same work
     * again and again on values it built once (copies of one big list, a big key hashed anew).
     */
    static final long WORK_PER_BYTE = 32;
    /** Steps allowed whatever the size, so that a small pickle is never cramped. */
    static final long WORK_FLOOR = 1 << 16;

    private final Path file;
    private final MemorySegment data;
    private final long end;
    private final PersistentLoader persistent;
    private long pos;
    private long opcodeAt;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private final List<TorchTensor> tensors = new ArrayList<>();
    /** Every distinct dict key or set element so far, and how many share each hash (see {@link #key}). */
    private final Map<Object, Boolean> distinctKeys = new HashMap<>();

    private final Map<Integer, int[]> keysByHash = new HashMap<>();
    private final long start;
    /** Work steps so far (see {@link #charge}). */
    private long work;

    /** A machine over {@code data[start, end)}; {@code persistent} may be null when no persistent ids are expected. */
    PickleMachine(Path file, MemorySegment data, long start, long end, PersistentLoader persistent) {
        this.file = file;
        this.data = data;
        this.pos = start;
        this.end = end;
        this.persistent = persistent;
        this.start = start;
    }

    /** Runs to the STOP opcode and returns the value on top of the stack. */
    Object run() {
        while (true) {
            opcodeAt = pos;
            int op = u8();
            charge(1);
            if (op == '.') {
                if (stack.isEmpty()) throw fail("stops with an empty stack");
                return stack.removeLast();
            }
            step(op);
        }
    }

    /** Where the machine stopped: the byte after STOP. */
    long position() {
        return pos;
    }

    /** Work steps taken so far (see {@link #charge}). */
    long work() {
        return work;
    }

    /** Every tensor built so far, for the container to check against its storages. */
    List<TorchTensor> tensors() {
        return tensors;
    }

    private void step(int op) {
        switch (op) {
            case 0x80 -> { // PROTO
                int v = u8();
                if (v > HIGHEST_PROTOCOL) throw fail("uses pickle protocol " + v + " (5 at most is read)");
            }
            case 0x95 -> skipFrame(); // FRAME: a length hint only
            case '(' -> mark();
            case '0' -> pop();
            case '1' -> popMark();
            case '2' -> push(peek());
            case 'N' -> push(null);
            case 0x88 -> push(Boolean.TRUE);
            case 0x89 -> push(Boolean.FALSE);
            case 'I', 'J', 'K', 'M', 'L', 0x8a, 0x8b, 'F', 'G' -> push(number(op));
            case 'S', 'T', 'U', 'V', 'X', 0x8c, 0x8d -> push(string(op));
            case 'B', 'C', 0x8e, 0x96 -> push(bytes(op));
            case ')' -> push(new Tuple());
            case 't' -> push(new Tuple(popMark().toArray()));
            case 0x85, 0x86, 0x87 -> push(tupleOf(op - 0x84));
            case ']' -> push(new ArrayList<>());
            case 'l' -> push(new ArrayList<>(popMark()));
            case 'a' -> list(peekBelow(1)).add(pop());
            case 'e' -> {
                List<Object> items = popMark();
                list(peek()).addAll(items);
            }
            case '}' -> push(new LinkedHashMap<>());
            case 'd' -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                putPairs(m, popMark());
                push(m);
            }
            case 's' -> {
                Object v = pop(), k = pop();
                dict(peek()).put(key(k), v);
            }
            case 'u' -> {
                List<Object> items = popMark();
                putPairs(dict(peek()), items);
            }
            case 0x8f -> push(new LinkedHashSet<>());
            case 0x90 -> {
                List<Object> items = popMark();
                addKeys(set(peek()), items);
            }
            case 0x91 -> {
                Set<Object> s = new LinkedHashSet<>();
                addKeys(s, popMark());
                push(s);
            }
            case 'p', 'q', 'r', 0x94 -> memo.put(memoIndex(op), peek());
            case 'g', 'h', 'j' -> push(memoGet(memoIndex(op)));
            case 'c' -> push(Globals.resolve(file, line(), line()));
            case 0x93 -> {
                Object name = pop(), module = pop();
                push(Globals.resolve(file, text(module, "module"), text(name, "name")));
            }
            case 'R' -> {
                Object args = pop();
                push(call(pop(), tuple(args, "REDUCE arguments"), "REDUCE"));
            }
            case 0x81 -> {
                Object args = pop();
                push(call(pop(), tuple(args, "NEWOBJ arguments"), "NEWOBJ"));
            }
            case 0x92 -> newObjectEx();
            case 'i' -> {
                PythonGlobal g = Globals.resolve(file, line(), line());
                push(call(g, popMark(), "INST"));
            }
            case 'o' -> object();
            case 'b' -> {
                Object state = pop();
                build(peek(), state);
            }
            case 'P' -> push(persistentLoad(line()));
            case 'Q' -> push(persistentLoad(pop()));
            default -> throw fail("uses pickle opcode " + opcodeName(op) + ", which this reader does not support");
        }
    }

    // ---- numbers, strings, bytes

    private Object number(int op) {
        return switch (op) {
            case 'K' -> (long) u8();
            case 'M' -> (long) (u8() | u8() << 8);
            case 'J' -> (long) (int) littleEndian(4);
            case 'G' -> Double.longBitsToDouble(Long.reverseBytes(littleEndian(8))); // big-endian
            case 0x8a -> bigInteger(u8());
            case 0x8b -> bigInteger(length(littleEndian(4) & 0xFFFFFFFFL, "LONG4"));
            case 'F' -> parseFloat(line());
            case 'I' -> {
                String s = line();
                yield s.equals("00") ? Boolean.FALSE : s.equals("01") ? Boolean.TRUE : parseInt(s);
            }
            default -> parseInt(line()); // 'L'
        };
    }

    private Object bigInteger(long n) {
        if (n > MAX_LONG_BYTES) throw fail("has an integer of " + n + " bytes");
        byte[] le = take(n);
        if (le.length == 0) return 0L;
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) be[i] = le[le.length - 1 - i];
        return PickleText.normalize(new BigInteger(be));
    }

    private Object parseInt(String s) {
        Object v = PickleText.integer(s);
        if (v == null) throw fail("has a malformed integer");
        return v;
    }

    private Double parseFloat(String s) {
        if (s.length() > 64 || !s.matches("[-+0-9.eEinfatINFAT]+")) throw fail("has a malformed float");
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw fail("has a malformed float");
        }
    }

    private String string(int op) {
        return switch (op) {
            case 'S' -> {
                String s = PickleText.quoted(line());
                if (s == null) throw fail("has a malformed STRING");
                yield s;
            }
            case 'V' -> {
                String s = PickleText.rawUnicode(line());
                if (s == null) throw fail("has a malformed UNICODE string");
                yield s;
            }
            case 'T' -> utf8(take(length(littleEndian(4), "BINSTRING")));
            case 'U', 0x8c -> utf8(take(u8()));
            case 'X' -> utf8(take(length(littleEndian(4) & 0xFFFFFFFFL, "BINUNICODE")));
            default -> utf8(take(length(littleEndian(8), "BINUNICODE8")));
        };
    }

    private byte[] bytes(int op) {
        return switch (op) {
            case 'C' -> take(u8());
            case 'B' -> take(length(littleEndian(4) & 0xFFFFFFFFL, "BINBYTES"));
            default -> take(length(littleEndian(8), op == 0x96 ? "BYTEARRAY8" : "BINBYTES8"));
        };
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    // ---- containers

    private Tuple tupleOf(int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return new Tuple(items);
    }

    private void putPairs(Map<Object, Object> m, List<Object> items) {
        if (items.size() % 2 != 0) throw fail("has an odd number of items for a dict");
        for (int i = 0; i < items.size(); i += 2) m.put(key(items.get(i)), items.get(i + 1));
    }

    private void addKeys(Set<Object> s, List<Object> items) {
        for (Object o : items) s.add(key(o));
    }

    /**
     * A dict key or set element: only hashable values, and small ones, so hashing is cheap and
     * finite. Tuples hash with a per-run seed and compare in a total order (see {@link Tuple}); for
     * the other keys, whose hashes anyone can make collide (and which a dict's tree bins cannot
     * order when their types differ), at most {@link #MAX_SAME_HASH} distinct keys may share a hash,
     * so no bin of any dict grows past that: inserting a key stays bounded work.
     */
    private Object key(Object k) {
        // a tuple already used as a key (the same object again, from the memo) was checked then and keeps its hash
        int nodes = k instanceof Tuple t && t.isHashed() ? 1 : keyNodes(k, 0);
        if (nodes > MAX_KEY_NODES) throw fail("has a dict key or set element too large to hash");
        charge(nodes); // hashing it, and comparing it with a key of the same hash
        if (distinctKeys.putIfAbsent(k, Boolean.TRUE) == null
                && ++keysByHash.computeIfAbsent(Objects.hashCode(k), h -> new int[1])[0] > MAX_SAME_HASH)
            throw fail("has more than " + MAX_SAME_HASH
                    + " different dict keys with the same hash (crafted to collide), which is refused");
        return k;
    }

    private int keyNodes(Object k, int count) {
        if (count > MAX_KEY_NODES) return count;
        if (k instanceof Tuple t) {
            for (Object o : t) count = keyNodes(o, count + 1);
            return count;
        }
        if (k == null
                || k instanceof String
                || k instanceof Long
                || k instanceof Boolean
                || k instanceof Double
                || k instanceof BigInteger
                || k instanceof PythonGlobal
                || k instanceof Placeholder) return count + 1;
        throw fail("uses a " + describe(k) + " as a dict key or set element (unhashable)");
    }

    private void object() { // OBJ: the class, then its arguments, above a mark
        List<Object> items = popMark();
        if (items.isEmpty()) throw fail("has an OBJ with no class");
        push(call(items.getFirst(), items.subList(1, items.size()), "OBJ"));
    }

    private void newObjectEx() {
        Object kwargs = pop(), args = pop(), cls = pop();
        if (!(kwargs instanceof Map<?, ?> kw))
            throw fail("has NEWOBJ_EX keyword arguments that are a " + describe(kwargs));
        if (!kw.isEmpty() && !(cls instanceof PythonGlobal g && Globals.kind(g) == Globals.Kind.PLACEHOLDER))
            throw fail("passes keyword arguments to " + describe(cls));
        push(call(cls, tuple(args, "NEWOBJ_EX arguments"), "NEWOBJ_EX"));
    }

    // ---- calls: the only behaviours an allowed global has

    private Object call(Object callable, List<?> args, String how) {
        if (!(callable instanceof PythonGlobal g))
            throw fail(how + " calls a " + describe(callable) + ", which is not a class or function");
        return switch (Globals.kind(g)) {
            case ORDERED_DICT -> orderedDict(args);
            case SET -> {
                Set<Object> s = new LinkedHashSet<>();
                if (!args.isEmpty()) addKeys(s, iterable(args.getFirst()));
                yield s;
            }
            case TORCH_SIZE ->
                args.isEmpty()
                        ? new Tuple()
                        : new Tuple(iterable(args.getFirst()).toArray());
            case REBUILD_TENSOR -> rebuildTensor(args);
            case REBUILD_PARAMETER -> {
                if (args.isEmpty() || !(args.getFirst() instanceof TorchTensor t))
                    throw fail("rebuilds a parameter from something other than a tensor");
                yield t;
            }
            case PARAMETER_DICT -> new ParameterMap();
            case PLACEHOLDER -> new Placeholder(g.toString());
            case STORAGE ->
                throw fail("calls the storage class " + g + " directly (storages come only as persistent ids)");
        };
    }

    private Map<Object, Object> orderedDict(List<?> args) {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (args.isEmpty()) return m;
        for (Object pair : iterable(args.getFirst())) {
            if (!(pair instanceof List<?> p) || p.size() != 2)
                throw fail("builds an OrderedDict from something other than pairs");
            m.put(key(p.get(0)), p.get(1));
        }
        return m;
    }

    /**
     * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}.
     * Arguments that make no tensor make one that is refused when its bytes are asked for, by its
     * name: a broken tensor nobody reads (an optimizer's, a UNet's) never makes the file unreadable.
     */
    private TorchTensor rebuildTensor(List<?> args) {
        String problem = viewProblem(args);
        TorchTensor t = problem == null
                ? new TorchTensor(
                        (TorchStorage) args.get(0), (Long) args.get(1), longs(args.get(2)), longs(args.get(3)))
                : TorchTensor.refused(!args.isEmpty() && args.getFirst() instanceof TorchStorage s ? s : null, problem);
        tensors.add(t);
        return t;
    }

    /** What is wrong with the arguments of {@code _rebuild_tensor_v2}, or null; bounded work (the rank is checked first). */
    private static String viewProblem(List<?> args) {
        if (args.size() < 4 || args.size() > 7)
            return "is rebuilt from " + args.size() + " arguments (_rebuild_tensor_v2 takes 6 or 7)";
        if (!(args.get(0) instanceof TorchStorage))
            return "is rebuilt from a " + describe(args.get(0)) + " where its storage belongs";
        if (!(args.get(1) instanceof Long)) return "has a storage offset that is a " + describe(args.get(1));
        if (!(args.get(2) instanceof Tuple size)) return "has a size that is a " + describe(args.get(2));
        if (size.size() > MAX_RANK) return "has " + size.size() + " dimensions (torch allows " + MAX_RANK + " at most)";
        if (!(args.get(3) instanceof Tuple stride)) return "has a stride that is a " + describe(args.get(3));
        if (stride.size() != size.size()) return "has " + size.size() + " dimensions but " + stride.size() + " strides";
        for (int i = 0; i < size.size(); i++) {
            if (!(size.get(i) instanceof Long)) return "has a size with a " + describe(size.get(i)) + " in it";
            if (!(stride.get(i) instanceof Long)) return "has a stride with a " + describe(stride.get(i)) + " in it";
        }
        return null;
    }

    private static long[] longs(Object tuple) {
        Tuple t = (Tuple) tuple;
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = (Long) t.get(i);
        return out;
    }

    /** BUILD: sets an object's state. Only a ParameterDict's parameters are kept; other state is attributes nobody reads. */
    private void build(Object target, Object state) {
        if (target instanceof ParameterMap p) {
            if (state instanceof Map<?, ?> s && s.get("_parameters") instanceof Map<?, ?> params) {
                charge(params.size());
                for (var e : params.entrySet()) p.put(e.getKey(), e.getValue());
            }
        } else if (!(target instanceof Map<?, ?>) && !(target instanceof Placeholder)) {
            throw fail("sets the state of a " + describe(target) + " (BUILD), which is not supported");
        }
    }

    private Object persistentLoad(Object pid) {
        if (persistent == null) throw fail("has a persistent id where none is expected");
        return persistent.load(pid);
    }

    // ---- stack, marks, memo

    private void push(Object o) {
        stack.add(o);
    }

    private int fence() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private Object pop() {
        if (stack.size() <= fence()) throw fail("pops an empty stack");
        return stack.removeLast();
    }

    private Object peek() {
        return peekBelow(0);
    }

    private Object peekBelow(int depth) {
        if (stack.size() - depth <= fence()) throw fail("reads an empty stack");
        return stack.get(stack.size() - 1 - depth);
    }

    private void mark() {
        if (markCount == marks.length) marks = Arrays.copyOf(marks, marks.length * 2);
        marks[markCount++] = stack.size();
    }

    private List<Object> popMark() {
        if (markCount == 0) throw fail("has no MARK to pop to");
        int m = marks[--markCount];
        List<Object> top = stack.subList(m, stack.size());
        charge(top.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private long memoIndex(int op) {
        return switch (op) {
            case 'q', 'h' -> u8();
            case 'r', 'j' -> littleEndian(4) & 0xFFFFFFFFL;
            case 0x94 -> memo.size();
            default -> {
                Object v = PickleText.integer(line());
                if (!(v instanceof Long l)) throw fail("has a malformed memo index");
                yield l;
            }
        };
    }

    private Object memoGet(long index) {
        Object v = memo.get(index);
        if (v == null && !memo.containsKey(index)) throw fail("reads memo entry " + index + ", which was never stored");
        return v;
    }

    // ---- typed views of values

    private Tuple tuple(Object o, String what) {
        if (o instanceof Tuple t) return t;
        throw fail("has " + what + " that are a " + describe(o) + ", not a tuple");
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?>) return (List<Object>) o;
        throw fail("appends to a " + describe(o) + ", not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof LinkedHashMap<?, ?>) return (Map<Object, Object>) o;
        throw fail("sets an item of a " + describe(o) + ", not a dict");
    }

    @SuppressWarnings("unchecked")
    private Set<Object> set(Object o) {
        if (o instanceof LinkedHashSet<?>) return (Set<Object>) o;
        throw fail("adds to a " + describe(o) + ", not a set");
    }

    private List<Object> iterable(Object o) {
        if (!(o instanceof Collection<?> c)) throw fail("iterates a " + describe(o));
        charge(c.size());
        return new ArrayList<>(c);
    }

    /**
     * Counts {@code steps} of work against the budget: {@link #WORK_PER_BYTE} per byte read so far
     * plus {@link #WORK_FLOOR}. Without it a few bytes repeating set(big_list) or BUILD of a big
     * dict would run without bound (a pickle bomb).
     */
    private void charge(long steps) {
        work += steps;
        long budget = WORK_PER_BYTE * (pos - start) + WORK_FLOOR;
        if (work > budget)
            throw fail("exceeds the reader's work budget (" + WORK_PER_BYTE + " steps per byte read; "
                    + work + " steps after " + (pos - start)
                    + " bytes): it repeats work on values it already built (a pickle bomb?)");
    }

    private String text(Object o, String what) {
        if (o instanceof String s) return s;
        throw fail("gives a global a " + what + " that is a " + describe(o));
    }

    /** A short Python-ish name of a value's type, never its contents. */
    static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case String _ -> "str";
            case Long _ -> "int";
            case BigInteger _ -> "int";
            case Double _ -> "float";
            case Boolean _ -> "bool";
            case byte[] _ -> "bytes";
            case Tuple _ -> "tuple";
            case ParameterMap _ -> "ParameterDict";
            case List<?> _ -> "list";
            case Map<?, ?> _ -> "dict";
            case Set<?> _ -> "set";
            case TorchTensor _ -> "tensor";
            case TorchStorage _ -> "storage";
            case PythonGlobal g -> Globals.printable(g.toString());
            case Placeholder p -> Globals.printable(p.type());
            default -> o.getClass().getSimpleName();
        };
    }

    // ---- reading bytes

    private int u8() {
        if (pos >= end) throw fail("ends before its STOP opcode (truncated?)");
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, pos++));
    }

    private long littleEndian(int n) {
        if (end - pos < n) throw fail("ends inside an opcode's argument (truncated?)");
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long) Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, pos + i)) << (8 * i);
        pos += n;
        return v;
    }

    /** A length argument, checked against the bytes left before anything is allocated. */
    private long length(long n, String what) {
        if (n < 0 || n > end - pos)
            throw fail("has a " + what + " of " + (n < 0 ? Long.toUnsignedString(n) : n)
                    + " bytes, past the end of the pickle");
        return n;
    }

    private byte[] take(long n) {
        length(n, "string or bytes");
        if (n > Integer.MAX_VALUE - 8) throw fail("has a string or bytes value over 2 GiB");
        byte[] b = data.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return b;
    }

    private void skipFrame() {
        length(littleEndian(8), "FRAME");
    }

    /** A newline-terminated argument of a protocol 0 opcode, as latin-1. */
    private String line() {
        long limit = Math.min(end, pos + MAX_LINE);
        for (long p = pos; p < limit; p++) {
            if (data.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                String s = new String(
                        data.asSlice(pos, p - pos).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
                pos = p + 1;
                return s;
            }
        }
        throw fail(
                limit == end
                        ? "ends inside a text argument (truncated?)"
                        : "has a text argument over " + MAX_LINE + " bytes");
    }

    private static String opcodeName(int op) {
        String hex = String.format("0x%02x", op);
        return op >= 0x21 && op < 0x7f ? hex + " ('" + (char) op + "')" : hex;
    }

    private PickleException fail(String message) {
        return new PickleException(file, "pickle byte " + opcodeAt + ": " + message);
    }
}
