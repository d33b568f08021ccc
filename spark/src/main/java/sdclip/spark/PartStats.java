package sdclip.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one part's rows were: how many, how many written, the errors by reason, and the cosines
 * (their sum and a histogram), kept beside the part ({@code _parts/part-N.json}) so the summary
 * of a resumed job covers the parts of earlier runs too. Summing parts in their order gives the
 * same totals whichever runs computed them.
 */
final class PartStats {
    /** Histogram bins: cosines from -1 to 1 in steps of {@value #BIN}. */
    static final double BIN = 0.02;

    static final int BINS = 100;

    /** The most distinct reasons a part or a summary keeps; the rest are counted as "other reasons". */
    static final int MAX_REASONS = 50;

    long rows, written, errors, scored;
    double cosineSum, scoreSum;
    double cosineMin = Double.NaN, cosineMax = Double.NaN;
    long[] histogram = new long[BINS];
    Map<String, Long> reasons = new TreeMap<>();
    int imageDim, textDim;

    /** Counts a computed row, written or not. */
    void add(JobRow r) {
        rows++;
        if (r.error() != null) {
            errors++;
            reason(reason(r), 1);
        }
        if (r.image() != null) imageDim = r.image().length;
        if (r.text() != null) textDim = r.text().length;
        Double c = r.cosine();
        if (c == null || c.isNaN()) return;
        scored++;
        cosineSum += c;
        scoreSum += r.score();
        cosineMin = Double.isNaN(cosineMin) ? c : Math.min(cosineMin, c);
        cosineMax = Double.isNaN(cosineMax) ? c : Math.max(cosineMax, c);
        histogram[bin(c)]++;
    }

    static int bin(double cosine) {
        return (int) Math.max(0, Math.min(BINS - 1, Math.floor((cosine + 1) / BIN)));
    }

    private void reason(String why, long n) {
        if (reasons.containsKey(why) || reasons.size() < MAX_REASONS) reasons.merge(why, n, Long::sum);
        else reasons.merge("other reasons", n, Long::sum);
    }

    /**
     * What an error says less the name of the row's file (which every message starts with), so
     * that rows failing for one reason count together.
     */
    static String reason(JobRow r) {
        String e = r.error();
        for (String name : new String[] {r.path(), r.key()}) {
            if (name != null && e.startsWith(name + ": ")) {
                e = e.substring(name.length() + 2);
                break;
            }
        }
        return e.length() > 200 ? e.substring(0, 200) + "..." : e;
    }

    /** Adds another part's counts. */
    void merge(PartStats o) {
        rows += o.rows;
        written += o.written;
        errors += o.errors;
        scored += o.scored;
        cosineSum += o.cosineSum;
        scoreSum += o.scoreSum;
        if (!Double.isNaN(o.cosineMin))
            cosineMin = Double.isNaN(cosineMin) ? o.cosineMin : Math.min(cosineMin, o.cosineMin);
        if (!Double.isNaN(o.cosineMax))
            cosineMax = Double.isNaN(cosineMax) ? o.cosineMax : Math.max(cosineMax, o.cosineMax);
        for (int i = 0; i < BINS; i++) histogram[i] += o.histogram[i];
        o.reasons.forEach(this::reason);
        if (imageDim == 0) imageDim = o.imageDim;
        if (textDim == 0) textDim = o.textDim;
    }

    /** As JSON: the fields, the histogram as a list of its non-empty bins. */
    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", rows);
        m.put("written", written);
        m.put("errors", errors);
        m.put("errors_by_reason", reasons);
        m.put("scored", scored);
        if (scored > 0) {
            m.put("cosine_mean", cosineSum / scored);
            m.put("cosine_min", cosineMin);
            m.put("cosine_max", cosineMax);
            m.put("clip_score_mean", scoreSum / scored);
            m.put("cosine_sum", cosineSum);
            m.put("clip_score_sum", scoreSum);
            Map<String, Long> h = new LinkedHashMap<>();
            for (int i = 0; i < BINS; i++) {
                if (histogram[i] > 0) h.put(binName(i), histogram[i]);
            }
            m.put("cosine_histogram", h);
        }
        if (imageDim > 0) m.put("image_dim", imageDim);
        if (textDim > 0) m.put("text_dim", textDim);
        return m;
    }

    /** A bin's range, {@code [from, to)}. */
    static String binName(int i) {
        return String.format(java.util.Locale.ROOT, "[%+.2f, %+.2f)", -1 + i * BIN, -1 + (i + 1) * BIN);
    }

    /** Reads {@link #toJson}'s output back. */
    @SuppressWarnings("unchecked") // JSON read by Jackson as maps and numbers
    static PartStats fromJson(Map<String, Object> m) {
        PartStats s = new PartStats();
        s.rows = num(m, "rows");
        s.written = num(m, "written");
        s.errors = num(m, "errors");
        s.scored = num(m, "scored");
        ((Map<String, Object>) m.getOrDefault("errors_by_reason", Map.of()))
                .forEach((k, v) -> s.reasons.put(k, ((Number) v).longValue()));
        if (s.scored > 0) {
            s.cosineSum = ((Number) m.get("cosine_sum")).doubleValue();
            s.scoreSum = ((Number) m.get("clip_score_sum")).doubleValue();
            s.cosineMin = ((Number) m.get("cosine_min")).doubleValue();
            s.cosineMax = ((Number) m.get("cosine_max")).doubleValue();
            Map<String, Object> h = (Map<String, Object>) m.get("cosine_histogram");
            for (int i = 0; i < BINS; i++) {
                Object v = h.get(binName(i));
                if (v != null) s.histogram[i] = ((Number) v).longValue();
            }
        }
        s.imageDim = (int) num(m, "image_dim");
        s.textDim = (int) num(m, "text_dim");
        return s;
    }

    private static long num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? 0 : ((Number) v).longValue();
    }
}
