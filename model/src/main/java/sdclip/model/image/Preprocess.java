package sdclip.model.image;

/** Which reference pipeline {@link ClipImageProcessor} reproduces. */
public enum Preprocess {
    /**
     * OpenAI's {@code _transform(n_px)} (clip/clip.py): Pillow BICUBIC resize in the image's own
     * mode, torchvision CenterCrop (offsets rounded half to even, padding split floor/ceil),
     * {@code convert("RGB")}, {@code ToTensor} ({@code v / 255f}), Normalize.
     */
    OPENAI,
    /**
     * Hugging Face's {@code CLIPImageProcessor} on a PIL image (what torchmetrics' CLIPScore uses):
     * {@code convert("RGB")} first, then Pillow BICUBIC resize of the RGB image (short side to
     * n_px, long side {@code int(n_px * long / short)}), center crop with offsets
     * {@code floor((H - c) / 2)} (padding, when smaller, puts {@code ceil} of the excess before),
     * rescale {@code float32(v * (1.0 / 255))} computed in double, Normalize in float32. This is the
     * slow (PIL and numpy) processor, not {@code CLIPImageProcessorFast}.
     */
    HF
}
