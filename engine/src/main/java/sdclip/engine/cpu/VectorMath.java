package sdclip.engine.cpu;

import static sdclip.engine.support.ScalarMath.C2;
import static sdclip.engine.support.ScalarMath.C3;
import static sdclip.engine.support.ScalarMath.C4;
import static sdclip.engine.support.ScalarMath.C5;
import static sdclip.engine.support.ScalarMath.C6;
import static sdclip.engine.support.ScalarMath.C7;
import static sdclip.engine.support.ScalarMath.LN2_HI;
import static sdclip.engine.support.ScalarMath.LN2_LO;
import static sdclip.engine.support.ScalarMath.LOG2E;
import static sdclip.engine.support.ScalarMath.MAGIC;
import static sdclip.engine.support.ScalarMath.MAX;
import static sdclip.engine.support.ScalarMath.MIN;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import sdclip.engine.support.ScalarMath;

/**
 * exp(x) built from FMA, multiply and bit operations only, in a vector form that rounds as the
 * scalar one in {@link ScalarMath}, whose constants it uses. The Vector API's own EXP gives
 * different last bits depending on whether C2 has intrinsified it yet, which made results
 * depend on JIT warm-up; this one does not.
 * Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, then a degree-7 Taylor polynomial
 * (truncation below 5e-9) and 2^n placed straight into the exponent bits. Below -87.3 the
 * result is 0 (the float range ends there), so exp(-inf) is exactly 0.
 */
final class VectorMath {
    private VectorMath() {}

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
        IntVector bits = t.reinterpretAsInts();
        IntVector scale = bits.sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(scale.reinterpretAsFloats()).blend(0f, tooSmall);
    }

    /** The scalar form, rounding as the vector one: {@link ScalarMath#exp(float)}. */
    static float exp(float x) {
        return ScalarMath.exp(x);
    }
}
