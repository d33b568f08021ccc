package sdclip.spark;

import org.apache.spark.sql.SparkSession;

/**
 * The test JVM's one Spark session, on loopback only and without the UI. Spark allows one
 * context per JVM: asking for another master stops the current session first.
 */
final class SparkTests {
    private SparkTests() {}

    private static SparkSession current;
    private static String currentMaster;

    static synchronized SparkSession session(String master) {
        if (current != null && master.equals(currentMaster)) return current;
        if (current != null) current.stop();
        current = SparkSession.builder()
                .master(master)
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

    /** The session most tests use. */
    static SparkSession local2() {
        return session("local[2]");
    }
}
