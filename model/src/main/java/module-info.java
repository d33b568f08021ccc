/**
 * sdclip's model layer: checkpoints of every supported family and layout, the exact CLIP
 * tokenizer, safetensors reading and writing, and the encoders built on the engine
 * ({@link sdclip.model.TextEncoder}, {@link sdclip.model.ImageEncoder}).
 */
module sdclip.model {
    requires transitive sdclip.engine;
    requires org.jsoup;
    requires java.desktop; // javax.imageio decodes PNG, JPEG, BMP and GIF

    exports sdclip.model;
    exports sdclip.model.checkpoint;
    exports sdclip.model.hub;
    exports sdclip.model.image;
    exports sdclip.model.json;
    exports sdclip.model.prompt;
    exports sdclip.model.safetensors;
    exports sdclip.model.tokenizer;
}
