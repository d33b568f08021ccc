package sdclip.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import sdclip.model.safetensors.SafetensorsWriter;

/** The tensors {@link TextEncoder#encode} produced, by name, in a stable order. */
public final class Encoding {
    private final Map<String, HostTensor> tensors;

    Encoding(Map<String, HostTensor> tensors) { this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors)); }

    public Map<String, HostTensor> tensors() { return tensors; }

    /** The named tensor; throws when it was not computed. */
    public HostTensor get(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor \"" + name + "\" in this encoding (have " + tensors.keySet() + ")");
        return t;
    }

    public boolean has(String name) { return tensors.containsKey(name); }

    /** Writes every tensor to a safetensors file, atomically. */
    public void writeSafetensors(Path file, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        metadata.forEach(w::metadata);
        tensors.forEach((name, t) -> {
            if (t.isFloat()) w.addFloats(name, t.shape(), t.floats());
            else w.addLongs(name, t.shape(), t.longs());
        });
        w.write(file);
    }
}
