package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.ReferenceData;

/** Zip variants torch.save does not write for tiny files: deflated members and ZIP64 fields in every header. */
class ZipFormatsTest {
    @TempDir
    Path dir;

    static final String Q = "cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight";

    Path rewritten(boolean deflate, boolean zip64) throws IOException {
        byte[] zip =
                TestZips.rewrite(Files.readAllBytes(ReferenceData.require("models/tiny-sd15.ckpt")), deflate, zip64);
        return Files.write(dir.resolve((deflate ? "deflated" : "stored") + (zip64 ? "-zip64" : "") + ".ckpt"), zip);
    }

    void assertSameTensors(Path file, boolean mapped) throws IOException {
        try (SafetensorsFile expected = SafetensorsFile.open(ReferenceData.require("models/tiny-sd15.safetensors"));
                TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            assertEquals(expected.names(), ckpt.names());
            for (String name : expected.names())
                assertEquals(-1, expected.bytes(name).mismatch(ckpt.bytes(name)), name);
            assertEquals("470000", ckpt.metadata().get("global_step"));
            assertEquals(mapped, ckpt.bytes(Q).isMapped(), "stored members stay mapped, deflated ones are inflated");
        }
    }

    @Test
    void deflatedMembersAreInflatedOnce() throws IOException {
        assertSameTensors(rewritten(true, false), false);
    }

    @Test
    void zip64FieldsInEveryHeader() throws IOException {
        assertSameTensors(rewritten(false, true), true);
        byte[] both = TestZips.rewrite(
                Files.readAllBytes(ReferenceData.require("embeddings/learned_embeds.bin")), true, true);
        try (TorchCheckpoint a = TorchCheckpoint.of(TorchFile.read(Path.of("both.bin"), MemorySegment.ofArray(both)));
                TorchCheckpoint b = TorchCheckpoint.open(ReferenceData.require("embeddings/learned_embeds.bin"))) {
            assertEquals(-1, a.bytes("<fox-token>").mismatch(b.bytes("<fox-token>")));
        }
    }

    @Test
    void deflatedMembersThatLieAreRefused() throws IOException {
        byte[] zip = TestZips.rewrite(
                Files.readAllBytes(ReferenceData.require("embeddings/learned_embeds.bin")), true, false);
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int cd = b.getInt(zip.length - 22 + 16);
        int size = b.getInt(cd + 24);
        b.putInt(cd + 24, 0x7fff0000); // data.pkl claims to inflate to almost 2 GiB
        PickleException e = assertThrows(
                PickleException.class, () -> TorchFile.read(Path.of("bomb.bin"), MemorySegment.ofArray(zip)));
        assertTrue(e.getMessage().contains("more than deflate can expand"), e.getMessage());

        zip[b.getShort(26) + 30 + 5] ^= 0x55; // damage the deflated pickle itself
        b.putInt(cd + 24, size);
        e = assertThrows(PickleException.class, () -> TorchFile.read(Path.of("bad.bin"), MemorySegment.ofArray(zip)));
        assertTrue(
                e.getMessage().startsWith("bad.bin: ") && e.getMessage().contains("learned_embeds/data.pkl"),
                e.getMessage());
    }
}
