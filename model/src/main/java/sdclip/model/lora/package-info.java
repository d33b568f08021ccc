/**
 * LoRA and LyCORIS networks on the text encoders: reading a network file's text-encoder part
 * ({@link sdclip.model.lora.LoraFile}: kohya/A1111, diffusers/PEFT, LoHa, LoKr keys), mapping
 * it onto a checkpoint's canonical tower tensors, and merging the deltas of a stack of networks
 * into private F32 copies of only the matrices they touch ({@link sdclip.model.lora.LoraMerge}).
 * Internal: the API is {@link sdclip.model.Lora} and
 * {@link sdclip.model.PromptOptions#withLoras}.
 */
package sdclip.model.lora;
