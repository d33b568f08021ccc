package sdclip.cli.command;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code pull --include} globs match as Python's fnmatch does (the end to end run is PullCommandTest's). */
class PullCommandGlobTest {
    @Test
    void globsMatchAsFnmatchDoes() {
        assertTrue(PullCommand.fnmatch("tokenizer/", "tokenizer/vocab.json"));
        assertTrue(PullCommand.fnmatch("model.[!b]*", "model.safetensors"));
        assertFalse(PullCommand.fnmatch("model.[!s]*", "model.safetensors"));
        assertTrue(PullCommand.fnmatch("?odel_index.json", "model_index.json"));
    }
}
