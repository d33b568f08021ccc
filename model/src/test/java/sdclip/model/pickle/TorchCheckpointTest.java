package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.ReferenceData;

/** tiny-sd15 as a Lightning .ckpt, zip and legacy: every tensor equals tiny-sd15.safetensors bit for bit. */
class TorchCheckpointTest {
    static final String LAYER = "cond_stage_model.transformer.text_model.encoder.layers.";

    @ParameterizedTest
    @ValueSource(strings = {"models/tiny-sd15.ckpt", "models/tiny-sd15-torch-legacy.ckpt"})
    void everyTensorEqualsTheSafetensorsFile(String file) throws IOException {
        try (SafetensorsFile expected = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"));
                TorchCheckpoint ckpt = TorchCheckpoint.open(ReferenceData.require(file))) {
            assertEquals(expected.names(), ckpt.names());
            for (String name : expected.names()) {
                TensorInfo want = expected.info(name), got = ckpt.info(name);
                assertEquals(want.type(), got.type(), name);
                assertArrayEquals(want.shape(), got.shape(), name);
                assertEquals(want.bytes(), got.bytes(), name);
                assertEquals(-1, expected.bytes(name).mismatch(ckpt.bytes(name)), name + " differs");
            }
            assertArrayEquals(expected.floats(LAYER + "1.mlp.fc1.weight"), ckpt.floats(LAYER + "1.mlp.fc1.weight"));
            assertEquals("470000", ckpt.metadata().get("global_step"));
            assertEquals("3", ckpt.metadata().get("epoch"));
            assertEquals("1.4.2", ckpt.metadata().get("pytorch-lightning_version"));
            assertFalse(ckpt.metadata().containsKey("callbacks"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"models/tiny-sd15.ckpt", "models/tiny-sd15-torch-legacy.ckpt"})
    void viewsOfOneStorageAndStridedTensors(String file) throws IOException {
        try (TorchFile torch = TorchFile.open(ReferenceData.require(file))) {
            Map<?, ?> sd = assertInstanceOf(Map.class, ((Map<?, ?>) torch.root()).get("state_dict"));
            TorchTensor q = (TorchTensor) sd.get(LAYER + "0.self_attn.q_proj.weight");
            TorchTensor k = (TorchTensor) sd.get(LAYER + "0.self_attn.k_proj.weight");
            TorchTensor v = (TorchTensor) sd.get(LAYER + "0.self_attn.v_proj.weight");
            assertEquals(q.storageKey(), k.storageKey());
            assertEquals(q.storageKey(), v.storageKey());
            assertEquals(0, q.storageOffset());
            assertEquals(64 * 64, k.storageOffset());
            assertEquals(2 * 64 * 64, v.storageOffset());
            assertTrue(v.isContiguous());

            TorchTensor fc1 = (TorchTensor) sd.get(LAYER + "1.mlp.fc1.weight");
            assertArrayEquals(new long[] {256, 64}, fc1.shape());
            assertArrayEquals(new long[] {1, 256}, fc1.stride());
            assertFalse(fc1.isContiguous());
            assertEquals(TensorType.F16, fc1.type());
            assertFalse(fc1.bytes().isMapped(), "a strided tensor is copied contiguous");
            assertTrue(q.bytes().isMapped(), "a contiguous F16 tensor stays mapped");
            assertNotEquals(q.bytes().address(), k.bytes().address());
        }
    }

    @Test
    void lightningCallbacksAndNumpyScalarsAreInertPlaceholders() throws IOException {
        try (TorchFile torch = TorchFile.open(ReferenceData.require("models/tiny-sd15.ckpt"))) {
            Map<?, ?> callbacks = assertInstanceOf(Map.class, ((Map<?, ?>) torch.root()).get("callbacks"));
            PythonGlobal cls = new PythonGlobal("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint");
            Map<?, ?> state = assertInstanceOf(Map.class, callbacks.get(cls));
            assertEquals(new Placeholder("numpy.core.multiarray.scalar"), state.get("best_model_score"));
            assertEquals("/logs", state.get("dirpath"));
            assertTrue(state.containsKey("monitor") && state.get("monitor") == null);
        }
    }

    @Test
    void filesThatAreNotTorchCheckpointsAreRefusedCleanly(@TempDir Path dir) throws IOException {
        Path empty = Files.write(dir.resolve("empty.ckpt"), new byte[0]);
        Path text = Files.writeString(dir.resolve("text.pt"), "hello\n");
        Path renamed = Files.copy(ReferenceData.require("models/tiny-sd15.safetensors"), dir.resolve("renamed.ckpt"));
        Path zip = Files.write(
                dir.resolve("plain.bin"), TestZips.write(Map.of("readme.txt", new byte[] {'x'}), false, false));
        for (Path p : new Path[] {empty, text, renamed, zip, dir.resolve("missing.ckpt"), dir}) {
            PickleException e = assertThrows(
                    PickleException.class, () -> TorchCheckpoint.open(p).close());
            assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        }
        assertFalse(TorchCheckpoint.isTorchFile(renamed), "a renamed safetensors file is not a torch file");
    }

    @Test
    void recognisesTorchFilesByExtensionAndMagic() {
        assertTrue(TorchCheckpoint.isTorchFile(ReferenceData.require("models/tiny-sd15.ckpt")));
        assertTrue(TorchCheckpoint.isTorchFile(ReferenceData.require("models/tiny-sd15-torch-legacy.ckpt")));
        assertTrue(TorchCheckpoint.isTorchFile(ReferenceData.require("embeddings/learned_embeds.bin")));
        assertTrue(TorchCheckpoint.isTorchFile(ReferenceData.require("embeddings/redfox-a1111.pt")));
        assertFalse(TorchCheckpoint.isTorchFile(ReferenceData.require("models/tiny-sd15.safetensors")));
        assertFalse(TorchCheckpoint.isTorchFile(ReferenceData.require("models/models.json")));
        assertFalse(TorchCheckpoint.isTorchFile(Path.of("/nonexistent/x.ckpt")));
    }
}
