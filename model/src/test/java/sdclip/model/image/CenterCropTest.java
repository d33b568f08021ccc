package sdclip.model.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Crop offsets and zero padding, torchvision (OPENAI) and transformers (HF). */
class CenterCropTest {

    @Test
    void openAiRoundsHalfToEven() {
        assertEquals(74, CenterCrop.offset(373, 224, Preprocess.OPENAI));
        assertEquals(206, CenterCrop.offset(635, 224, Preprocess.OPENAI));
        assertEquals(56, CenterCrop.offset(336, 224, Preprocess.OPENAI));
        assertEquals(0, CenterCrop.offset(225, 224, Preprocess.OPENAI)); // 0.5 -> 0
        assertEquals(2, CenterCrop.offset(227, 224, Preprocess.OPENAI)); // 1.5 -> 2
        assertEquals(2, CenterCrop.offset(229, 224, Preprocess.OPENAI)); // 2.5 -> 2
        assertEquals(0, CenterCrop.offset(224, 224, Preprocess.OPENAI));
    }

    @Test
    void hfFloors() {
        assertEquals(74, CenterCrop.offset(373, 224, Preprocess.HF));
        assertEquals(205, CenterCrop.offset(635, 224, Preprocess.HF));
        assertEquals(0, CenterCrop.offset(225, 224, Preprocess.HF));
        assertEquals(1, CenterCrop.offset(227, 224, Preprocess.HF));
    }

    @Test
    void smallerSidesArePaddedFloorFirstByTorchvisionAndCeilFirstByHf() {
        assertEquals(-1, CenterCrop.offset(3, 6, Preprocess.OPENAI)); // pad 1 before, 2 after
        assertEquals(-2, CenterCrop.offset(3, 6, Preprocess.HF)); // pad 2 before, 1 after
        assertEquals(-2, CenterCrop.offset(2, 6, Preprocess.OPENAI));
        assertEquals(-2, CenterCrop.offset(2, 6, Preprocess.HF));
    }

    @Test
    void paddingPlacesTheImageAndFillsWithZero() {
        // 3 x 1 gray image, crop 4: torchvision pads 1 row before, 2 after; columns 0 before, 1 after.
        DecodedImage img = DecodedImage.of(3, 1, PixelMode.L, new byte[] {1, 2, 3});
        byte[] openai = CenterCrop.apply(img, 4, Preprocess.OPENAI).samples();
        assertArrayEquals(new byte[] {0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}, openai);
        byte[] hf = CenterCrop.apply(img, 4, Preprocess.HF).samples();
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0}, hf);
    }

    @Test
    void oneSideCroppedWhileTheOtherIsPadded() {
        // 6 x 2, crop 4: columns cropped at round(2 / 2) = 1, rows padded 1 before and 1 after.
        byte[] px = new byte[12];
        for (int i = 0; i < 12; i++) px[i] = (byte) (i + 1);
        byte[] out = CenterCrop.apply(DecodedImage.of(6, 2, PixelMode.L, px), 4, Preprocess.OPENAI)
                .samples();
        assertArrayEquals(new byte[] {0, 0, 0, 0, 2, 3, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0}, out);
    }

    @Test
    void paletteImagesPadWithIndexZeroAndRgbaWithTransparentBlack() {
        int[] palette = new int[256];
        palette[0] = 0x123456;
        palette[7] = 0xffffff;
        DecodedImage p = CenterCrop.apply(DecodedImage.ofPalette(1, 1, new byte[] {7}, palette), 2, Preprocess.OPENAI);
        DecodedImage rgb = RgbConverter.toRgb(p);
        assertArrayEquals(
                new int[] {0x12, 0x34, 0x56},
                new int[] {rgb.sample(1, 1, 0), rgb.sample(1, 1, 1), rgb.sample(1, 1, 2)});
        assertEquals(0xff, rgb.sample(0, 0, 0));
        DecodedImage rgba =
                CenterCrop.apply(DecodedImage.of(1, 1, PixelMode.RGBA, new byte[] {9, 9, 9, 9}), 2, Preprocess.HF);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9}, rgba.samples());
    }

    @Test
    void wideImagesCropInModeI() {
        DecodedImage img = DecodedImage.ofWide(3, 1, new int[] {1000, 2000, 3000});
        assertArrayEquals(
                new int[] {2000}, CenterCrop.apply(img, 1, Preprocess.OPENAI).wideSamples());
    }
}
