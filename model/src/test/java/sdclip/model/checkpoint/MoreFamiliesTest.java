package sdclip.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.safetensors.SafetensorsException;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorType;

/** The SDXL refiner (synthetic, full width), and files with a torch extension that are not torch files. */
class MoreFamiliesTest {
    @TempDir
    Path dir;

    /** An OpenCLIP tower under conditioner.embedders.0.model. of width 1280 (one layer, small vocabulary and MLP, zeros). */
    @Test
    void sdxlRefinerIsRecognisedByItsBigGWidth() throws IOException {
        int w = 1280, vocab = 16, mlp = 64;
        String p = "conditioner.embedders.0.model.";
        SafetensorsWriter sw = new SafetensorsWriter();
        zeros(sw, p + "token_embedding.weight", vocab, w);
        zeros(sw, p + "positional_embedding", 77, w);
        String b = p + "transformer.resblocks.0.";
        zeros(sw, b + "ln_1.weight", w);
        zeros(sw, b + "ln_1.bias", w);
        zeros(sw, b + "attn.in_proj_weight", 3 * w, w);
        zeros(sw, b + "attn.in_proj_bias", 3 * w);
        zeros(sw, b + "attn.out_proj.weight", w, w);
        zeros(sw, b + "attn.out_proj.bias", w);
        zeros(sw, b + "ln_2.weight", w);
        zeros(sw, b + "ln_2.bias", w);
        zeros(sw, b + "mlp.c_fc.weight", mlp, w);
        zeros(sw, b + "mlp.c_fc.bias", mlp);
        zeros(sw, b + "mlp.c_proj.weight", w, mlp);
        zeros(sw, b + "mlp.c_proj.bias", w);
        zeros(sw, p + "ln_final.weight", w);
        zeros(sw, p + "ln_final.bias", w);
        zeros(sw, p + "text_projection", w, w);
        Path file = dir.resolve("refiner.safetensors");
        sw.write(file);
        try (Checkpoint c = Checkpoint.open(file, null)) {
            assertEquals(Checkpoint.Family.SDXL_REFINER, c.family());
            assertEquals("sdxl-refiner", c.family().id());
            TextTower t = c.encoder(1);
            assertEquals(TextTower.Conditioning.RAW_PENULTIMATE, t.conditioning());
            assertEquals(0, t.padId());
            assertEquals(HiddenAct.GELU, t.config().activation());
            assertEquals(20, t.config().heads(), "1280 / 64");
            assertEquals(1280, t.config().projectionDim());
        }
    }

    private static void zeros(SafetensorsWriter w, String name, long... shape) {
        long n = 2;
        for (long d : shape) n *= d;
        long bytes = n;
        w.add(name, TensorType.F16, shape, out -> {
            ByteBuffer z = ByteBuffer.allocate(1 << 16);
            for (long left = bytes; left > 0; left -= z.limit()) {
                z.clear().limit((int) Math.min(z.capacity(), left));
                SafetensorsWriter.writeFully(out, z);
            }
        });
    }

    @Test
    void aTorchExtensionOnSomethingElseIsOneLine() throws IOException {
        for (String name : new String[] {"model.ckpt", "model.pt", "model.pth", "pytorch_model.bin"}) {
            Path f = Files.write(dir.resolve(name), "<html>not a checkpoint</html>".getBytes());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> Checkpoint.open(f, null));
            assertEquals(
                    f
                            + ": is neither a PyTorch checkpoint (zip archive or legacy pickle) nor a safetensors or GGUF file",
                    e.getMessage());
        }
        // A safetensors file named .bin is read as what it is.
        Path st = dir.resolve("renamed.bin");
        Files.copy(CheckpointTest.ref("models/tiny-sd15.safetensors"), st);
        try (Checkpoint c = Checkpoint.open(st, new int[] {4})) {
            assertEquals(Checkpoint.Family.SD1, c.family());
        }
    }

    @Test
    void newFamiliesHaveTheirIds() {
        assertEquals("sd3", Checkpoint.Family.SD3.id());
        assertEquals("flux", Checkpoint.Family.FLUX.id());
        assertTrue(Checkpoint.T5_PREFIX.startsWith("text_encoders."));
    }
}
