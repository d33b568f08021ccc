/**
 * The prompt syntax of Stable Diffusion UIs, as pure data and algorithms: AUTOMATIC1111's and
 * ComfyUI's weight parsers ({@link sdclip.model.prompt.A1111Parser},
 * {@link sdclip.model.prompt.ComfyParser}), their chunkers into 75-token chunks wrapped to 77
 * ({@link sdclip.model.prompt.A1111Chunker}, {@link sdclip.model.prompt.ComfyChunker}), textual
 * inversion slots, and the weighting each applies to encoded chunks
 * ({@link sdclip.model.prompt.Emphasis}, {@link sdclip.model.prompt.ComfyWeighting}).
 *
 * <p>Nothing here runs the encoder: a caller encodes each {@link sdclip.model.prompt.Chunk}
 * (substituting embedding vectors at its slots) and then applies the weighting.
 */
package sdclip.model.prompt;
