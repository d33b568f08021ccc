package sdclip.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Weights;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.lora.LoraFile;
import sdclip.model.lora.LoraMerge;
import sdclip.model.lora.Network;
import sdclip.model.text.ProjectionLoan;
import sdclip.model.text.TextTransformer;

/**
 * A checkpoint's text transformers with a stack of LoRAs merged ({@link LoraMerge}): the merged
 * matrices in an arena of their own, the transformers on a backend of their own, both released
 * on {@link #close()}, so that a run with LoRAs leaves the encoder's own weights and packed
 * copies as they were. Every file of the stack is bound to every encoder (a network for another
 * architecture is refused even where only one encoder runs); only the chosen encoders are merged.
 */
final class LoraTowers implements AutoCloseable {
    private final Arena arena;
    private final Backend backend;
    /** By encoder index; null where the run does not use the encoder. */
    private final TextTransformer[] transformers;

    private LoraTowers(Arena arena, Backend backend, TextTransformer[] transformers) {
        this.arena = arena;
        this.backend = backend;
        this.transformers = transformers;
    }

    static LoraTowers open(
            Checkpoint checkpoint,
            List<Lora> stack,
            List<Integer> chosen,
            TextEncoder.Options options,
            ProjectionLoan loan)
            throws IOException {
        int encoders = checkpoint.encoders().size();
        Arena arena = Arena.ofShared();
        Backend backend = null;
        List<LoraFile> files = new ArrayList<>();
        try {
            List<List<LoraMerge.Stacked>> perEncoder = new ArrayList<>();
            for (int i = 0; i < encoders; i++) perEncoder.add(new ArrayList<>());
            for (Lora l : stack) {
                LoraFile f = LoraFile.open(l.file());
                files.add(f);
                List<Map<String, Network>> bound = f.bind(checkpoint.encoders());
                for (int i = 0; i < encoders; i++)
                    perEncoder.get(i).add(new LoraMerge.Stacked(bound.get(i), l.weight()));
            }
            List<Map<String, Weights>> merged = new ArrayList<>();
            for (int i = 0; i < encoders; i++)
                merged.add(
                        chosen.contains(i)
                                ? LoraMerge.merge(checkpoint.encoders().get(i), perEncoder.get(i), arena)
                                : Map.of());
            for (LoraFile f : files) f.close(); // the deltas are merged: the files are no longer needed
            files.clear();
            backend = Backends.create(options.device(), options.threads());
            TextTransformer[] transformers = new TextTransformer[encoders];
            for (int i : chosen)
                transformers[i] =
                        new TextTransformer(backend, checkpoint.encoders().get(i), loan.projection(i), merged.get(i));
            return new LoraTowers(arena, backend, transformers);
        } catch (IOException | RuntimeException e) {
            for (LoraFile f : files) f.close();
            if (backend != null) backend.close();
            arena.close();
            throw e;
        }
    }

    /** {@return the transformers by encoder index, null where not chosen} */
    List<TextTransformer> transformers() {
        return Arrays.asList(transformers);
    }

    @Override
    public void close() {
        backend.close();
        arena.close();
    }
}
