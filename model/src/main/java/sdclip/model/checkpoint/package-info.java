/**
 * What a checkpoint is: {@link sdclip.model.checkpoint.Checkpoint} opens a file or folder and
 * recognises its family and layout from its keys (a table of rules, one per layout), and
 * describes its towers ({@link sdclip.model.checkpoint.TextTower},
 * {@link sdclip.model.checkpoint.VisionTower}) and their shapes
 * ({@link sdclip.model.checkpoint.ClipTextConfig}, {@link sdclip.model.checkpoint.ClipVisionConfig}).
 * An open encoder's {@code checkpoint()} is one of these.
 */
package sdclip.model.checkpoint;
