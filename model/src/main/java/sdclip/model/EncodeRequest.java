package sdclip.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What {@link TextEncoder#encode} computes: a set of {@link TextOutput}s, which encoder, and
 * the clip skip. Immutable; every {@code with}-style method returns a new request.
 *
 * <pre>{@code
 * EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2)           // "clip skip 2" conditioning
 * EncodeRequest.pooledOnly().encoder(2)                           // SDXL encoder 2's text_embeds, fast
 * }</pre>
 */
public final class EncodeRequest {
    private final Set<TextOutput> outputs;
    private final int encoder, clipSkip;

    private EncodeRequest(Set<TextOutput> outputs, int encoder, int clipSkip) {
        this.outputs = Collections.unmodifiableSet(outputs);
        this.encoder = encoder;
        this.clipSkip = clipSkip;
    }

    /** These outputs (none: only {@code input_ids} and {@code pooled_index}), every encoder, the family's clip skip. */
    public static EncodeRequest of(TextOutput... outputs) {
        EnumSet<TextOutput> set = EnumSet.noneOf(TextOutput.class);
        for (TextOutput o : outputs) set.add(o);
        return new EncodeRequest(set, 0, 0);
    }

    /** Conditioning, last hidden state, pooled output and text embeddings. */
    public static EncodeRequest standard() {
        return of(TextOutput.CONDITIONING, TextOutput.LAST_HIDDEN_STATE, TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
    }

    /**
     * Only {@code pooled_output} and {@code text_embeds}: the fast path, which stops each row at
     * its end token (later positions cannot reach it through the causal mask).
     */
    public static EncodeRequest pooledOnly() { return of(TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS); }

    /** This request plus {@code more} outputs. */
    public EncodeRequest with(TextOutput... more) {
        EnumSet<TextOutput> set = outputs.isEmpty() ? EnumSet.noneOf(TextOutput.class) : EnumSet.copyOf(outputs);
        for (TextOutput o : more) set.add(o);
        return new EncodeRequest(set, encoder, clipSkip);
    }

    /**
     * Only text encoder {@code n}, counted from 1 (SDXL: 1 is CLIP-L, 2 is OpenCLIP bigG); 0 for
     * every encoder of the checkpoint (SDXL's merged conditioning).
     */
    public EncodeRequest encoder(int n) {
        if (n < 0) throw new IllegalArgumentException("encoder numbers start at 1, got " + n);
        return new EncodeRequest(outputs, n, clipSkip);
    }

    /**
     * Conditioning from hidden state {@code k} counted from the end, as A1111 and ComfyUI count
     * it: 1 is the last block, 2 the one before; 0 for the family's default (SD 1.x and CLIP 1,
     * SD 2.x and SDXL 2). Whether the final layer norm applies stays the family's choice.
     */
    public EncodeRequest clipSkip(int k) {
        if (k < 0) throw new IllegalArgumentException("clip skip counts layers from the end, from 1; got " + k);
        return new EncodeRequest(outputs, encoder, k);
    }

    /** The outputs asked for, in {@link TextOutput} order. */
    public Set<TextOutput> outputs() { return outputs; }

    /** Whether {@code o} is asked for. */
    public boolean wants(TextOutput o) { return outputs.contains(o); }

    /** The encoder asked for, from 1, or 0 for all. */
    public int encoder() { return encoder; }

    /** The clip skip asked for, from 1, or 0 for the family's default. */
    public int clipSkip() { return clipSkip; }

    /** True when nothing needs the full sequence, so the pooled-only fast path applies. */
    public boolean isPooledOnly() { return outputs.stream().noneMatch(TextOutput::needsFullSequence); }

    @Override public String toString() { return "EncodeRequest" + outputs + (encoder > 0 ? " encoder " + encoder : "") + (clipSkip > 0 ? " clip skip " + clipSkip : ""); }
}
