/**
 * sdclip's library: a Stable Diffusion checkpoint's CLIP text encoder(s), and a CLIP model's
 * vision tower, in plain Java. Start here.
 *
 * <p><b>Text.</b> {@link sdclip.model.TextEncoder#open} a checkpoint (SD 1.x, 2.x, SDXL, SD3,
 * Flux, a CLIP model; file or folder), then {@link sdclip.model.TextEncoder#encode} prompts:
 *
 * <pre>{@code
 * try (TextEncoder encoder = TextEncoder.open(Path.of("v1-5-pruned-emaonly.safetensors"),
 *         TextEncoder.Options.defaults().withTokenizer(Path.of("bpe_simple_vocab_16e6.txt.gz")))) {
 *     Encoding e = encoder.encode(List.of("a photo of a cat"),
 *             EncodeRequest.of(TextOutput.CONDITIONING).clipSkip(2)
 *                     .prompts(PromptOptions.plain().withSyntax(PromptSyntax.A1111)));
 *     float[] conditioning = e.conditioning().floats(); // [1, 77, 768]
 * }
 * }</pre>
 *
 * An {@link sdclip.model.EncodeRequest} says what to compute (the {@link sdclip.model.TextOutput}s,
 * encoder, clip skip), how prompts are read ({@link sdclip.model.PromptOptions}) and who hears of
 * progress; {@link sdclip.model.TextEncoder#stream} hands batches to a sink so memory stays
 * bounded whatever the prompt count. Results are {@link sdclip.model.HostTensor}s by name in an
 * {@link sdclip.model.Encoding}.
 *
 * <p><b>Images.</b> {@link sdclip.model.ImageEncoder#open} a CLIP model and
 * {@link sdclip.model.ImageEncoder#encode} image files with an {@link sdclip.model.ImageRequest};
 * {@link sdclip.model.ClipScore} turns text and image embeddings into CLIPScore or CLIP-S.
 *
 * <p><b>Errors.</b> Every error about an input is an {@link sdclip.engine.SdclipException}:
 * {@link sdclip.model.ModelFormatException} for a model file, {@link sdclip.model.PromptException}
 * for a prompt or an embedding, {@link sdclip.model.image.ImageException} for an image,
 * {@link sdclip.engine.DeviceException} for a backend; {@link java.io.IOException} is for
 * input and output alone. Messages are one line naming the input.
 *
 * <p><b>Threads and memory.</b> Encoders are thread-safe and {@link java.lang.AutoCloseable};
 * weights stay memory-mapped in their stored dtype, so the Java heap holds only activations
 * and results.
 */
package sdclip.model;
