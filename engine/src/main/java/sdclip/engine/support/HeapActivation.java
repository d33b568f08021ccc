package sdclip.engine.support;

import sdclip.engine.Activation;

/** Activations in a Java array, used by the reference and CPU backends. */
public final class HeapActivation extends Activation {
    public final float[] data;

    public HeapActivation(int size) {
        super(size);
        this.data = new float[size];
    }

    public static float[] of(Activation a) {
        if (a instanceof HeapActivation h) return h.data;
        throw new IllegalArgumentException(
                "activation belongs to another backend: " + a.getClass().getSimpleName());
    }
}
