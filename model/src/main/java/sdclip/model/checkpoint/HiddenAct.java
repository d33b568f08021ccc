package sdclip.model.checkpoint;

/** The MLP activation of a CLIP text tower. */
public enum HiddenAct {
    /** {@code x * sigmoid(1.702 x)}: OpenAI CLIP (SD 1.x, SDXL's first encoder). */
    QUICK_GELU("quick_gelu"),
    /** {@code 0.5 x (1 + erf(x / sqrt 2))}: OpenCLIP (SD 2.x, SDXL's bigG). */
    GELU("gelu");

    private final String id;

    HiddenAct(String id) {
        this.id = id;
    }

    /** {@return the name config.json's {@code hidden_act} uses: {@code quick_gelu} or {@code gelu}} */
    public String id() {
        return id;
    }

    /**
     * The activation config.json names.
     *
     * @param s the {@code hidden_act} value, {@code quick_gelu} or {@code gelu}
     * @return the activation with that {@link #id()}
     * @throws IllegalArgumentException for any other name
     */
    public static HiddenAct parse(String s) {
        for (HiddenAct a : values()) if (a.id.equals(s)) return a;
        throw new IllegalArgumentException("unknown hidden_act \"" + s + "\" (quick_gelu or gelu)");
    }
}
