package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs on a small disk, a real one: a tmpfs mounted for the test (skipped where mounting needs
 * rights the test does not have). A run whose output cannot fit stops before its work with the
 * estimate; a disk that takes no file at all is named as the user's output, "the disk is full".
 */
class FullDiskTest {
    @TempDir
    Path dir;

    private final List<Path> mounted = new ArrayList<>();

    /** A tmpfs with {@code options} at {@code dir/name}, or the test is skipped. */
    private Path tmpfs(String name, String options) throws Exception {
        Path at = Files.createDirectory(dir.resolve(name));
        Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", at.toString())
                .redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assumeTrue(p.waitFor() == 0, "mounting a tmpfs needs root");
        mounted.add(at);
        return at;
    }

    @AfterEach
    void unmount() throws Exception {
        for (Path at : mounted)
            new ProcessBuilder("umount", at.toString()).inheritIO().start().waitFor();
    }

    static List<String> prompts(int n) {
        List<String> p = new ArrayList<>();
        for (int i = 0; i < n; i++) p.add("a photo of " + i + " dogs");
        return p;
    }

    static List<String> files(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** 24 prompts' conditioning is 473 kB of floats, about 1.4 MB as text: on a 1 MB disk only the binary formats fit. */
    @Test
    void aRunThatCannotFitStopsBeforeItsWorkWithTheEstimate() throws Exception {
        Path disk = tmpfs("disk", "size=1m");
        for (String ext : List.of("json", "jsonl")) {
            Path out = disk.resolve("e." + ext);
            CliTest.Run r = EncodeOutputTest.encode(
                    EncodeOutputTest.SD15, "4", prompts(24), "--tensors", "conditioning", "--output", out.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(
                    r.err().startsWith("sdclip: cannot write " + out + ": it needs ")
                            && r.err().contains(" MB and " + disk + " has ")
                            && r.err().strip().endsWith(" free"),
                    r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        CliTest.Run fits = EncodeOutputTest.encode(
                EncodeOutputTest.SD15,
                "4",
                prompts(24),
                "--tensors",
                "conditioning",
                "--output",
                disk.resolve("e.safetensors").toString());
        assertEquals(0, fits.code(), fits.err());
        Files.delete(disk.resolve("e.safetensors"));
        // convert and extract: the tensors' bytes are known once the model is open, before any is written.
        Path converted = disk.resolve("c.safetensors"), extracted = disk.resolve("x");
        CliTest.Run convert = CliTest.run("convert", CliTest.ref("models/tiny-sd15.safetensors"), converted.toString());
        CliTest.Run extract = CliTest.run(
                "extract", "--model", CliTest.ref("models/tiny-sd21.safetensors"), "--output", extracted.toString());
        for (CliTest.Run r : List.of(convert, extract)) {
            assertEquals(1, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        assertTrue(
                convert.err()
                        .startsWith("sdclip: cannot write " + converted + ": it needs 6.6 MB and " + disk + " has "),
                convert.err());
        assertTrue(extract.err().startsWith("sdclip: cannot write " + extracted + ": it needs "), extract.err());
        assertEquals(List.of(), files(disk), "nothing written, no temporary left");
        // synth to GGUF: the quantized size is known from the shapes, before any tensor is computed
        Path gguf = disk.resolve("s.gguf");
        CliTest.Run synth = CliTest.run("synth", "--output", gguf.toString(), "--dtype", "Q4_K");
        OutputRulesTest.refused(
                synth, 1, "sdclip: cannot write " + gguf + ": it needs 70.0 MB and " + disk + " has ", new String[] {
                    "synth"
                });
        assertEquals(List.of(), files(disk), "nothing written, no temporary left");
    }

    /** A disk with no inode left: creating any file fails with ENOSPC. */
    @Test
    void aFullDiskIsNamedAsTheUsersOutput() throws Exception {
        Path disk = tmpfs("full", "size=1m,nr_inodes=1");
        String img = CliTest.ref("images/CLIP.png");
        List<String[]> commands = List.of(
                new String[] {
                    "convert",
                    CliTest.ref("models/tiny-sd15.safetensors"),
                    disk.resolve("c.safetensors").toString()
                },
                new String[] {
                    "extract",
                    "--model",
                    CliTest.ref("models/tiny-sd21.safetensors"),
                    "--output",
                    disk.resolve("x").toString()
                },
                new String[] {"synth", "--output", disk.resolve("s.safetensors").toString()},
                new String[] {"synth", "--output", disk.resolve("s.gguf").toString(), "--dtype", "q8_0"},
                new String[] {
                    "score",
                    "--model",
                    CliTest.ref("models/tiny-clip.safetensors"),
                    "--heads",
                    "4",
                    "--vision-heads",
                    "4",
                    "--tokenizer",
                    CliTest.vocab(),
                    "--text",
                    "a",
                    "--output",
                    disk.resolve("s.csv").toString(),
                    img
                },
                new String[] {
                    "encode-image",
                    "--model",
                    CliTest.ref("models/tiny-clip.safetensors"),
                    "--vision-heads",
                    "4",
                    "--output",
                    disk.resolve("i.npy").toString(),
                    img
                },
                new String[] {
                    "encode",
                    "--model",
                    CliTest.ref("models/tiny-sd15.safetensors"),
                    "--heads",
                    "4",
                    "--tokenizer",
                    CliTest.vocab(),
                    "--output",
                    disk.resolve("e.jsonl").toString(),
                    "a dog"
                });
        for (String[] c : commands) {
            String output = c[c[0].equals("convert") ? 2 : List.of(c).indexOf("--output") + 1];
            CliTest.Run r = CliTest.run(c);
            OutputRulesTest.refused(
                    r, 1, "sdclip: cannot write " + output + ": the disk is full (no space left on device)\n", c);
        }
    }
}
