package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder's and a webdataset shard's samples without a caption, or with an empty one: that row's
 * error, in words that name what is missing, when the work reads captions; no error when it
 * does not (embed-images).
 */
class PartSamplesTest {
    @TempDir
    Path dir;

    static List<Sample> read(JobInputs.Part part, boolean captions) throws IOException {
        List<Sample> out = new ArrayList<>();
        try (PartSamples.Rows rows = PartSamples.open(part, null, new Configuration(), captions)) {
            rows.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void aFolderImageWithoutItsCaptionSaysSo() throws IOException {
        List<JobInputs.Item> items = new ArrayList<>();
        for (String key : List.of("a", "b", "c")) {
            Path image = Files.write(dir.resolve(key + ".png"), new byte[] {1, 2, 3}); // bytes only: not decoded here
            Path txt = dir.resolve(key + ".txt");
            if (key.equals("b")) Files.writeString(txt, " \n");
            if (key.equals("c")) Files.writeString(txt, "a cat\n");
            items.add(new JobInputs.Item(key, image.toString(), Files.exists(txt) ? txt.toString() : null));
        }
        JobInputs.Part part = new JobInputs.Part(0, "folder", dir.toString(), items);
        List<Sample> read = read(part, true);
        assertEquals(
                dir.resolve("a.png") + ": no caption (no .txt file of the same name beside it)",
                read.get(0).error());
        assertEquals(
                dir.resolve("b.png") + ": empty caption (its .txt file holds no text)",
                read.get(1).error());
        assertNull(read.get(2).error());
        assertEquals("a cat", read.get(2).caption());
        for (Sample s : read(part, false)) assertNull(s.error(), s.key());
    }

    @Test
    void aShardSampleWithoutACaptionSaysSo() throws IOException {
        Path shard = Files.write(
                dir.resolve("00000.tar"),
                TarReaderTest.tar(
                        TarArchiveOutputStream.LONGFILE_POSIX,
                        "k1.png",
                        "x",
                        "k1.txt",
                        "a dog",
                        "k2.png",
                        "x",
                        "k3.png",
                        "x",
                        "k3.json",
                        "{\"caption\": \"\"}",
                        "k4.txt",
                        "\n",
                        "k4.png",
                        "x"));
        JobInputs.Part part = new JobInputs.Part(0, "webdataset", shard.toString(), List.of());
        List<Sample> read = read(part, true);
        assertEquals(
                List.of("k1", "k2", "k3", "k4"), read.stream().map(Sample::key).toList());
        assertNull(read.get(0).error());
        assertEquals("a dog", read.get(0).caption());
        assertEquals(
                shard + "#k2.png: no caption (no .txt member, nor a .json with \"caption\")",
                read.get(1).error());
        assertEquals(shard + "#k3.png: empty caption", read.get(2).error());
        assertEquals(shard + "#k4.png: empty caption", read.get(3).error());
        for (Sample s : read(part, false)) assertNull(s.error(), s.key());
    }
}
