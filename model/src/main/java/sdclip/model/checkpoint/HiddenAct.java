package sdclip.model.checkpoint;

/** The MLP activation of a CLIP text tower. */
public enum HiddenAct {
    /** {@code x * sigmoid(1.702 x)}: OpenAI CLIP (SD 1.x, SDXL's first encoder). */
    QUICK_GELU("quick_gelu"),
    /** {@code 0.5 x (1 + erf(x / sqrt 2))}: OpenCLIP (SD 2.x, SDXL's bigG). */
    GELU("gelu");

    private final String id;

    HiddenAct(String id) { this.id = id; }

    /** The name config.json uses. */
    public String id() { return id; }

    public static HiddenAct parse(String s) {
        for (HiddenAct a : values()) if (a.id.equals(s)) return a;
        throw new IllegalArgumentException("unknown hidden_act \"" + s + "\" (quick_gelu or gelu)");
    }
}
