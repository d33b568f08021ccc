package sdclip.model.pickle;

import java.math.BigInteger;
import java.util.AbstractList;
import java.util.RandomAccess;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An immutable Python tuple; a distinct type so that lists (mutable, unhashable) are never dict keys.
 * As a dict key it hashes with a per-run random seed over the full bits of its numbers (strings by
 * their own cached hash: a key of a huge string is not hashed anew each time), and it is
 * {@link Comparable} (a total order over the values a key may hold), so that even keys whose hashes
 * collide make a dict's bins balanced trees: no file can make inserting keys super-linear.
 * Unlike other lists it equals only tuples (as in Python, {@code (1, 2) != [1, 2]}), which its
 * hash, not a list's, requires.
 */
final class Tuple extends AbstractList<Object> implements RandomAccess, Comparable<Tuple> {
    private static final long SEED = ThreadLocalRandom.current().nextLong() | 1;
    private final Object[] items;
    /** The cached hash, 0 until computed (like String's: a benign race, recomputed to the same value). */
    private int hash;

    Tuple(Object... items) {
        this.items = items;
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tuple t && super.equals(t);
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = (int) mix(deepHash(this));
            hash = h;
        }
        return h;
    }

    /** True once its hash is computed (and cached), as it is when it first becomes a key. */
    boolean isHashed() {
        return hash != 0;
    }

    private static long deepHash(Object o) {
        return switch (o) {
            case null -> 0x9E3779B97F4A7C15L;
            case Tuple t -> {
                long h = SEED ^ t.items.length;
                for (Object e : t.items) h = mix(h ^ deepHash(e)) * 31;
                yield h;
            }
            case Long l -> mix(l ^ SEED);
            case Double d -> mix(Double.doubleToLongBits(d) ^ SEED) + 1;
            case String s -> mix(s.hashCode() ^ SEED) + 2;
            default -> mix(o.hashCode() ^ SEED) + 3;
        };
    }

    /** A 64-bit finaliser (SplitMix64's). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public int compareTo(Tuple other) {
        return compareValues(this, other);
    }

    /** A total order over the values a dict key may hold, consistent with {@code equals}. */
    private static int compareValues(Object a, Object b) {
        int ra = rank(a), rb = rank(b);
        if (ra != rb) return Integer.compare(ra, rb);
        return switch (a) {
            case null -> 0;
            case Boolean x -> Boolean.compare(x, (Boolean) b);
            case Long x -> Long.compare(x, (Long) b);
            case BigInteger x -> x.compareTo((BigInteger) b);
            case Double x -> Double.compare(x, (Double) b);
            case String x -> x.compareTo((String) b);
            case Tuple x -> {
                Tuple y = (Tuple) b;
                for (int i = 0; i < Math.min(x.items.length, y.items.length); i++) {
                    int c = compareValues(x.items[i], y.items[i]);
                    if (c != 0) yield c;
                }
                yield Integer.compare(x.items.length, y.items.length);
            }
            default -> a.toString().compareTo(b.toString()); // PythonGlobal, Placeholder: records of names
        };
    }

    private static int rank(Object o) {
        return switch (o) {
            case null -> 0;
            case Boolean _ -> 1;
            case Long _ -> 2;
            case BigInteger _ -> 3;
            case Double _ -> 4;
            case String _ -> 5;
            case Tuple _ -> 6;
            case PythonGlobal _ -> 7;
            case Placeholder _ -> 8;
            default -> 9;
        };
    }
}
