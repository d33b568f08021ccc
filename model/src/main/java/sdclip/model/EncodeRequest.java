package sdclip.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

import sdclip.model.prompt.PromptSyntax;

/**
 * What {@link TextEncoder#encode} computes: a set of {@link TextOutput}s, which encoder, the
 * clip skip, how prompts are read ({@link PromptOptions}: plain CLIP, or a front-end's syntax),
 * and who hears of progress. Immutable; every {@code with}-style method returns a new request.
 *
 * <pre>{@code
 * EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2)           // "clip skip 2" conditioning
 * EncodeRequest.pooledOnly().encoder(2)                           // SDXL encoder 2's text_embeds, fast
 * EncodeRequest.of(TextOutput.CONDITIONING, TextOutput.POOLED_OUTPUT)        // A1111 prompts: no hidden states there
 *         .prompts(PromptOptions.plain().withSyntax(PromptSyntax.A1111))
 * }</pre>
 */
public final class EncodeRequest {
    private final Set<TextOutput> outputs;
    private final int encoder, clipSkip;
    private final PromptOptions prompts;
    private final ProgressListener progress;

    private EncodeRequest(
            Set<TextOutput> outputs, int encoder, int clipSkip, PromptOptions prompts, ProgressListener progress) {
        this.outputs = Collections.unmodifiableSet(outputs);
        this.encoder = encoder;
        this.clipSkip = clipSkip;
        this.prompts = Objects.requireNonNull(prompts, "prompts");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * A request for these outputs from every encoder, at the family's clip skip.
     *
     * @param outputs the outputs; none computes only {@code input_ids} and {@code pooled_index}
     * @return the request
     */
    public static EncodeRequest of(TextOutput... outputs) {
        EnumSet<TextOutput> set = EnumSet.noneOf(TextOutput.class);
        for (TextOutput o : outputs) set.add(o);
        return new EncodeRequest(set, 0, 0, PromptOptions.plain(), ProgressListener.NONE);
    }

    /** {@return a request for conditioning, last hidden state, pooled output and text embeddings} */
    public static EncodeRequest standard() {
        return of(
                TextOutput.CONDITIONING,
                TextOutput.LAST_HIDDEN_STATE,
                TextOutput.POOLED_OUTPUT,
                TextOutput.TEXT_EMBEDS);
    }

    /**
     * Only {@code pooled_output} and {@code text_embeds}: the fast path, which stops each row at
     * its end token (later positions cannot reach it through the causal mask).
     *
     * @return the request, every encoder, the family's clip skip
     */
    public static EncodeRequest pooledOnly() {
        return of(TextOutput.POOLED_OUTPUT, TextOutput.TEXT_EMBEDS);
    }

    /**
     * This request plus {@code more} outputs.
     *
     * @param more outputs to add; ones already asked for are ignored
     * @return the new request
     */
    public EncodeRequest with(TextOutput... more) {
        EnumSet<TextOutput> set = outputs.isEmpty() ? EnumSet.noneOf(TextOutput.class) : EnumSet.copyOf(outputs);
        for (TextOutput o : more) set.add(o);
        return new EncodeRequest(set, encoder, clipSkip, prompts, progress);
    }

    /**
     * Only text encoder {@code n}, counted from 1 (SDXL: 1 is CLIP-L, 2 is OpenCLIP bigG); 0 for
     * every encoder of the checkpoint (SDXL's merged conditioning).
     *
     * @param n the encoder number, from 1, or 0 for all; checked against the model when encoding
     * @return the new request
     * @throws IllegalArgumentException when {@code n} is negative
     */
    public EncodeRequest encoder(int n) {
        if (n < 0) throw new IllegalArgumentException("encoder numbers start at 1, got " + n);
        return new EncodeRequest(outputs, n, clipSkip, prompts, progress);
    }

    /**
     * Conditioning from hidden state {@code k} counted from the end, as A1111 and ComfyUI count
     * it: 1 is the last block, 2 the one before; 0 for the family's default (SD 1.x and CLIP 1,
     * SD 2.x and SDXL 2). Whether the final layer norm applies stays the family's choice.
     *
     * @param k the clip skip, from 1, or 0 for the default; checked against the model when encoding
     * @return the new request
     * @throws IllegalArgumentException when {@code k} is negative
     */
    public EncodeRequest clipSkip(int k) {
        if (k < 0) throw new IllegalArgumentException("clip skip counts layers from the end, from 1; got " + k);
        return new EncodeRequest(outputs, encoder, k, prompts, progress);
    }

    /**
     * How to read the prompts: plain CLIP (the default), or A1111's or ComfyUI's syntax with
     * emphasis and textual inversion embeddings.
     *
     * @param options the prompt syntax, emphasis and embeddings
     * @return the new request
     */
    public EncodeRequest prompts(PromptOptions options) {
        return new EncodeRequest(outputs, encoder, clipSkip, options, progress);
    }

    /**
     * Who hears of progress: told after each batch, on the encoding thread.
     *
     * @param listener the listener; {@link ProgressListener#NONE} (the default) for silence
     * @return the new request
     */
    public EncodeRequest progress(ProgressListener listener) {
        return new EncodeRequest(outputs, encoder, clipSkip, prompts, listener);
    }

    /** {@return how prompts are read} */
    public PromptOptions prompts() {
        return prompts;
    }

    /** {@return who hears of progress} */
    public ProgressListener progress() {
        return progress;
    }

    /** {@return the outputs asked for, in {@link TextOutput} order; unmodifiable, may be empty} */
    public Set<TextOutput> outputs() {
        return outputs;
    }

    /**
     * Whether {@code o} is asked for.
     *
     * @param o an output
     * @return true when the request includes it
     */
    public boolean wants(TextOutput o) {
        return outputs.contains(o);
    }

    /** {@return the encoder asked for, from 1, or 0 for all} */
    public int encoder() {
        return encoder;
    }

    /** {@return the clip skip asked for, from 1, or 0 for the family's default} */
    public int clipSkip() {
        return clipSkip;
    }

    /** {@return true when nothing needs the full sequence, so the pooled-only fast path applies} */
    public boolean isPooledOnly() {
        return outputs.stream().noneMatch(TextOutput::needsFullSequence);
    }

    @Override
    public String toString() {
        return "EncodeRequest" + outputs + (encoder > 0 ? " encoder " + encoder : "")
                + (clipSkip > 0 ? " clip skip " + clipSkip : "")
                + (prompts.syntax() != PromptSyntax.PLAIN
                        ? " syntax " + prompts.syntax().name()
                        : "");
    }
}
