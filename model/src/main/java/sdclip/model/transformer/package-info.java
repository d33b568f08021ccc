/**
 * Internal: the parts of a CLIP transformer the text and vision towers share (the pre-LN
 * encoder blocks and the projection), prepared on an engine backend. Not exported.
 */
package sdclip.model.transformer;
