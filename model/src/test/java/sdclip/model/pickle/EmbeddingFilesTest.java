package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.ReferenceData;

/** Textual-inversion files read through the general object tree; their rows are tiny-sd15's token embeddings. */
class EmbeddingFilesTest {
    static final int RED = 736, FOX = 3240;

    static float[] floats(TorchTensor t) {
        assertEquals(TensorType.F32, t.type());
        return t.bytes().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    static float[] embeddingRow(int token) throws IOException {
        try (SafetensorsFile sd = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"))) {
            float[] table = sd.floats("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight");
            return Arrays.copyOfRange(table, token * 64, token * 64 + 64);
        }
    }

    @Test
    void a1111EmbeddingHoldsTwoRowsInAParameterDict() throws IOException {
        try (TorchFile f = TorchFile.open(ReferenceData.require("embeddings/redfox-a1111.pt"))) {
            Map<?, ?> root = assertInstanceOf(Map.class, f.root());
            assertEquals(Map.of("*", 265L), root.get("string_to_token"));
            assertEquals(1500L, root.get("step"));
            assertEquals("ignored-name", root.get("name"));
            Map<?, ?> params = assertInstanceOf(Map.class, root.get("string_to_param"));
            assertEquals(1, params.size());
            TorchTensor t = assertInstanceOf(TorchTensor.class, params.get("*"));
            assertArrayEquals(new long[] {2, 64}, t.shape());
            float[] values = floats(t);
            assertArrayEquals(embeddingRow(RED), Arrays.copyOfRange(values, 0, 64));
            assertArrayEquals(embeddingRow(FOX), Arrays.copyOfRange(values, 64, 128));
        }
    }

    @Test
    void diffusersLearnedEmbedsHoldOneVector() throws IOException {
        try (TorchFile f = TorchFile.open(ReferenceData.require("embeddings/learned_embeds.bin"))) {
            Map<?, ?> root = assertInstanceOf(Map.class, f.root());
            assertEquals(Set.of("<fox-token>"), root.keySet());
            TorchTensor t = assertInstanceOf(TorchTensor.class, root.get("<fox-token>"));
            assertArrayEquals(new long[] {64}, t.shape());
            assertArrayEquals(embeddingRow(FOX), floats(t));
        }
    }

    @Test
    void theSameFilesAsTensorStores() throws IOException {
        try (TorchCheckpoint a = TorchCheckpoint.open(ReferenceData.require("embeddings/redfox-a1111.pt"));
                TorchCheckpoint b = TorchCheckpoint.open(ReferenceData.require("embeddings/learned_embeds.bin"))) {
            assertEquals(Set.of("string_to_param.*"), a.names());
            assertEquals("1500", a.metadata().get("step"));
            assertEquals(Set.of("<fox-token>"), b.names());
            assertArrayEquals(embeddingRow(FOX), b.floats("<fox-token>"));
        }
    }
}
