package sdclip.cli;

import java.util.Map;

/**
 * The environment variables the commands read (hub cache, models folders, endpoint, token,
 * offline mode). The process's, unless a test in this package puts its own in their place.
 */
public final class Environment {
    private static volatile Map<String, String> replaced;

    private Environment() {}

    public static Map<String, String> get() {
        Map<String, String> r = replaced;
        return r != null ? r : System.getenv();
    }

    /** For tests: {@code env} instead of the process's environment, until {@code null} is set. */
    static void replace(Map<String, String> env) {
        replaced = env;
    }
}
