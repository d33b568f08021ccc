package sdclip.engine.reference;

/** The error function, which {@link Math} lacks. */
public final class Erf {
    private Erf() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    /**
     * erf(x) to about 1e-15 relative: the Maclaurin series below 2.5, where it converges with
     * little cancellation, and 1 - erfc(x) by Lentz's continued fraction above.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r = a < 2.5 ? series(a) : 1 - erfcContinuedFraction(a);
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 - erf(x), accurate in the tail where 1 - erf(x) would cancel. */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x >= 2.5) return erfcContinuedFraction(x);
        if (x <= -2.5) return 2 - erfcContinuedFraction(-x);
        return 1 - erf(x);
    }

    private static double series(double x) {
        // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
        double x2 = x * x, term = x, sum = x;
        for (int n = 1; n < 100; n++) {
            term *= -x2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(x) for x >= 2.5: exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))). */
    private static double erfcContinuedFraction(double x) {
        if (x > 27) return 0; // below the smallest double
        double tiny = 1e-300;
        // Lentz on K = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))): partial numerators k/2.
        double f = x, c = x, d = 0;
        for (int k = 1; k < 500; k++) {
            double an = k * 0.5;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
    }

    /** Exact GELU in double: 0.5 x (1 + erf(x / sqrt 2)), written with erfc so the left tail keeps its precision. */
    public static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    public static double quickGelu(double x) {
        return x / (1 + Math.exp(-1.702 * x));
    }
}
