package sdclip.model.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.testdata.HubCacheFixture;
import sdclip.testdata.ReferenceData;

/** Model ids from a hub cache laid out by hand, and names from ComfyUI / A1111 models folders. */
class ModelLocatorTest {
    static final String C1 = "1111111111111111111111111111111111111111",
            C2 = "2222222222222222222222222222222222222222";

    @TempDir
    Path dir;

    Path cache() {
        return dir.resolve("hub");
    }

    ModelLocator locator() {
        return new ModelLocator(Map.of("HF_HUB_CACHE", cache().toString()), null);
    }

    /** Two snapshots of a small text repository: main at C1, tag v2 at C2. */
    void twoSnapshots() throws IOException {
        Path a = Files.writeString(dir.resolve("a.txt"), "first"),
                b = Files.writeString(dir.resolve("b.txt"), "second");
        HubCacheFixture.addSnapshot(cache(), "org", "repo", C1, Map.of("f.txt", a), "main");
        HubCacheFixture.addSnapshot(cache(), "org", "repo", C2, Map.of("f.txt", b), "v2");
    }

    @Test
    void aDiffusersRepoResolvesToItsSnapshotAndOpensAsAFolder() throws IOException {
        Path ref = ReferenceData.require("models/tiny-sd15-diffusers");
        Path snapshot = HubCacheFixture.addSnapshot(cache(), "tiny", "sd15", C1, HubCacheFixture.filesOf(ref), "main");
        assertTrue(Files.isSymbolicLink(snapshot.resolve("text_encoder/model.safetensors")));
        assertFalse(Files.readSymbolicLink(snapshot.resolve("text_encoder/model.safetensors"))
                .isAbsolute());

        Path found = locator().locate("tiny/sd15");
        assertEquals(snapshot, found);
        try (Checkpoint viaHub = Checkpoint.open(found, null);
                Checkpoint direct = Checkpoint.open(ref, null)) {
            assertEquals(direct.family(), viaHub.family());
            assertEquals(direct.layout(), viaHub.layout());
            assertEquals(direct.encoders().size(), viaHub.encoders().size());
            assertEquals(
                    direct.encoders().getFirst().config(),
                    viaHub.encoders().getFirst().config());
            assertEquals(
                    direct.encoders().getFirst().tensors().keySet(),
                    viaHub.encoders().getFirst().tensors().keySet());
        }
    }

    @Test
    void revisionsResolveThroughRefsCommitsAndUniquePrefixes() throws IOException {
        twoSnapshots();
        ModelLocator l = locator();
        Path snapshots = cache().resolve("models--org--repo/snapshots");
        assertEquals(snapshots.resolve(C1), l.locate("org/repo"));
        assertEquals(snapshots.resolve(C1), l.locate("org/repo@main"));
        assertEquals(snapshots.resolve(C2), l.locate("org/repo@v2"));
        assertEquals(snapshots.resolve(C2), l.locate("org/repo@" + C2));
        assertEquals(snapshots.resolve(C2), l.locate("org/repo@2222222"));
        assertEquals("second", read(l.locate("org/repo@v2").resolve("f.txt")));
    }

    @Test
    void missesNameWhatWasLookedForAndWhere() throws IOException {
        twoSnapshots();
        String noRepo = assertThrows(
                        IllegalArgumentException.class, () -> locator().locate("org/other"))
                .getMessage();
        assertEquals(
                "no file or folder org/other, and Hugging Face model org/other is not in the hub cache " + cache()
                        + " (no models--org--other there)",
                noRepo);
        String noRev = assertThrows(
                        IllegalArgumentException.class, () -> locator().locate("org/repo@v9"))
                .getMessage();
        assertTrue(
                noRev.contains("has no revision 'v9'")
                        && noRev.contains("refs: main, v2")
                        && noRev.contains(C1 + ", " + C2),
                noRev);
        String missingSnapshot = assertThrows(
                        IllegalArgumentException.class,
                        () -> locator().locate("org/repo@3333333333333333333333333333333333333333"))
                .getMessage();
        assertTrue(
                missingSnapshot.contains("snapshot 3333333333333333333333333333333333333333 is missing"),
                missingSnapshot);
        assertFalse(noRepo.contains("\n") || noRev.contains("\n"));
    }

    @Test
    void withoutRefsMainTwoSnapshotsAreAmbiguousAndOneIsTaken() throws IOException {
        twoSnapshots();
        Files.delete(cache().resolve("models--org--repo/refs/main"));
        String m = assertThrows(IllegalArgumentException.class, () -> locator().locate("org/repo"))
                .getMessage();
        assertTrue(m.contains("ambiguous") && m.contains(C1) && m.contains(C2) && m.contains("org/repo@COMMIT"), m);
        Path one = dir.resolve("one");
        HubCacheFixture.addSnapshot(
                one, "org", "solo", C1, Map.of("f.txt", Files.writeString(dir.resolve("s.txt"), "x")));
        assertEquals(
                one.resolve("models--org--solo/snapshots/" + C1),
                new ModelLocator(new HubCache(one), List.of()).locate("org/solo"));
    }

    @Test
    void anExistingPathWinsOverAnId() throws IOException {
        // Relative to the working directory (the module folder), shaped like an id.
        Path local = Path.of("target", "hub-test-" + ProcessHandle.current().pid());
        Files.createDirectories(local);
        try {
            HubCacheFixture.addSnapshot(
                    cache(),
                    "target",
                    local.getFileName().toString(),
                    C1,
                    Map.of("f.txt", Files.writeString(dir.resolve("x.txt"), "x")),
                    "main");
            assertEquals(local, locator().locate("target/" + local.getFileName()));
        } finally {
            Files.delete(local);
        }
        assertEquals(
                cache().resolve("models--target--" + local.getFileName() + "/snapshots/" + C1),
                locator().locate("target/" + local.getFileName()));
    }

    @Test
    void theCacheFolderFollowsTheEnvironment() {
        assertEquals(
                Path.of("/a"),
                HubCache.fromEnvironment(Map.of("HF_HUB_CACHE", "/a", "HUGGINGFACE_HUB_CACHE", "/b", "HF_HOME", "/c"))
                        .root());
        assertEquals(
                Path.of("/b"),
                HubCache.fromEnvironment(Map.of("HUGGINGFACE_HUB_CACHE", "/b", "HF_HOME", "/c"))
                        .root());
        assertEquals(
                Path.of("/c/hub"),
                HubCache.fromEnvironment(Map.of("HF_HOME", "/c", "XDG_CACHE_HOME", "/x"))
                        .root());
        assertEquals(
                Path.of("/x/huggingface/hub"),
                HubCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x")).root());
        assertEquals(
                Path.of(System.getProperty("user.home"), ".cache/huggingface/hub"),
                HubCache.fromEnvironment(Map.of()).root());
        assertEquals(
                Path.of(System.getProperty("user.home"), "hf/hub"),
                HubCache.fromEnvironment(Map.of("HF_HOME", "~/hf")).root());
    }

    @Test
    void idsAreToldFromFileNames() {
        assertTrue(RepoId.looksLikeId("openai/clip-vit-large-patch14"));
        assertTrue(RepoId.looksLikeId("stabilityai/stable-diffusion-2-1@fp16"));
        assertFalse(RepoId.looksLikeId("models/sd15.safetensors"));
        assertFalse(RepoId.looksLikeId("a/b/c"));
        assertFalse(RepoId.looksLikeId("/abs/path"));
        assertFalse(RepoId.looksLikeId("./x"));
        assertFalse(RepoId.looksLikeId("sd15"));
        assertFalse(RepoId.looksLikeId("org/name@"));
        RepoId id = RepoId.parse("org/name@v1.0");
        assertEquals(new RepoId("org", "name", "v1.0"), id);
        assertEquals("models--org--name", id.cacheFolderName());
        assertEquals("main", RepoId.parse("org/name").revision());
    }

    /** A ComfyUI install, an A1111 install, and a bare models folder. */
    Path comfy() throws IOException {
        Path root = dir.resolve("ComfyUI");
        touch(root.resolve("models/checkpoints/sd15.safetensors"));
        touch(root.resolve("models/checkpoints/SDXL/juggernaut.safetensors"));
        touch(root.resolve("models/clip/clip_l.safetensors"));
        touch(root.resolve("models/text_encoders/t5.bin"));
        touch(root.resolve("models/checkpoints/twice.safetensors"));
        touch(root.resolve("models/clip/twice.ckpt"));
        touch(root.resolve("models/embeddings/easynegative.pt"));
        return root;
    }

    @Test
    void bareNamesResolveInComfyUiAndA1111Folders() throws IOException {
        Path root = comfy();
        ModelLocator l = new ModelLocator(Map.of("HF_HUB_CACHE", cache().toString()), root);
        assertEquals(root.resolve("models/checkpoints/sd15.safetensors"), l.locate("sd15"));
        assertEquals(root.resolve("models/checkpoints/sd15.safetensors"), l.locate("sd15.safetensors"));
        assertEquals(root.resolve("models/checkpoints/SDXL/juggernaut.safetensors"), l.locate("juggernaut"));
        assertEquals(
                root.resolve("models/checkpoints/SDXL/juggernaut.safetensors"),
                l.locate("SDXL/juggernaut.safetensors"));
        assertEquals(root.resolve("models/checkpoints/SDXL/juggernaut.safetensors"), l.locate("SDXL/juggernaut"));
        assertEquals(root.resolve("models/clip/clip_l.safetensors"), l.locate("clip_l"));
        assertEquals(root.resolve("models/text_encoders/t5.bin"), l.locate("t5"));
        assertEquals(root.resolve("models/embeddings/easynegative.pt"), l.locate("easynegative"));
        // The models folder itself works as well as the install folder.
        assertEquals(
                root.resolve("models/clip/clip_l.safetensors"),
                new ModelLocator(new HubCache(cache()), List.of(root.resolve("models"))).locate("clip_l"));

        Path a1111 = dir.resolve("webui");
        touch(a1111.resolve("models/Stable-diffusion/v1-5-pruned-emaonly.ckpt"));
        touch(a1111.resolve("embeddings/bad_prompt.pt"));
        ModelLocator fromEnv = new ModelLocator(Map.of("SDCLIP_MODELS", root + File.pathSeparator + a1111), null);
        assertEquals(
                a1111.resolve("models/Stable-diffusion/v1-5-pruned-emaonly.ckpt"),
                fromEnv.locate("v1-5-pruned-emaonly"));
        assertEquals(a1111.resolve("embeddings/bad_prompt.pt"), fromEnv.locate("bad_prompt"));
        assertEquals(root.resolve("models/checkpoints/sd15.safetensors"), fromEnv.locate("sd15"));
        // --models-dir (the constructor's folder) replaces SDCLIP_MODELS.
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> new ModelLocator(Map.of("SDCLIP_MODELS", a1111.toString()), root).locate("bad_prompt"))
                .getMessage();
        assertTrue(
                m.startsWith(
                        "no file or folder bad_prompt, and no model named bad_prompt in the models folders (looked in "
                                + root + ", "),
                m);
    }

    /** Embedding names are found where A1111 and ComfyUI keep embeddings, and only there. */
    @Test
    void embeddingNamesResolveInTheEmbeddingsFolders() throws IOException {
        Path root = comfy();
        touch(root.resolve("models/embeddings/SDXL/fox-xl.safetensors"));
        ModelLocator l = new ModelLocator(Map.of(), root);
        assertEquals(root.resolve("models/embeddings/easynegative.pt"), l.locateEmbedding("easynegative"));
        assertEquals(root.resolve("models/embeddings/easynegative.pt"), l.locateEmbedding("easynegative.pt"));
        assertEquals(root.resolve("models/embeddings/SDXL/fox-xl.safetensors"), l.locateEmbedding("fox-xl"));
        assertEquals(root.resolve("models/embeddings/SDXL/fox-xl.safetensors"), l.locateEmbedding("SDXL/fox-xl"));
        assertEquals(
                root.resolve("models/embeddings/SDXL"),
                l.locateEmbedding("SDXL"),
                "a subfolder is a set of embeddings");
        assertEquals(
                root.resolve("models/embeddings/easynegative.pt"),
                new ModelLocator(new HubCache(cache()), List.of(root.resolve("models")))
                        .locateEmbedding("easynegative"));
        // A checkpoint is not an embedding.
        assertEquals(
                "no file or folder sd15, and no embedding named sd15 in the models folders (looked in "
                        + root.resolve("models/embeddings")
                        + ", with or without .safetensors .pt .bin, and one subfolder deep)",
                assertThrows(IllegalArgumentException.class, () -> l.locateEmbedding("sd15"))
                        .getMessage());
        // A1111 keeps them at its root.
        Path a1111 = dir.resolve("stable-diffusion-webui");
        touch(a1111.resolve("models/Stable-diffusion/v1-5-pruned-emaonly.ckpt"));
        touch(a1111.resolve("embeddings/bad_prompt.pt"));
        ModelLocator fromEnv = new ModelLocator(Map.of("SDCLIP_MODELS", a1111.toString()), null);
        assertEquals(a1111.resolve("embeddings/bad_prompt.pt"), fromEnv.locateEmbedding("bad_prompt"));
        assertEquals(
                "no file or folder x, and no embedding named x in the models folders (no embeddings or models/embeddings folder in ["
                        + dir + "])",
                assertThrows(IllegalArgumentException.class, () -> new ModelLocator(Map.of(), dir).locateEmbedding("x"))
                        .getMessage());
        // Without models folders a name stays a path, for the reader to report missing; a path that exists is itself.
        assertEquals(Path.of("easynegative"), locator().locateEmbedding("easynegative"));
        assertEquals(
                a1111.resolve("embeddings"),
                l.locateEmbedding(a1111.resolve("embeddings").toString()));
    }

    @Test
    void twoMatchesAreOneLineListingBoth() throws IOException {
        Path root = comfy();
        String m = assertThrows(IllegalArgumentException.class, () -> new ModelLocator(Map.of(), root).locate("twice"))
                .getMessage();
        assertEquals(
                "model name twice is ambiguous: " + root.resolve("models/checkpoints/twice.safetensors") + ", "
                        + root.resolve("models/clip/twice.ckpt"),
                m);
    }

    @Test
    void withoutModelsFoldersANameStaysAPath() {
        assertEquals(Path.of("nothing-here.safetensors"), locator().locate("nothing-here.safetensors"));
        assertEquals(Path.of("sub/dir/x"), locator().locate("sub/dir/x"));
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> new ModelLocator(Map.of(), dir.resolve("absent")).locate("x"))
                .getMessage();
        assertTrue(m.contains("none of the models folders [" + dir.resolve("absent") + "] exists"), m);
    }

    static void touch(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, p.getFileName().toString());
    }

    static String read(Path p) throws IOException {
        return Files.readString(p);
    }

    /** A1111's models/Lora and models/LyCORIS, ComfyUI's models/loras, under an install or its models folder; then a name by file stem. */
    @Test
    void loraFoldersAndNames(@TempDir Path root) throws IOException {
        Path a1111 = Files.createDirectories(root.resolve("webui/models/Lora/styles"));
        Files.createDirectories(root.resolve("webui/models/LyCORIS"));
        Path comfy = Files.createDirectories(root.resolve("comfy/models/loras"));
        ModelLocator l = new ModelLocator(
                new HubCache(root.resolve("none")),
                List.of(root.resolve("webui"), root.resolve("comfy/models"), root.resolve("gone")));
        assertEquals(
                List.of(root.resolve("webui/models/Lora"), root.resolve("webui/models/LyCORIS"), comfy),
                l.loraFolders());
        Path detail = Files.writeString(a1111.resolve("detail.safetensors"), "x");
        Files.writeString(comfy.resolve("detail.txt"), "not a LoRA");
        Files.writeString(comfy.resolve("detailer.pt"), "another name");
        assertEquals(detail, sdclip.model.Lora.find("detail", l.loraFolders()));
        assertEquals(null, sdclip.model.Lora.find("styles", l.loraFolders()));
        Files.writeString(comfy.resolve("detail.ckpt"), "x");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> sdclip.model.Lora.find("detail", l.loraFolders()));
        assertEquals("LoRA name detail is ambiguous: " + detail + ", " + comfy.resolve("detail.ckpt"), e.getMessage());
    }
}
