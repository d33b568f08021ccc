package sdclip.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.HostTensor;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.prompt.EmbeddingFiles;
import sdclip.model.prompt.Emphasis;
import sdclip.model.prompt.PromptSyntax;
import sdclip.model.prompt.ScheduledPrompts;
import sdclip.model.tokenizer.ClipTokenizer;
import sdclip.testdata.ReferenceData;

/**
 * A scheduled run encodes each distinct text of a prompt once, whatever the batch size: counted
 * as the 77-token rows the backend embeds (a counting proxy around the CPU backend), with every
 * output row equal to the text encoded on its own.
 */
class ScheduledSharingTest {

    /** The rows the backend's embedding step saw, i.e. chunks through the towers (per encoder). */
    private static final class Counting {
        final AtomicLong rows = new AtomicLong();
        final Backend backend;

        Counting(Backend real) {
            backend = (Backend) Proxy.newProxyInstance(
                    Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                        if (method.getName().equals("embed")) rows.addAndGet((Integer) args[2]);
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    private record Run(Map<String, HostTensor> tensors, long chunks) {}

    /** Streams {@code rows} through a fresh counting encoder, gathering the batches along the row axis. */
    private static Run run(String model, int[] heads, List<String> rows, int[] scopes, int batchSize)
            throws IOException {
        try (Checkpoint c = Checkpoint.open(ReferenceData.require("models/" + model + ".safetensors"), heads);
                Backend real = Backends.create(Device.cpu(), 1)) {
            Counting counting = new Counting(real);
            ClipTokenizer tok = ClipTokenizer.load(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
            List<ChunkedEncoder.Tower> towers = new ArrayList<>();
            for (int i = 0; i < c.encoders().size(); i++)
                towers.add(new ChunkedEncoder.Tower(
                        i,
                        new TextTransformer(counting.backend, c.encoders().get(i), null),
                        c.encoders().get(i),
                        tok));
            ChunkedEncoder enc = new ChunkedEncoder(
                    towers,
                    towers.size(),
                    PromptSyntax.A1111,
                    Emphasis.ORIGINAL,
                    EmbeddingFiles.none(),
                    batchSize,
                    false);
            Map<String, List<HostTensor>> parts = new LinkedHashMap<>();
            enc.stream(
                    rows,
                    scopes,
                    1,
                    0,
                    true,
                    true,
                    (first, batch) -> batch.forEach((name, t) ->
                            parts.computeIfAbsent(name, x -> new ArrayList<>()).add(t)),
                    (done, total) -> {});
            Map<String, HostTensor> all = new LinkedHashMap<>();
            parts.forEach((name, ts) -> all.put(name, join(ts)));
            return new Run(all, counting.rows.get());
        }
    }

    private static HostTensor join(List<HostTensor> ts) {
        long[] shape = ts.getFirst().shape().clone();
        shape[0] = ts.stream().mapToLong(t -> t.shape()[0]).sum();
        if (ts.getFirst().isFloat()) {
            float[] out = new float[ts.stream().mapToInt(HostTensor::size).sum()];
            int at = 0;
            for (HostTensor t : ts) {
                System.arraycopy(t.floats(), 0, out, at, t.size());
                at += t.size();
            }
            return HostTensor.of(out, shape);
        }
        long[] out = new long[ts.stream().mapToInt(HostTensor::size).sum()];
        int at = 0;
        for (HostTensor t : ts) {
            System.arraycopy(t.longs(), 0, out, at, t.size());
            at += t.size();
        }
        return HostTensor.ofLongs(out, shape);
    }

    @ParameterizedTest(name = "{0} batch {2}")
    @CsvSource({
        "tiny-sd15, '4', 1",
        "tiny-sd15, '4', 2",
        "tiny-sd15, '4', 3",
        "tiny-sd15, '4', 8",
        "tiny-sdxl, '2,3', 1",
        "tiny-sdxl, '2,3', 3",
    })
    void eachDistinctTextOfAPromptIsEncodedOnce(String model, String heads, int batchSize) throws IOException {
        int[] h = java.util.Arrays.stream(heads.split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        // 20 steps: prompt 0 alternates 3 texts (20 rows), prompt 1 switches once and has an AND (3 rows, 3 texts).
        ScheduledPrompts s =
                ScheduledPrompts.of(List.of("a [cat|dog|fox] on a sofa", "[red:blue:0.5] sky AND a cat on a sofa"), 20);
        List<String> rows = s.texts();
        int[] scopes = s.rows().stream().mapToInt(ScheduledPrompts.Row::prompt).toArray();
        assertEquals(23, rows.size());
        int encoders = h.length == 1 ? 1 : 2;
        Run shared = run(model, h, rows, scopes, batchSize);
        // One empty chunk per encoder, then the three texts of prompt 0 and the three of prompt 1.
        assertEquals((long) encoders * (1 + 3 + 3), shared.chunks(), "chunks through the towers");
        // Reference: every row alone (batch 1, no scopes: nothing shared across groups), 1 + 23 chunks.
        Run alone = run(model, h, rows, null, 1);
        assertEquals((long) encoders * (1 + 23), alone.chunks());
        assertEquals(alone.tensors().keySet(), shared.tensors().keySet());
        for (String name : alone.tensors().keySet()) {
            HostTensor a = alone.tensors().get(name), b = shared.tensors().get(name);
            assertArrayEquals(a.shape(), b.shape(), name);
            if (a.isFloat()) assertArrayEquals(a.floats(), b.floats(), name);
            else assertArrayEquals(a.longs(), b.longs(), name);
        }
    }
}
