package sdclip.spark;

import java.io.Serializable;
import java.util.List;

import org.apache.spark.sql.Row;

/**
 * What a task does with one batch of rows. Serializable and small: params and column indexes
 * only; the model comes from {@link ModelCache} on the executor.
 */
interface BatchWork extends Serializable {
    /** One row's new column values (the error column aside), and its error or null. */
    record Result(Object[] values, String error) {}

    /**
     * Computes the new columns of {@code rows}, one result per row in order. A row that cannot be
     * computed is a result with nulls and its reason; only a problem with the job itself (the
     * model, an option) is thrown.
     */
    List<Result> run(List<Row> rows);
}
