package sdclip.engine;

/** Activations in a Java array, used by the reference and CPU backends. */
final class HeapActivation extends Activation {
    final float[] data;

    HeapActivation(int size) {
        super(size);
        this.data = new float[size];
    }

    static float[] of(Activation a) {
        if (a instanceof HeapActivation h) return h.data;
        throw new IllegalArgumentException("activation belongs to another backend: " + a.getClass().getSimpleName());
    }
}
