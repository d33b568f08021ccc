package sdclip.model.text;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import sdclip.model.checkpoint.TextTower;
import sdclip.model.tokenizer.ClipTokenizer;

/**
 * Each text encoder's tokenizer, found on first use (so pre-tokenized callers need no
 * vocabulary): the one given when set, else the encoder's own folder (diffusers), else
 * {@code $SDCLIP_TOKENIZER}. Each is loaded once; the one located rather than the encoder's own
 * is shared by every encoder that uses it. Thread-safe.
 */
public final class TokenizerLookup {
    private final List<TextTower> encoders;
    private final Path given;
    private final ClipTokenizer[] byEncoder;
    private ClipTokenizer located;

    /**
     * A lookup for {@code encoders}.
     *
     * @param encoders the text encoders, in order
     * @param given    a vocabulary file or folder ({@link ClipTokenizer#load}) for every encoder, or null to look for one
     */
    public TokenizerLookup(List<TextTower> encoders, Path given) {
        this.encoders = List.copyOf(encoders);
        this.given = given;
        this.byEncoder = new ClipTokenizer[encoders.size()];
    }

    /**
     * An encoder's tokenizer, loaded on the first call.
     *
     * @param encoder the encoder's index, from 0
     * @return the tokenizer
     * @throws IOException when no vocabulary is found or it cannot be loaded
     */
    public synchronized ClipTokenizer forEncoder(int encoder) throws IOException {
        if (byEncoder[encoder] == null) {
            Path own = encoders.get(encoder).tokenizerFolder();
            if (given == null && own != null) {
                byEncoder[encoder] = ClipTokenizer.load(own);
            } else {
                if (located == null) located = ClipTokenizer.locate(given, null);
                byEncoder[encoder] = located;
            }
        }
        return byEncoder[encoder];
    }
}
