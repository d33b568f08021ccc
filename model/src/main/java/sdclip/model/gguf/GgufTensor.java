package sdclip.model.gguf;

import java.util.Arrays;

/**
 * One tensor info of a GGUF file, checked against the file.
 *
 * @param name   the tensor's name
 * @param type   its stored type
 * @param ne     its dimensions in ggml order, innermost (the row) first
 * @param offset where its data starts, from the start of the data section (a multiple of the alignment)
 * @param bytes  its size in bytes
 */
public record GgufTensor(String name, GgmlType type, long[] ne, long offset, long bytes) {

    /** {@return the dimensions outermost first, as safetensors and PyTorch give them (ggml's reversed)} */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    /** {@return the number of values} */
    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t
                && t.name.equals(name)
                && t.type == type
                && Arrays.equals(t.ne, ne)
                && t.offset == offset
                && t.bytes == bytes;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(shape());
    }
}
