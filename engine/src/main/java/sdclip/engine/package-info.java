/**
 * The tensor engine's API: the {@link sdclip.engine.Backend} operations of a CLIP transformer
 * (linear layers, layer norm, activations, causal and full attention), weight views over
 * mapped files in their stored dtype ({@link sdclip.engine.Weights}), the choice of backend as a
 * value ({@link sdclip.engine.Device}) and its creation ({@link sdclip.engine.Backends}), and the
 * root of every sdclip error ({@link sdclip.engine.SdclipException}). The backends themselves
 * (Vector API CPU, portable CPU, scalar reference, OpenCL) are internal packages, each tested
 * against the reference.
 */
package sdclip.engine;
