/**
 * Finding a model on this machine, offline, as the command line's {@code --model} does:
 * {@link sdclip.model.hub.ModelLocator} turns a path, a Hugging Face id ({@code org/name}, found
 * in the local hub cache, {@link sdclip.model.hub.HubCache}) or a bare name (in ComfyUI and A1111
 * models folders) into a path. Nothing here downloads.
 */
package sdclip.model.hub;
