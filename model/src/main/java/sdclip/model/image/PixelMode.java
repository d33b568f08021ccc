package sdclip.model.image;

/** Pillow's image modes that {@link ImageDecoder} produces. */
public enum PixelMode {
    /** Pillow's "1": one byte per pixel, 0 or 255. */
    BILEVEL("1", 1),
    /** 8-bit gray. */
    L("L", 1),
    /** 8-bit gray and alpha. */
    LA("LA", 2),
    /** 8-bit red, green and blue. */
    RGB("RGB", 3),
    /** 8-bit red, green, blue and alpha (not premultiplied). */
    RGBA("RGBA", 4),
    /** 8-bit palette indices with a 256-entry RGB palette. */
    P("P", 1),
    /** Pillow's "I": 32-bit integer gray (16-bit grayscale PNGs open in this mode). */
    I("I", 1),
    /** 8-bit cyan, magenta, yellow and black, as Pillow opens CMYK and YCCK JPEGs. */
    CMYK("CMYK", 4);

    private final String pillowName;
    private final int channels;

    PixelMode(String pillowName, int channels) {
        this.pillowName = pillowName;
        this.channels = channels;
    }

    /** {@return the name Pillow gives this mode ("1", "L", "RGBA", ...)} */
    public String pillowName() {
        return pillowName;
    }

    /** {@return samples per pixel: 1 to 4} */
    public int channels() {
        return channels;
    }
}
