package sdclip.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.engine.DType;
import sdclip.engine.QuantizedWeights;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.testdata.Seeded;

/**
 * The GGUF writer {@code convert} uses lays files out byte for byte as {@link GgufTestWriter}
 * does, which {@code GgufTestWriterTest} holds to gguf-py's own files; the engine's Q8_0
 * quantizer gives gguf-py's blocks; and the files read back.
 */
class GgufWriterTest {
    @TempDir
    Path dir;

    private static SafetensorsWriter.TensorData bytes(byte[] b) {
        return out -> SafetensorsWriter.writeSegment(out, MemorySegment.ofArray(b));
    }

    @Test
    void writesGgufPyLayoutAndReadsBack() throws IOException {
        float[] matrix = new Seeded(3).uniform(4 * 64, 1f), norm = new Seeded(4).uniform(64, 1f);
        byte[] q8 = QuantizedWeights.quantize(DType.Q8_0, matrix).segment().toArray(ValueLayout.JAVA_BYTE);
        assertArrayEquals(GgufTestWriter.q8_0(matrix), q8, "the engine's Q8_0 is gguf-py's");
        byte[] q4k = QuantizedWeights.quantize(DType.Q4_K, matrix).segment().toArray(ValueLayout.JAVA_BYTE);
        long[] shape = {4, 64};
        Path mine = dir.resolve("mine.gguf");
        new GgufWriter()
                .tensor("m.q8", GgmlType.Q8_0, shape, bytes(q8))
                .tensor("m.q4k", GgmlType.Q4_K, new long[] {1, 256}, bytes(q4k))
                .tensor("norm", GgmlType.F32, new long[] {64}, bytes(GgufTestWriter.f32(norm)))
                .tensor("m.f16", GgmlType.F16, shape, bytes(GgufTestWriter.f16(matrix)))
                .write(mine);
        byte[] want = new GgufTestWriter()
                .tensor("m.q8", GgmlType.Q8_0, shape, q8)
                .tensor("m.q4k", GgmlType.Q4_K, new long[] {1, 256}, q4k)
                .tensor("norm", GgmlType.F32, new long[] {64}, GgufTestWriter.f32(norm))
                .tensor("m.f16", GgmlType.F16, shape, GgufTestWriter.f16(matrix))
                .bytes();
        assertArrayEquals(want, Files.readAllBytes(mine));
        try (GgufFile g = GgufFile.open(mine)) {
            assertEquals(3, g.version());
            assertEquals(GgmlType.Q8_0, g.ggmlType("m.q8"));
            assertArrayEquals(shape, g.info("m.q8").shape());
            assertEquals(DType.Q8_0, g.weights("m.q8").dtype(), "quantized tensors stay quantized");
            assertEquals(DType.Q4_K, g.weights("m.q4k").dtype());
            float[] back = g.floats("m.q8");
            for (int i = 0; i < matrix.length; i++) assertEquals(matrix[i], back[i], 1f / 127);
            assertArrayEquals(norm, g.floats("norm"));
        }
    }

    @Test
    void refusesRowsThatAreNotWholeBlocks() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.tensor("p", GgmlType.Q8_0, new long[] {8, 14}, out -> {}));
        w.tensor("a", GgmlType.F32, new long[] {2}, out -> {});
        assertThrows(IllegalArgumentException.class, () -> w.tensor("a", GgmlType.F32, new long[] {2}, out -> {}));
    }
}
