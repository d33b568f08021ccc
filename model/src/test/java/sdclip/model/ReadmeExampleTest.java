package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import sdclip.model.json.Json;
import sdclip.testdata.ReferenceData;

/**
 * The library example of docs/library.md ("Library API in more detail"), run on the reference
 * files; and many threads sharing one encoder.
 */
class ReadmeExampleTest {

    @Test
    void theReadmeExampleRuns() throws Exception {
        Path checkpoint =
                ReferenceData.require("models/tiny-sd15-diffusers"); // docs/library.md: v1-5-pruned-emaonly.safetensors
        Path vocabulary = ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz");
        Path clip = ReferenceData.require("models/tiny-clip.safetensors"); // docs/library.md: clip-vit-large-patch14
        // --- as in docs/library.md ---
        try (TextEncoder encoder = TextEncoder.open(
                checkpoint,
                TextEncoder.Options.defaults()
                        .withTokenizer(vocabulary)
                        .withProjection(clip)
                        .withThreads(4))) {
            Encoding e = encoder.encode(List.of("a photo of an astronaut riding a horse"));
            float[] conditioning = e.conditioning().floats(); // [1, 77, 768], row-major
            float[] embeds = e.textEmbeds().floats(); // [1, 768]
            // ---
            assertArrayEquals(new long[] {1, 77, 64}, e.get("conditioning").shape());
            assertEquals(77 * 64, conditioning.length);
            assertEquals(32, embeds.length);
        }
    }

    @Test
    void concurrentCallersGetWhatOneCallerGets() throws Exception {
        List<String> prompts = ModelConformanceTest.prompts();
        try (TextEncoder enc = TextEncoder.open(
                ReferenceData.require("models/tiny-sdxl.safetensors"), ModelConformanceTest.options("cpu", 2, 3))) {
            List<Encoding> alone = new ArrayList<>();
            for (String p : prompts) alone.add(enc.encode(List.of(p)));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<String>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 3 * prompts.size(); i++) {
                            int n = (i + offset) % prompts.size();
                            Encoding e = enc.encode(List.of(prompts.get(n)));
                            for (String name : List.of("conditioning", "text_embeds", "pooled_output")) {
                                int at = Arrays.mismatch(
                                        alone.get(n).get(name).floats(),
                                        e.get(name).floats());
                                if (at >= 0)
                                    return "thread " + offset + ", prompt " + n + " " + Json.quote(prompts.get(n))
                                            + ": " + name + " differs first at index " + at;
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> f : futures) {
                    String divergence = f.get();
                    assertNull(divergence, divergence);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
