package sdclip.spark;

import sdclip.engine.DeviceException;
import sdclip.engine.SdclipException;
import sdclip.model.ModelFormatException;

/** Which failures are a row's, and how a row's error reads. */
final class RowErrors {
    private RowErrors() {}

    /**
     * The one-line reason for a row's error column. A failure that is not the row's (the model
     * file, the device) is rethrown: it would fail every row, so it fails the task instead.
     */
    static String message(Exception e) {
        if (e instanceof DeviceException || e instanceof ModelFormatException) throw (SdclipException) e;
        String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        return m.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
