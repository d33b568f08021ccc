package sdclip.model.lora;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper: a {@code torch.save(state_dict)} zip file of F32 tensors, as PyTorch writes it
 * (protocol 2 pickle: each tensor {@code _rebuild_tensor_v2} of a persistent {@code FloatStorage}),
 * stored uncompressed.
 */
final class TorchZip {
    private TorchZip() {}

    /** Writes {@code tensors} (name to shape and values) to {@code file}. */
    static Path write(Path file, Map<String, long[]> shapes, Map<String, float[]> values) throws IOException {
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(0x80);
        pkl.write(2);
        pkl.write('}');
        pkl.write('(');
        int key = 0;
        ByteArrayOutputStream zipBytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipBytes)) {
            for (var e : values.entrySet()) {
                long[] shape = shapes.get(e.getKey());
                float[] v = e.getValue();
                str(pkl, e.getKey());
                global(pkl, "torch._utils", "_rebuild_tensor_v2");
                pkl.write('(');
                pkl.write('(');
                str(pkl, "storage");
                global(pkl, "torch", "FloatStorage");
                str(pkl, String.valueOf(key));
                str(pkl, "cpu");
                integer(pkl, v.length);
                pkl.write('t');
                pkl.write('Q');
                integer(pkl, 0);
                pkl.write('(');
                for (long d : shape) integer(pkl, (int) d);
                pkl.write('t');
                pkl.write('(');
                long stride = 1;
                long[] strides = new long[shape.length];
                for (int i = shape.length - 1; i >= 0; i--) {
                    strides[i] = stride;
                    stride *= shape[i];
                }
                for (long s : strides) integer(pkl, (int) s);
                pkl.write('t');
                pkl.write(0x89);
                global(pkl, "collections", "OrderedDict");
                pkl.write(')');
                pkl.write('R');
                pkl.write('t');
                pkl.write('R');
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) b.putFloat(x);
                stored(zip, "archive/data/" + key, b.array());
                key++;
            }
            pkl.write('u');
            pkl.write('.');
            stored(zip, "archive/data.pkl", pkl.toByteArray());
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        Files.write(file, zipBytes.toByteArray());
        return file;
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private static void str(OutputStream o, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        o.write('X');
        le(o, b.length);
        o.write(b);
    }

    private static void integer(OutputStream o, int v) throws IOException {
        o.write('J');
        le(o, v);
    }

    private static void global(OutputStream o, String module, String name) throws IOException {
        o.write('c');
        o.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void le(OutputStream o, int v) throws IOException {
        for (int i = 0; i < 4; i++) o.write(v >>> (8 * i));
    }
}
