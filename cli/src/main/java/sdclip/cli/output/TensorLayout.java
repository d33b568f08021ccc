package sdclip.cli.output;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.List;

import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.TensorSpec;

/**
 * Tensors laid out one after another in a file from byte {@code start}, each contiguous and
 * row-major with its whole-run shape, and a batch's rows written into place with positional
 * writes (hidden_states' prompts are not outermost, so one batch lands in L+1 places). Offsets
 * are longs: a file may be far larger than 2 GB.
 */
final class TensorLayout {
    private static final int CHUNK = 1 << 20;

    final List<TensorSpec> specs;
    private final long[] offsets;
    private final long prompts, end;
    private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);

    TensorLayout(List<TensorSpec> specs, long prompts, long start) {
        this.specs = specs;
        this.prompts = prompts;
        this.offsets = new long[specs.size()];
        long at = start;
        for (int i = 0; i < specs.size(); i++) {
            offsets[i] = at;
            at = Math.addExact(at, specs.get(i).bytes());
        }
        this.end = at;
    }

    /** The byte just past the last tensor. */
    long end() {
        return end;
    }

    /** The byte where tensor {@code i} starts. */
    long offset(int i) {
        return offsets[i];
    }

    /** Writes every tensor's rows of this batch into place. */
    void write(FileChannel ch, int first, Encoding batch) throws IOException {
        int count = batch.prompts();
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec s = specs.get(i);
            HostTensor part = batch.get(s.name());
            long rowBytes = s.rowElements() * s.elementBytes();
            int run = Math.toIntExact(count * s.rowElements());
            for (long block = 0; block < s.blocks(); block++) {
                long position = offsets[i] + (block * prompts + first) * rowBytes;
                writeValues(ch, position, part, (int) (block * run), run);
            }
        }
    }

    /** Values {@code [from, from + count)} of {@code t}, little-endian, at {@code position}. */
    private void writeValues(FileChannel ch, long position, HostTensor t, int from, int count) throws IOException {
        int per = t.elementBytes(), step = CHUNK / per;
        for (int done = 0; done < count; done += step) {
            int k = Math.min(step, count - done);
            buffer.clear();
            if (t.isFloat()) buffer.asFloatBuffer().put(t.floats(), from + done, k);
            else buffer.asLongBuffer().put(t.longs(), from + done, k);
            buffer.limit(k * per);
            long at = position + (long) done * per;
            while (buffer.hasRemaining()) at += ch.write(buffer, at);
        }
    }
}
