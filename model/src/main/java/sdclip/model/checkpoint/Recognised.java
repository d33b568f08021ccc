package sdclip.model.checkpoint;

import java.util.List;

/**
 * What a checkpoint's files were recognised as.
 *
 * @param family   the family
 * @param layout   how it is stored, the phrase {@link Checkpoint#layout()} shows
 * @param encoders the text towers, in encoder order
 * @param vision   how to build the vision tower, or null when there is none
 */
record Recognised(Checkpoint.Family family, String layout, List<TextTower> encoders, VisionTower.Builder vision) {}
