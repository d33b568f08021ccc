package sdclip.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.GgufFixtures;

/** The test writer is gguf-py: it rewrites gguf-py's llama.cpp CLIP file byte for byte and quantizes Q8_0 alike. */
class GgufTestWriterTest {
    @TempDir
    Path dir;

    @Test
    void rewritesGgufPysClipFileByteForByte() throws IOException {
        byte[] original = GgufFixtures.bytes("tiny-clip-vision.f16.gguf");
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir))) {
            var v = g.values();
            GgufTestWriter w = new GgufTestWriter()
                    .string("general.architecture", "clip")
                    .bool("clip.has_text_encoder", false)
                    .bool("clip.has_vision_encoder", true)
                    .bool("clip.has_llava_projector", false)
                    .u32("general.file_type", 1)
                    .string("general.name", "tiny-clip")
                    .string("general.description", "vision-only CLIP model");
            for (String k : new String[] {
                "clip.vision.image_size",
                "clip.vision.patch_size",
                "clip.vision.embedding_length",
                "clip.vision.feed_forward_length",
                "clip.vision.projection_dim",
                "clip.vision.attention.head_count"
            }) w.u32(k, g.integer(k));
            w.f32("clip.vision.attention.layer_norm_epsilon", (Float) v.get("clip.vision.attention.layer_norm_epsilon"))
                    .u32("clip.vision.block_count", g.integer("clip.vision.block_count"))
                    .f32s("clip.vision.image_mean", 0.48145466f, 0.4578275f, 0.40821073f)
                    .f32s("clip.vision.image_std", 0.26862954f, 0.26130258f, 0.27577711f)
                    .bool("clip.use_gelu", false);
            assertEquals(18, v.size(), "every key is rewritten");
            for (GgufTensor t : g.tensors().values())
                w.tensor(
                        t.name(),
                        t.type(),
                        t.shape(),
                        g.bytes(t.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            assertArrayEquals(original, w.bytes());
        }
    }

    @Test
    void quantizesQ8_0AsGgufPyDoes() throws IOException {
        try (GgufFile g = GgufFile.open(GgufFixtures.copy("quants.gguf", dir));
                SafetensorsFile expected =
                        SafetensorsFile.open(GgufFixtures.copy("quants.expected.safetensors", dir))) {
            byte[] want = g.quantized("q8_0").segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(want, GgufTestWriter.q8_0(expected.floats("input")));
        }
    }
}
