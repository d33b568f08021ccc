package sdclip.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import sdclip.model.Encoding;
import sdclip.model.HostTensor;
import sdclip.model.safetensors.SafetensorsWriter;

/**
 * Writes an {@link Encoding} as {@code .safetensors}, {@code .npy} (one tensor, NumPy format
 * 1.0) or {@code .json}, always to a temporary file that is renamed into place when complete.
 */
final class OutputFiles {
    private OutputFiles() {}

    static void write(Encoding e, Path file, String npyTensor, Map<String, String> metadata) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            e.writeSafetensors(file, metadata);
        } else if (name.endsWith(".npy")) {
            String tensor = npyTensor != null ? npyTensor : "conditioning";
            HostTensor t = e.get(tensor);
            atomically(file, out -> writeNpy(t, out));
        } else if (name.endsWith(".json")) {
            atomically(file, out -> {
                Writer w = new java.io.BufferedWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
                writeJson(e, w);
                w.flush();
            });
        } else {
            throw new IllegalArgumentException(file + ": unknown output format (use .safetensors, .npy or .json)");
        }
    }

    interface Body {
        void write(OutputStream out) throws IOException;
    }

    static void atomically(Path target, Body body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        boolean done = false;
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            SafetensorsWriter.moveAtomically(tmp, target);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** NumPy format 1.0: magic, version, a padded Python-dict header, then little-endian data. */
    static void writeNpy(HostTensor t, OutputStream out) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        for (long d : t.shape()) shape.append(d).append(", ");
        if (t.shape().length > 1) shape.setLength(shape.length() - 2);
        else if (t.shape().length == 1) shape.setLength(shape.length() - 1);
        shape.append(')');
        String header = "{'descr': '" + (t.isFloat() ? "<f4" : "<i8") + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer head = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        head.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.write(head.array());
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer data = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        int n = t.size();
        for (int i = 0; i < n; i++) {
            if (t.isFloat()) data.putFloat(t.floats()[i]);
            else data.putLong(t.longs()[i]);
            if (data.remaining() < 8) {
                out.write(data.array(), 0, data.position());
                data.clear();
            }
        }
        out.write(data.array(), 0, data.position());
    }

    /** {@code {"name": {"dtype": ..., "shape": [...], "data": [...]}, ...}}, values flat and row-major. */
    static void writeJson(Encoding e, Writer w) throws IOException {
        w.write("{");
        int k = 0;
        for (var entry : e.tensors().entrySet()) {
            HostTensor t = entry.getValue();
            w.write((k++ > 0 ? ", " : "") + "\"" + entry.getKey() + "\": {\"dtype\": \"" + t.dtype() + "\", \"shape\": " + java.util.Arrays.toString(t.shape()) + ", \"data\": [");
            for (int i = 0; i < t.size(); i++) {
                if (i > 0) w.write(", ");
                w.write(t.isFloat() ? JsonWriter.number(t.floats()[i]) : Long.toString(t.longs()[i]));
            }
            w.write("]}");
        }
        w.write("}\n");
    }
}
