/**
 * The CLIP tokenizer, id-exact to OpenAI's {@code SimpleTokenizer} (ftfy and HTML unescaping
 * included): {@link sdclip.model.tokenizer.ClipTokenizer} loads OpenAI's
 * {@code bpe_simple_vocab_16e6.txt.gz} or Hugging Face's {@code vocab.json} and
 * {@code merges.txt}, and turns prompts into 77-id rows.
 */
package sdclip.model.tokenizer;
