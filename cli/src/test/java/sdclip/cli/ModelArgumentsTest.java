package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.CliTest.Run;
import sdclip.testdata.HubCacheFixture;
import sdclip.testdata.ReferenceData;

/** Model arguments given as Hugging Face ids and as names in a ComfyUI models folder, through the commands. */
class ModelArgumentsTest {
    static final String COMMIT = "89abcdef0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        Environment.replace(null);
    }

    /** A hub cache holding tiny/sd15 (diffusers), and a ComfyUI folder holding tiny-clip as a checkpoint and a text encoder name. */
    Path setUp() throws IOException {
        HubCacheFixture.addSnapshot(
                dir.resolve("hf/hub"),
                "tiny",
                "sd15",
                COMMIT,
                HubCacheFixture.filesOf(ReferenceData.require("models/tiny-sd15-diffusers")),
                "main");
        Path comfy = dir.resolve("ComfyUI");
        Files.createDirectories(comfy.resolve("models/clip/CLIP"));
        Files.copy(
                ReferenceData.require("models/tiny-clip.safetensors"),
                comfy.resolve("models/clip/CLIP/tiny-clip.safetensors"));
        Environment.replace(Map.of("HF_HOME", dir.resolve("hf").toString(), "SDCLIP_MODELS", comfy.toString()));
        return comfy;
    }

    @Test
    void idsAndNamesWorkWhereverAModelIsTaken() throws IOException {
        setUp();
        Run inspect = CliTest.run("inspect", "tiny/sd15");
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("family   sd1"), inspect.out());
        assertTrue(
                inspect.out()
                        .startsWith(dir.resolve("hf/hub/models--tiny--sd15/snapshots/" + COMMIT)
                                .toString()),
                inspect.out());

        Run diff = CliTest.run("diff", "tiny/sd15@" + COMMIT.substring(0, 8), "tiny-clip");
        assertEquals(0, diff.code(), diff.err());
        assertTrue(diff.out().startsWith("identical up to f16 rounding"), diff.out());

        Run sim = CliTest.run(
                "similarity",
                "--tokenizer",
                CliTest.vocab(),
                "--quiet",
                "--model",
                "tiny/sd15",
                "--heads",
                "4",
                "--projection",
                "tiny-clip",
                "--against",
                "tiny-clip",
                "--against-heads",
                "4",
                "a dog");
        assertEquals(0, sim.code(), sim.err());
        assertTrue(sim.out().startsWith("0.9999"), sim.out());
    }

    @Test
    void missesAndAmbiguityAreOneLine() throws IOException {
        Path comfy = setUp();
        Run noId = CliTest.run("inspect", "tiny/sd99");
        assertEquals(1, noId.code());
        String hubMiss = "Hugging Face model tiny/sd99 is not in the hub cache " + dir.resolve("hf/hub")
                + " (no models--tiny--sd99 there)";
        // With models folders set, an id-shaped name (ComfyUI's SD15/name) is looked for there too.
        assertEquals(
                "sdclip: no file or folder tiny/sd99, " + hubMiss
                        + ", and no model named tiny/sd99 in the models folders (looked in "
                        + comfy + ", " + comfy.resolve("models/clip")
                        + ", with or without .safetensors .ckpt .pt .pth .bin, and one subfolder deep); "
                        + "'sdclip pull tiny/sd99' downloads it",
                noId.err().strip());
        Environment.replace(Map.of("HF_HOME", dir.resolve("hf").toString()));
        Run noRev = CliTest.run("inspect", "tiny/sd99@v2");
        assertEquals(
                "sdclip: no file or folder tiny/sd99@v2, and " + hubMiss
                        + "; 'sdclip pull tiny/sd99 --revision v2' downloads it",
                noRev.err().strip());

        Run noName = CliTest.run("inspect", "--models-dir", comfy.toString(), "tiny-sd21");
        assertEquals(1, noName.code());
        assertEquals(1, noName.err().lines().count(), noName.err());
        assertTrue(
                noName.err()
                        .contains("no model named tiny-sd21 in the models folders (looked in " + comfy + ", "
                                + comfy.resolve("models/clip")),
                noName.err());

        Files.createDirectories(comfy.resolve("models/checkpoints"));
        Files.copy(
                ReferenceData.require("models/tiny-clip.safetensors"),
                comfy.resolve("models/checkpoints/tiny-clip.safetensors"));
        Run twice = CliTest.run(
                "encode",
                "--models-dir",
                comfy.toString(),
                "--model",
                "tiny-clip",
                "--tokenizer",
                CliTest.vocab(),
                "a dog");
        assertEquals(1, twice.code());
        assertEquals(
                "sdclip: model name tiny-clip is ambiguous: "
                        + comfy.resolve("models/checkpoints/tiny-clip.safetensors") + ", "
                        + comfy.resolve("models/clip/CLIP/tiny-clip.safetensors"),
                twice.err().strip());
    }
}
