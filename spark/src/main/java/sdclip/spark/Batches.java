package sdclip.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * A partition streamed a batch at a time: at most {@code batchSize} input rows (and their
 * results) are held, whatever the partition's size. Output rows are the input's values, then the
 * new columns, then the error column; when the input already has an error column, an earlier
 * error is kept and this stage's appended after {@code "; "}.
 */
final class Batches implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final BatchWork work;
    private final int batchSize, inputWidth, outputWidth, errorAt;

    /**
     * @param errorAt the input's error column, or -1 to add one as the last output column
     */
    Batches(BatchWork work, int batchSize, int inputWidth, int outputWidth, int errorAt) {
        this.work = work;
        this.batchSize = batchSize;
        this.inputWidth = inputWidth;
        this.outputWidth = outputWidth;
        this.errorAt = errorAt;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Iterator<>() {
            private final List<Row> out = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                if (next < out.size()) return true;
                out.clear();
                next = 0;
                List<Row> batch = new ArrayList<>(batchSize);
                while (batch.size() < batchSize && input.hasNext()) batch.add(input.next());
                if (batch.isEmpty()) return false;
                List<BatchWork.Result> results = work.run(batch);
                for (int i = 0; i < batch.size(); i++) out.add(row(batch.get(i), results.get(i)));
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                return out.get(next++);
            }
        };
    }

    private Row row(Row in, BatchWork.Result r) {
        Object[] v = new Object[outputWidth];
        for (int i = 0; i < inputWidth; i++) v[i] = in.get(i);
        System.arraycopy(r.values(), 0, v, inputWidth, r.values().length);
        if (errorAt < 0) {
            v[outputWidth - 1] = r.error();
        } else if (r.error() != null) {
            String earlier = in.isNullAt(errorAt) ? null : in.getString(errorAt);
            v[errorAt] = earlier == null ? r.error() : earlier + "; " + r.error();
        }
        return RowFactory.create(v);
    }
}
