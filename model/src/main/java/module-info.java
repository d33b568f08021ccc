/**
 * sdclip's model layer: checkpoints of every supported family and layout, the exact CLIP
 * tokenizer, prompt syntaxes, image preprocessing, and the encoders built on the engine
 * ({@link sdclip.model.TextEncoder}, {@link sdclip.model.ImageEncoder}).
 *
 * <p>The API packages are exported to everyone (safetensors among them: callers read back the
 * files sdclip writes, and checkpoints expose their tensor stores; hub among them: finding a
 * model by Hugging Face id or by name, offline, as the command line does, which the Spark
 * module's executors do too); what only the command line needs (JSON, GGUF details, the synthetic
 * formula model) is exported to {@code sdclip.cli} alone, so it is free to change.
 */
module sdclip.model {
    requires transitive sdclip.engine;
    requires org.jsoup;
    requires java.desktop; // javax.imageio decodes PNG, JPEG, BMP and GIF

    exports sdclip.model;
    exports sdclip.model.checkpoint;
    exports sdclip.model.hub;
    exports sdclip.model.image;
    exports sdclip.model.prompt;
    exports sdclip.model.safetensors;
    exports sdclip.model.tokenizer;
    exports sdclip.model.gguf to
            sdclip.cli;
    exports sdclip.model.json to
            sdclip.cli;
    exports sdclip.model.synth to
            sdclip.cli;
}
