package sdclip.model.lora;

/**
 * A network's change to one {@code [out, in]} weight, row by row, in double. Every sum runs
 * over the rank in order from 0, starting at 0.0, so a row's value is fixed by the factors
 * alone: {@code Σ_r a[i][r] · b[r][j]} for a product, its elementwise product for LoHa,
 * {@code w1[i / c][j / d] · w2[i % c][j % d]} for LoKr with {@code w2} of shape {@code [c, d]}.
 */
sealed interface Delta permits Delta.LowRank, Delta.Hadamard, Delta.Kronecker {

    /**
     * Adds {@code coef · delta[i][j]} to {@code acc[j]} for every column j.
     *
     * @param i the row
     * @param coef the user's weight times the network's scale
     * @param acc the row being merged, {@code in} values
     * @param s1 scratch of at least {@code in} values
     * @param s2 scratch of at least {@code in} values
     */
    void addRow(int i, double coef, double[] acc, double[] s1, double[] s2);

    /** A factor matrix whose rows can be computed: whole, or a low-rank product. */
    sealed interface Matrix permits Whole, LowRank {
        /** {@return its rows} */
        int rows();

        /** {@return its columns} */
        int cols();

        /** Writes row {@code i} into {@code out[0, cols)}. */
        void row(int i, double[] out);
    }

    /** A matrix as stored, {@code [rows, cols]} row-major. */
    record Whole(float[] v, int rows, int cols) implements Matrix {
        @Override
        public void row(int i, double[] out) {
            for (int j = 0; j < cols; j++) out[j] = v[i * cols + j];
        }
    }

    /** {@code a [rows, r] @ b [r, cols]}: LoRA's {@code up @ down}, a LoHa or LoKr factor pair. */
    record LowRank(float[] a, float[] b, int rows, int cols) implements Matrix, Delta {
        @Override
        public void row(int i, double[] out) {
            int r = a.length / rows;
            java.util.Arrays.fill(out, 0, cols, 0.0);
            for (int k = 0; k < r; k++) {
                double x = a[i * r + k];
                int at = k * cols;
                for (int j = 0; j < cols; j++) out[j] += x * b[at + j];
            }
        }

        @Override
        public void addRow(int i, double coef, double[] acc, double[] s1, double[] s2) {
            row(i, s1);
            for (int j = 0; j < cols; j++) acc[j] += coef * s1[j];
        }
    }

    /** LoHa: two low-rank products multiplied elementwise. */
    record Hadamard(LowRank w1, LowRank w2) implements Delta {
        @Override
        public void addRow(int i, double coef, double[] acc, double[] s1, double[] s2) {
            w1.row(i, s1);
            w2.row(i, s2);
            for (int j = 0; j < w1.cols(); j++) acc[j] += coef * (s1[j] * s2[j]);
        }
    }

    /** LoKr: the Kronecker product {@code kron(w1, w2)}. */
    record Kronecker(Matrix w1, Matrix w2, int rows, int cols) implements Delta {
        @Override
        public void addRow(int i, double coef, double[] acc, double[] s1, double[] s2) {
            int c = w2.rows(), d = w2.cols();
            w1.row(i / c, s1);
            w2.row(i % c, s2);
            for (int j1 = 0; j1 < w1.cols(); j1++) {
                double x = s1[j1];
                for (int j2 = 0; j2 < d; j2++) acc[j1 * d + j2] += coef * (x * s2[j2]);
            }
        }
    }
}
