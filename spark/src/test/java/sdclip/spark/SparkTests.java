package sdclip.spark;

import java.util.Map;

import org.apache.spark.sql.SparkSession;

/**
 * The test JVM's one Spark session, on loopback only and without the UI. Spark allows one
 * context per JVM: asking for another master stops the current session first.
 */
final class SparkTests {
    private SparkTests() {}

    private static SparkSession current;
    private static String currentMaster;

    static SparkSession session(String master) {
        return session(master, Map.of());
    }

    /** A session on {@code master} with {@code conf} added to the usual settings. */
    static synchronized SparkSession session(String master, Map<String, String> conf) {
        if (current != null && master.equals(currentMaster)) return current;
        stop();
        var builder = SparkSession.builder();
        conf.forEach(builder::config);
        current = builder.master(master)
                .appName("sdclip-spark-tests")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.adaptive.enabled", "false") // partitions as the tests make them
                .getOrCreate();
        currentMaster = master;
        return current;
    }

    /** Stops the current session, if any. */
    static synchronized void stop() {
        if (current != null) current.stop();
        current = null;
        currentMaster = null;
    }

    /** The session most tests use. */
    static SparkSession local2() {
        return session("local[2]");
    }
}
