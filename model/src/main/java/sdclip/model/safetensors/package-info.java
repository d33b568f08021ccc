/**
 * Safetensors files, read and written strictly: {@link sdclip.model.safetensors.SafetensorsFile}
 * memory-maps a file with the FFM API and checks its header (bounds, offsets, dtypes) before any
 * tensor is touched; {@link sdclip.model.safetensors.TensorStore} is what every checkpoint format
 * offers the towers; {@link sdclip.model.safetensors.SafetensorsWriter} writes one atomically.
 * Exported so callers can read back the files sdclip writes; a malformed file is a
 * {@link sdclip.model.safetensors.SafetensorsException}, a {@link sdclip.model.ModelFormatException}.
 */
package sdclip.model.safetensors;
