package sdclip.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.isnan;
import static org.apache.spark.sql.functions.regexp_extract;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * DataComp's filter: the rows with the highest cosines, {@code ceil(F n)} of the {@code n} scored
 * rows, exactly. Rows are ordered by cosine (highest first), then key, part and place in the
 * part (each ascending; keys by their UTF-8 bytes, as Spark orders strings), so ties are broken
 * the same way on every run; the last row kept is the threshold, and each part keeps the rows
 * at or before it.
 */
final class TopFraction {
    private TopFraction() {}

    /**
     * The last row kept, or {@link #NONE} when no row is.
     *
     * @param cosine its cosine
     * @param key    its key
     * @param part   its part
     * @param row    its place in the part
     * @param kept   how many rows are kept
     * @param scored how many rows had a cosine
     */
    record Threshold(double cosine, String key, int part, long row, long kept, long scored) implements Serializable {
        /** Whether a row of {@code part} is at or before the threshold. */
        boolean keeps(JobRow r, int part) {
            if (kept == 0 || r.cosine() == null || r.cosine().isNaN()) return false;
            double c = r.cosine();
            if (c > cosine) return true;
            if (c < cosine) return false;
            int k = Arrays.compareUnsigned(
                    r.key().getBytes(StandardCharsets.UTF_8), key.getBytes(StandardCharsets.UTF_8));
            if (k != 0) return k < 0;
            if (part != this.part) return part < this.part;
            return r.row() <= row;
        }
    }

    /** The threshold of the scored rows under {@code scored} (the parts' parquet files). */
    static Threshold of(SparkSession spark, String scored, double fraction) {
        Dataset<Row> rows = spark.read()
                .parquet(scored)
                .where(col("clip_cosine")
                        .isNotNull()
                        .and(isnan(col("clip_cosine")).unary_$bang()))
                .select(
                        col("clip_cosine"),
                        col("key"),
                        regexp_extract(input_file_name(), "part-(\\d+)\\.parquet", 1)
                                .cast("int")
                                .as("part"),
                        col("row"));
        long n = rows.count();
        long k = kept(fraction, n);
        if (k == 0) return new Threshold(0, "", 0, 0, 0, n);
        if (k - 1 > Integer.MAX_VALUE)
            throw new IllegalArgumentException("--top-fraction " + fraction + " keeps " + k + " of " + n
                    + " scored rows; at most " + Integer.MAX_VALUE + " can be kept (split the job)");
        List<Row> last = rows.orderBy(col("clip_cosine").desc(), col("key"), col("part"), col("row"))
                .offset((int) (k - 1))
                .limit(1)
                .collectAsList();
        Row r = last.getFirst();
        return new Threshold(r.getDouble(0), r.getString(1), r.getInt(2), r.getLong(3), k, n);
    }

    /** {@code ceil(fraction n)}, in decimal (0.3 of 10 is 3, not the 3.0000000000000004 of doubles). */
    static long kept(double fraction, long n) {
        return new BigDecimal(Double.toString(fraction))
                .multiply(BigDecimal.valueOf(n))
                .setScale(0, RoundingMode.CEILING)
                .longValueExact();
    }
}
