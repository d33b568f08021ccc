package sdclip.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.testdata.ReferenceData;

/** Truncated and corrupt vocabulary files: one line naming the file, never a bare stream error. */
class BrokenVocabularyTest {
    @TempDir
    Path dir;

    static void assertNames(Path file, String reason, IOException e) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file + ": cannot read the vocabulary: "), m);
        assertTrue(m.contains(reason), m);
        assertFalse(m.contains("\n"), m);
    }

    Path head(String reference, String name, int bytes) throws IOException {
        byte[] all = Files.readAllBytes(ReferenceData.require(reference));
        return Files.write(dir.resolve(name), Arrays.copyOf(all, bytes));
    }

    @Test
    void aTruncatedGzipNamesTheFile() throws IOException {
        Path gz = head("tokenizer/bpe_simple_vocab_16e6.txt.gz", "trunc.gz", 50_000);
        assertNames(gz, "ends early", assertThrows(IOException.class, () -> ClipTokenizer.load(gz)));
    }

    @Test
    void aTruncatedVocabJsonNamesTheFile() throws IOException {
        Path json = head("tokenizer/hf/vocab.json", "vocab.json", 100_000);
        Files.copy(ReferenceData.require("tokenizer/hf/merges.txt"), dir.resolve("merges.txt"));
        assertNames(json, "", assertThrows(IOException.class, () -> ClipTokenizer.load(dir)));
        assertNames(json, "", assertThrows(IOException.class, () -> ClipTokenizer.load(json)));
    }

    @Test
    void aVocabJsonThatIsNotAnObjectNamesTheFile() throws IOException {
        Path json = Files.writeString(dir.resolve("vocab.json"), "[1, 2, 3]");
        Files.copy(ReferenceData.require("tokenizer/hf/merges.txt"), dir.resolve("merges.txt"));
        assertNames(json, "", assertThrows(IOException.class, () -> ClipTokenizer.load(dir)));
    }

    @Test
    void mergesThatAreNotUtf8NameTheFile() throws IOException {
        Files.copy(ReferenceData.require("tokenizer/hf/vocab.json"), dir.resolve("vocab.json"));
        Path merges = Files.write(dir.resolve("merges.txt"), new byte[] {'#', 'v', '\n', 'a', ' ', (byte) 0xff, '\n'});
        assertNames(merges, "not UTF-8", assertThrows(IOException.class, () -> ClipTokenizer.load(dir)));
    }

    @Test
    void theIntactFilesStillLoad() throws IOException {
        assertEquals(
                49408,
                ClipTokenizer.load(ReferenceData.require("tokenizer/bpe_simple_vocab_16e6.txt.gz"))
                        .vocabularySize());
        assertEquals(
                49408, ClipTokenizer.load(ReferenceData.require("tokenizer/hf")).vocabularySize());
    }
}
