package sdclip.model.pickle;

/**
 * A Python class or function a pickle names (always one on the allow-list), as it appears in
 * an unpickled object tree, for example as a dict key: Lightning's callback states are keyed
 * by their class.
 */
public record PythonGlobal(String module, String name) {
    @Override
    public String toString() {
        return module + "." + name;
    }
}
