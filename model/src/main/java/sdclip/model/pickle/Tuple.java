package sdclip.model.pickle;

import java.util.AbstractList;
import java.util.RandomAccess;

/** An immutable Python tuple; a distinct type so that lists (mutable, unhashable) are never dict keys. */
final class Tuple extends AbstractList<Object> implements RandomAccess {
    private final Object[] items;

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
}
