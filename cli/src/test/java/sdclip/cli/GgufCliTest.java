package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.GgufFixtures;

/** GGUF through the command line: inspect reports the stored types, convert dequantizes, bad files are one line. */
class GgufCliTest {
    @TempDir
    Path dir;

    @Test
    void inspectReportsTheTensorTypes() {
        Path clip = GgufFixtures.copy("tiny-clip-vision.f16.gguf", dir);
        CliTest.Run r = CliTest.run("inspect", clip.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  layout   llama.cpp clip (gguf)\n"), r.out());
        assertTrue(r.out().contains("  tensors  40 in GGUF: F16 15, F32 25\n"), r.out());
        assertTrue(r.out().contains("vision tower: prefix \"vision_model.\", huggingface naming, F16"), r.out());
        assertTrue(r.out().contains("heads 4, layers 2, mlp 256, quick_gelu, projection 32"), r.out());
        CliTest.Run j = CliTest.run("inspect", "--json", clip.toString());
        assertTrue(j.out().contains("\"tensor_types\": {\"F16\": 15, \"F32\": 25}"), j.out());
    }

    @Test
    void convertDequantizesToF32() throws IOException {
        Path in = GgufFixtures.copy("quants.gguf", dir), out = dir.resolve("quants.safetensors");
        CliTest.Run r = CliTest.run("convert", in.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out);
                SafetensorsFile want = SafetensorsFile.open(GgufFixtures.copy("quants.expected.safetensors", dir))) {
            for (String t : new String[] {"q8_0", "q4_0", "q5_1", "q2_k", "q4_k", "q6_k", "f32_3d"}) {
                assertEquals(TensorType.F32, got.info(t).type(), t);
                assertArrayEquals(want.info(t).shape(), got.info(t).shape(), t);
                assertArrayEquals(want.floats(t), got.floats(t), t);
            }
            assertEquals(TensorType.F16, got.info("f16").type(), "plain types are copied as stored");
            assertEquals(TensorType.I32, got.info("i32").type());
            assertEquals("sdclip-test", got.metadata().get("general.architecture"));
        }
    }

    @Test
    void badFilesAreOneLine() {
        for (String f : new String[] {"big-endian.gguf", "iq4_nl.gguf"}) {
            Path p = GgufFixtures.copy(f, dir);
            CliTest.Run r = CliTest.run("inspect", p.toString());
            assertEquals(1, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(p.toString()), r.err());
            assertTrue(r.err().contains(f.startsWith("big") ? "big-endian" : "IQ4_NL"), r.err());
        }
    }
}
