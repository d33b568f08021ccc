/**
 * The sdclip tensor engine: the {@link sdclip.engine.Backend} operations of a CLIP transformer,
 * weight views over mapped files, and backend selection ({@link sdclip.engine.Backends}). The
 * backends themselves (Vector API CPU, OpenCL, scalar reference) are internal packages.
 */
module sdclip.engine {
    // Optional: without it (a JVM started with no --add-modules) the Vector API backend is not used.
    requires static jdk.incubator.vector;
    requires jocl;

    exports sdclip.engine;
}
