package sdclip.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * exp(x) built from FMA, multiply and bit operations only, in a vector and a scalar form that
 * round identically. The Vector API's own EXP gives different last bits depending on whether
 * C2 has intrinsified it yet, which made results depend on JIT warm-up; this one does not.
 * Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7 Taylor polynomial
 * (truncation below 5e-9) and 2^n placed straight into the exponent bits. Below -87.3 the
 * result is 0 (the float range ends there), so exp(-inf) is exactly 0.
 */
final class VectorMath {
    private VectorMath() {}

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145751953125f, LN2_LO = 1.42860677e-6f;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low bits
    private static final float MIN = -87.3f, MAX = 88.3f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    static FloatVector exp(FloatVector x) {
        var tooSmall = x.compare(VectorOperators.LT, MIN);
        FloatVector xc = x.max(MIN).min(MAX);
        FloatVector t = xc.fma(FloatVector.broadcast(x.species(), LOG2E), FloatVector.broadcast(x.species(), MAGIC));
        FloatVector n = t.sub(MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(x.species(), -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(x.species(), -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(x.species(), C7), FloatVector.broadcast(x.species(), C6));
        p = p.fma(r, FloatVector.broadcast(x.species(), C5));
        p = p.fma(r, FloatVector.broadcast(x.species(), C4));
        p = p.fma(r, FloatVector.broadcast(x.species(), C3));
        p = p.fma(r, FloatVector.broadcast(x.species(), C2));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(x.species(), 1f));
        IntVector bits = (IntVector) t.reinterpretAsInts();
        IntVector scale = bits.sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul((FloatVector) scale.reinterpretAsFloats()).blend(0f, tooSmall);
    }

    static float exp(float x) {
        if (x < MIN || Float.isNaN(x)) return Float.isNaN(x) ? x : 0f;
        float xc = Math.min(x, MAX);
        float t = Math.fma(xc, LOG2E, MAGIC);
        float n = t - MAGIC;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        int scale = (Float.floatToRawIntBits(t) - (0x4B400000 - 127)) << 23;
        return p * Float.intBitsToFloat(scale);
    }
}
