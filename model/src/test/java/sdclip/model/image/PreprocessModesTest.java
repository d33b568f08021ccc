package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import sdclip.testdata.ReferenceData;

/** HF against OPENAI where they must agree and where they must differ; the normalisation arithmetic. */
class PreprocessModesTest {
    static final int S = 224, PLANE = S * S;

    private static PreprocessedImage run(String image, Preprocess mode) {
        Path file = ReferenceData.require("images/" + image);
        return ClipImageProcessor.of(S, mode).process(file);
    }

    @Test
    void rgbAndGrayImagesWithEqualOffsetsAgree() {
        // chelsea (RGB, offset 56 both ways) and gray_100x60 (L, 74.5 -> 74 and floor 74): resizing
        // RGB per channel equals resizing L, so the crops are identical.
        for (String image : new String[] {"chelsea.png", "gray_100x60.png"}) {
            PreprocessedImage openai = run(image, Preprocess.OPENAI), hf = run(image, Preprocess.HF);
            assertArrayEquals(openai.pixelU8(), hf.pixelU8(), image);
            for (int i = 0; i < openai.pixelValues().length; i++)
                assertEquals(openai.pixelValues()[i], hf.pixelValues()[i], 1e-6, image);
        }
    }

    @Test
    void hfDropsAlphaBeforeResizingSoHiddenColoursShow() {
        // rgba_300x500's transparent block stores magenta: OPENAI (premultiplied) shows black, HF magenta.
        PreprocessedImage openai = run("rgba_300x500.png", Preprocess.OPENAI),
                hf = run("rgba_300x500.png", Preprocess.HF);
        int magentaHf = 0, magentaOpenai = 0;
        for (int p = 0; p < PLANE; p++) {
            if (isMagenta(hf.pixelU8(), p)) magentaHf++;
            if (isMagenta(openai.pixelU8(), p)) magentaOpenai++;
        }
        assertEquals(0, magentaOpenai);
        assertTrue(magentaHf > 100, "HF shows the hidden magenta: " + magentaHf);
    }

    @Test
    void hfCropsAtTheFloorOffset() {
        // A 635 x 224 RGB image (after resize): OPENAI starts at 206, HF at 205, so HF is OPENAI shifted by one column.
        byte[] rgb = new byte[635 * 224 * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (i / 3 % 635);
        DecodedImage wide = DecodedImage.of(635, 224, PixelMode.RGB, rgb);
        byte[] openai =
                ClipImageProcessor.of(S, Preprocess.OPENAI).process(wide).pixelU8();
        byte[] hf = ClipImageProcessor.of(S, Preprocess.HF).process(wide).pixelU8();
        assertEquals((byte) 206, openai[0]);
        assertEquals((byte) 205, hf[0]);
    }

    @Test
    void normalisationIsFloat32AsTorchAndNumpyDoIt() {
        byte[] u8 = new byte[3 * 256];
        for (int c = 0; c < 3; c++) for (int v = 0; v < 256; v++) u8[c * 256 + v] = (byte) v;
        float[] openai = PixelNormalizer.normalize(u8, Preprocess.OPENAI),
                hf = PixelNormalizer.normalize(u8, Preprocess.HF);
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = v / 255f;
                assertEquals((x - (float) mean(c)) / (float) std(c), openai[c * 256 + v]);
                assertEquals(((float) (v * (1.0 / 255)) - (float) mean(c)) / (float) std(c), hf[c * 256 + v]);
                assertEquals((v / 255.0 - mean(c)) / std(c), openai[c * 256 + v], 1e-6);
            }
        }
    }

    private static double mean(int c) {
        return new double[] {0.48145466, 0.4578275, 0.40821073}[c];
    }

    private static double std(int c) {
        return new double[] {0.26862954, 0.26130258, 0.27577711}[c];
    }

    private static boolean isMagenta(byte[] chw, int p) {
        return (chw[p] & 0xff) > 200 && (chw[PLANE + p] & 0xff) < 50 && (chw[2 * PLANE + p] & 0xff) > 200;
    }
}
