package sdclip.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Without Spark: a partition streams a batch at a time (never held whole), the error column is
 * added or merged, a task carries params and no model, and locations are checked for form.
 */
class BatchesTest {
    /** Rows 0..n-1, counting how many were pulled. */
    private static final class Counting implements Iterator<Row> {
        final int n;
        int pulled;

        Counting(int n) {
            this.n = n;
        }

        @Override
        public boolean hasNext() {
            return pulled < n;
        }

        @Override
        public Row next() {
            return RowFactory.create(pulled++);
        }
    }

    private static List<BatchWork.Result> echo(List<Row> rows) {
        List<BatchWork.Result> out = new ArrayList<>();
        for (Row r : rows)
            out.add(new BatchWork.Result(
                    new Object[] {r.getInt(0) * 10}, r.getInt(0) % 3 == 0 ? "bad " + r.getInt(0) : null));
        return out;
    }

    @Test
    void aPartitionStreamsOneBatchAtATime() {
        Counting in = new Counting(1000);
        Iterator<Row> out = new Batches(BatchesTest::echo, 16, 1, 3, -1).call(in);
        assertEquals(0, in.pulled, "nothing is read before the first row is asked for");
        Row first = out.next();
        assertEquals(16, in.pulled);
        assertEquals(List.of(0, 0, "bad 0"), List.of(first.get(0), first.get(1), first.get(2)));
        for (int i = 1; i < 16; i++) out.next();
        assertEquals(16, in.pulled, "a batch is emitted whole before the next is read");
        Row seventeenth = out.next();
        assertEquals(32, in.pulled);
        assertEquals(160, seventeenth.getInt(1));
        int rows = 17;
        while (out.hasNext()) {
            Row r = out.next();
            assertEquals(rows, r.getInt(0), "in order");
            assertEquals(rows % 3 == 0 ? "bad " + rows : null, r.get(2));
            rows++;
        }
        assertEquals(1000, rows);
        assertThrows(NoSuchElementException.class, out::next);
    }

    @Test
    void anEarlierErrorColumnIsKeptAndAppendedTo() {
        List<Row> in = List.of(
                RowFactory.create(1, null),
                RowFactory.create(3, null),
                RowFactory.create(4, "earlier"),
                RowFactory.create(6, "earlier"));
        List<Row> out = new ArrayList<>();
        new Batches(BatchesTest::echo, 3, 2, 3, 1).call(in.iterator()).forEachRemaining(out::add);
        assertNull(out.get(0).get(1));
        assertEquals("bad 3", out.get(1).get(1));
        assertEquals("earlier", out.get(2).get(1));
        assertEquals("earlier; bad 6", out.get(3).get(1));
        assertEquals(60, out.get(3).get(2));
    }

    @Test
    void aTaskCarriesParamsNotTheModel() throws IOException {
        StructType schema = new StructType()
                .add("path", DataTypes.StringType)
                .add("content", DataTypes.BinaryType)
                .add("text", DataTypes.StringType);
        ClipScorer scorer = new ClipScorer()
                .setModel(Fixtures.clip())
                .setTextModel(Fixtures.sd15())
                .setTokenizer(Fixtures.vocabulary())
                .setHeads(4);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Batches(scorer.work(schema), 16, 3, 6, -1));
        }
        assertTrue(bytes.size() < 4096, "a task's function is " + bytes.size() + " bytes");
    }

    @Test
    void normalisedVectorsHaveUnitLength() {
        float[] v = Vectors.normalized(new float[] {3, 4});
        assertArrayEquals(new float[] {0.6f, 0.8f}, v);
        assertNull(Vectors.normalized(null));
    }
}
