package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.output.OutputFiles;
import sdclip.cli.output.WriteErrors;
import sdclip.model.TensorSpec;

/**
 * The output rules every command that writes a file follows, the same way and before its model is
 * opened (the model here does not exist, so an answer about the output proves the order): a
 * known extension, not an input (exit 2), a folder that exists (none is created) and takes a file
 * (exit 1), each one line naming the output the user gave, never a temporary file.
 */
class OutputRulesTest {
    @TempDir
    Path dir;

    /** Each command that writes a file, writing {@code out} (an extension is added where the command wants one). */
    List<String[]> commands(Path out) throws IOException {
        String missing = dir.resolve("missing.safetensors").toString(), img = CliTest.ref("images/CLIP.png");
        return List.of(
                new String[] {
                    "encode",
                    "--model",
                    missing,
                    "--tokenizer",
                    CliTest.vocab(),
                    "--output",
                    out + ".safetensors",
                    "a dog"
                },
                new String[] {"encode-image", "--model", missing, "--output", out + ".json", img},
                new String[] {"score", "--model", missing, "--text", "a dog", "--output", out + ".csv", img},
                new String[] {"convert", missing, out + ".safetensors"},
                new String[] {"extract", "--model", missing, "--output", out.toString()},
                new String[] {"synth", "--output", out + ".safetensors"},
                new String[] {"synth", "--output", out + ".gguf", "--dtype", "q4_k"});
    }

    /** Exit {@code code}, and stderr exactly one line starting with {@code start}, naming no temporary. */
    static void refused(CliTest.Run r, int code, String start, String[] command) {
        String what = String.join(" ", command);
        assertEquals(code, r.code(), what + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), what + ": one line: " + r.err());
        assertTrue(r.err().startsWith(start), what + ": " + r.err());
        assertFalse(r.err().contains(".tmp") || r.err().contains("Exception"), what + ": " + r.err());
        assertEquals("", r.out(), what);
    }

    @Test
    void noCommandCreatesAMissingFolder() throws IOException {
        Path folder = dir.resolve("no");
        for (String[] c : commands(folder.resolve("out"))) {
            CliTest.Run r = CliTest.run(c);
            String output = c[c[0].equals("convert") ? 2 : List.of(c).indexOf("--output") + 1];
            refused(r, 1, "sdclip: cannot write " + output + ": no folder " + folder + "\n", c);
            assertFalse(Files.exists(folder), c[0] + " created " + folder);
        }
    }

    /** /proc takes no new file, even from root, whose permission bits say nothing. */
    @Test
    void anUnwritableFolderIsRefusedBeforeAnyWork() throws IOException {
        for (String[] c : commands(Path.of("/proc/sdclip-out"))) {
            String output = c[c[0].equals("convert") ? 2 : List.of(c).indexOf("--output") + 1];
            refused(CliTest.run(c), 1, "sdclip: cannot write " + output + ": ", c);
        }
    }

    @Test
    void anUnknownExtensionIsAUsageErrorListingTheCommandsFormats() throws IOException {
        Path out = dir.resolve("out.txt");
        String img = CliTest.ref("images/CLIP.png"),
                missing = dir.resolve("missing.safetensors").toString();
        String[][] cases = {
            {"encode-image", "--model", missing, "--output", out.toString(), img},
            {"score", "--model", missing, "--text", "a dog", "--output", out.toString(), img},
            {"convert", missing, out.toString()},
            {"synth", "--output", out.toString()}
        };
        String[] formats = {
            ".safetensors, .npy, .json or .jsonl, or - for standard output",
            ".csv or .json",
            ".safetensors or .gguf",
            ".safetensors or .gguf"
        };
        for (int i = 0; i < cases.length; i++) {
            CliTest.Run r = CliTest.run(cases[i]);
            refused(
                    r,
                    2,
                    "sdclip: " + out + ": unknown output format (use " + formats[i] + ") (see 'sdclip " + cases[i][0]
                            + " --help')",
                    cases[i]);
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void anInputIsNeverTheOutput() throws IOException {
        Path clip = Files.copy(Path.of(CliTest.ref("models/tiny-clip.safetensors")), dir.resolve("clip.safetensors"));
        byte[] before = Files.readAllBytes(clip);
        Path captions = Files.writeString(dir.resolve("captions.json"), "[\"a dog\"]");
        String img = CliTest.ref("images/CLIP.png");
        CliTest.Run image = CliTest.run(
                "encode-image", "--model", clip.toString(), "--vision-heads", "4", "--output", clip.toString(), img);
        refused(image, 2, "sdclip: " + clip + ": is the model; writing it would replace it", new String[] {
            "encode-image"
        });
        CliTest.Run score = CliTest.run(
                "score",
                "--model",
                dir.resolve("missing.safetensors").toString(),
                "--prompts",
                captions.toString(),
                "--output",
                captions.toString(),
                img);
        refused(score, 2, "sdclip: " + captions + ": is the prompts file; writing it would replace it", new String[] {
            "score"
        });
        assertArrayEquals(before, Files.readAllBytes(clip), "the model is untouched");
        assertEquals("[\"a dog\"]", Files.readString(captions));
    }

    /** An input image whose name has an output's extension, and an embedding, are inputs too. */
    @Test
    void inputImagesAndEmbeddingsAreNeverTheOutput() throws IOException {
        Path npy = Files.copy(Path.of(CliTest.ref("images/CLIP.png")), dir.resolve("img.npy"));
        Path csv = Files.copy(Path.of(CliTest.ref("images/CLIP.png")), dir.resolve("img.csv"));
        Path emb = Files.copy(
                Path.of(CliTest.ref("embeddings/redfox-kohya.safetensors")), dir.resolve("redfox-kohya.safetensors"));
        byte[] png = Files.readAllBytes(npy), embedding = Files.readAllBytes(emb);
        String clip = CliTest.ref("models/tiny-clip.safetensors");
        refused(
                CliTest.run(
                        "encode-image",
                        "--model",
                        clip,
                        "--vision-heads",
                        "4",
                        "--output",
                        npy.toString(),
                        npy.toString()),
                2,
                "sdclip: " + npy + ": is the input image; writing it would replace it",
                new String[] {"encode-image"});
        refused(
                CliTest.run(
                        "score",
                        "--model",
                        clip,
                        "--heads",
                        "4",
                        "--vision-heads",
                        "4",
                        "--text",
                        "a",
                        "--output",
                        csv.toString(),
                        csv.toString()),
                2,
                "sdclip: " + csv + ": is the input image; writing it would replace it",
                new String[] {"score"});
        refused(
                CliTest.run(
                        "encode-image",
                        "--model",
                        clip,
                        "--vision-heads",
                        "4",
                        "--output",
                        npy.toString(),
                        dir.toString()),
                2,
                "sdclip: " + npy + ": is a file of the input image folder " + dir + "; writing it would replace it",
                new String[] {"encode-image", "folder"});
        refused(
                CliTest.run(
                        "encode",
                        "--model",
                        CliTest.ref("models/tiny-sd15.safetensors"),
                        "--heads",
                        "4",
                        "--syntax",
                        "a1111",
                        "--embeddings",
                        emb.toString(),
                        "--output",
                        emb.toString(),
                        "x"),
                2,
                "sdclip: " + emb + ": is the embedding; writing it would replace it",
                new String[] {"encode"});
        assertArrayEquals(png, Files.readAllBytes(npy));
        assertArrayEquals(png, Files.readAllBytes(csv));
        assertArrayEquals(embedding, Files.readAllBytes(emb));
    }

    @Test
    void writeErrorsNameTheOutputAndSayTheDiskIsFull() {
        IOException full = new FileSystemException("/data/.out.safetensors.123-4.tmp", null, "No space left on device");
        assertEquals(
                "cannot write out.safetensors: the disk is full (no space left on device)",
                WriteErrors.cannotWrite(Path.of("out.safetensors"), full).getMessage());
        IOException channel = new IOException("No space left on device"); // what a FileChannel write says
        assertEquals(
                "cannot write e.json: the disk is full (no space left on device)",
                WriteErrors.cannotWrite(Path.of("e.json"), channel).getMessage());
        IOException told = WriteErrors.cannotWrite(Path.of("e.json"), channel);
        assertEquals(told, WriteErrors.cannotWrite(Path.of("e.json"), told), "told once, not twice");
    }

    /** The free-space estimate per format: text takes about 3 times a float's 4 bytes, and .json keeps its raw spool beside it. */
    @Test
    void theSpaceEstimateFollowsTheFormat() {
        var cond = new TensorSpec("conditioning", "F32", new long[] {2, 77, 64}, 0, null);
        var ids = new TensorSpec("input_ids", "I64", new long[] {2, 77}, 0, null);
        List<TensorSpec> specs = List.of(ids, cond);
        long values = 2 * 77 * 64, binary = values * 4 + 2 * 77 * 8, text = values * 12 + 2 * 77 * 7;
        assertEquals(binary, OutputFiles.estimate(OutputFiles.Format.SAFETENSORS, specs, List.of("a", "bc")));
        assertEquals(values * 4, OutputFiles.estimate(OutputFiles.Format.NPY, List.of(cond), List.of("a", "bc")));
        assertEquals(binary + text, OutputFiles.estimate(OutputFiles.Format.JSON, specs, List.of("a", "bc")));
        assertEquals(text + 1 + 2 + 2 * 16, OutputFiles.estimate(OutputFiles.Format.JSONL, specs, List.of("a", "bc")));
    }
}
