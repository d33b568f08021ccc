/**
 * Image decoding and CLIP image preprocessing, exact to OpenAI's {@code _transform(n_px)}
 * (Pillow + torchvision) or to Hugging Face's {@code CLIPImageProcessor}.
 *
 * <p>The pipeline: {@link sdclip.model.image.ImageDecoder} reads a file into a
 * {@link sdclip.model.image.DecodedImage} in the pixel mode Pillow would open it in;
 * {@link sdclip.model.image.ImageResizer} resizes like Pillow's {@code Image.resize};
 * {@link sdclip.model.image.CenterCrop} crops (and pads) like torchvision or Hugging Face;
 * {@link sdclip.model.image.RgbConverter} converts like {@code convert("RGB")};
 * {@link sdclip.model.image.PixelNormalizer} scales and normalises.
 * {@link sdclip.model.image.ClipImageProcessor} runs the whole pipeline.
 */
package sdclip.model.image;
