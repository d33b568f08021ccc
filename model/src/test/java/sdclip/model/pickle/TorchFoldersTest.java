package sdclip.model.pickle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.EncodeRequest;
import sdclip.model.Encoding;
import sdclip.model.TextEncoder;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.testdata.ReferenceData;

/**
 * {@code pytorch_model.bin} in a Hugging Face folder and in a diffusers {@code text_encoder/}:
 * tiny-sd15.ckpt with its text tower's keys renamed to {@code text_model.*} in the pickle.
 */
class TorchFoldersTest {
    @TempDir
    Path dir;

    static Path ref(String p) {
        return ReferenceData.require(p);
    }

    /** The checkpoint with every BINUNICODE string starting with {@code from} renamed to start with {@code to}. */
    static byte[] renamed(byte[] ckpt, String from, String to) {
        Map<String, byte[]> members = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            ZipArchive zip = ZipArchive.read(Path.of("in.ckpt"), MemorySegment.ofArray(ckpt), arena);
            for (ZipArchive.Entry e : zip.entries().values())
                members.put(e.name(), zip.data(e).toArray(ValueLayout.JAVA_BYTE));
        }
        String pkl = members.keySet().stream()
                .filter(n -> n.endsWith("/data.pkl"))
                .findFirst()
                .orElseThrow();
        byte[] p = members.get(pkl), f = from.getBytes(StandardCharsets.UTF_8), t = to.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int renamed = 0;
        for (int i = 0; i < p.length; ) {
            int len = i + 5 <= p.length && p[i] == 'X'
                    ? ByteBuffer.wrap(p, i + 1, 4)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getInt()
                    : -1;
            if (len >= f.length
                    && i + 5 + len <= p.length
                    && Arrays.equals(p, i + 5, i + 5 + f.length, f, 0, f.length)) {
                out.write('X');
                out.writeBytes(ByteBuffer.allocate(4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(len - f.length + t.length)
                        .array());
                out.writeBytes(t);
                out.write(p, i + 5 + f.length, len - f.length);
                i += 5 + len;
                renamed++;
            } else {
                out.write(p[i++]);
            }
        }
        assertEquals(52, renamed, "tiny-sd15's 52 text tower keys");
        members.put(pkl, out.toByteArray());
        return TestZips.write(members, false, false);
    }

    @Test
    void pytorchModelBinFoldersEncodeLikeTheSafetensorsOnes() throws IOException {
        byte[] bin = renamed(
                Files.readAllBytes(ref("models/tiny-sd15.ckpt")),
                "cond_stage_model.transformer.text_model.",
                "text_model.");
        Path hf = Files.createDirectories(dir.resolve("hf"));
        Files.write(hf.resolve("pytorch_model.bin"), bin);
        Path diffusers = Files.createDirectories(dir.resolve("diffusers/text_encoder"));
        Path source = ref("models/tiny-sd15-diffusers");
        Files.write(diffusers.resolve("pytorch_model.bin"), bin);
        Files.copy(source.resolve("text_encoder/config.json"), diffusers.resolve("config.json"));
        Files.copy(source.resolve("model_index.json"), dir.resolve("diffusers/model_index.json"));
        Files.createDirectories(dir.resolve("diffusers/tokenizer"));
        try (var files = Files.list(source.resolve("tokenizer"))) {
            for (Path f : files.toList())
                Files.copy(
                        f,
                        dir.resolve("diffusers/tokenizer")
                                .resolve(f.getFileName().toString()));
        }
        // The diffusers folder's own safetensors text encoder is conformance-tested against the reference.
        try (TextEncoder want =
                TextEncoder.open(source, TextEncoder.Options.defaults().withThreads(1))) {
            Encoding w = want.encode(
                    List.of("a photo of an astronaut riding a horse on mars", "a dog"), EncodeRequest.standard());
            for (Path model : new Path[] {hf, dir.resolve("diffusers")}) {
                var options = TextEncoder.Options.defaults()
                        .withThreads(1)
                        .withHeads(model == hf ? new int[] {4} : null)
                        .withTokenizer(ref("tokenizer/bpe_simple_vocab_16e6.txt.gz"));
                try (TextEncoder enc = TextEncoder.open(model, options)) {
                    assertEquals(
                            model == hf ? Checkpoint.Family.CLIP_TEXT : Checkpoint.Family.SD1,
                            enc.checkpoint().family(),
                            model.toString());
                    Encoding e = enc.encode(
                            List.of("a photo of an astronaut riding a horse on mars", "a dog"),
                            EncodeRequest.standard());
                    Assertions.assertArrayEquals(
                            w.get("last_hidden_state").floats(),
                            e.get("last_hidden_state").floats(),
                            model.toString());
                    Assertions.assertArrayEquals(
                            w.get("pooled_output").floats(),
                            e.get("pooled_output").floats(),
                            model.toString());
                }
            }
        }
    }
}
