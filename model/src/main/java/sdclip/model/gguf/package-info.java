/**
 * GGUF files (llama.cpp's and stable-diffusion.cpp's format), read strictly:
 * {@link sdclip.model.gguf.GgufFile} memory-maps a file and checks its header before any tensor
 * is touched, and offers its tensors as a {@link sdclip.model.safetensors.TensorStore};
 * {@link sdclip.model.gguf.GgmlType} names ggml's tensor types and maps the quantized ones sdclip
 * reads to the engine's formats ({@link sdclip.engine.QuantizedWeights}, dequantized exactly as
 * ggml's reference code does). Exported to the command line only.
 */
package sdclip.model.gguf;
