package sdclip.model.lora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.safetensors.SafetensorsWriter;
import sdclip.model.safetensors.TensorInfo;
import sdclip.model.safetensors.TensorType;
import sdclip.testdata.ReferenceData;

/**
 * Test fixtures: LoRA files for the reference folder's tiny models, written from {@link FakeNetwork}s,
 * and the independent merge: a copy of the checkpoint whose changed weights are merged here, in
 * double, and stored F32 (the fused q/k/v of a changed layer all F32, as the production merge
 * keeps them), so that encoding it plainly is the expected result of encoding with the LoRAs.
 */
final class LoraFixtures {
    private LoraFixtures() {}

    /** A tower of a tiny model: where its tensors are and how they are named. */
    record Tower(String prefix, boolean openClip, int width) {}

    /** A tiny reference model. */
    record Model(String file, int[] heads, List<Tower> towers) {
        Path path() {
            return ReferenceData.require("models/" + file);
        }
    }

    static final Model SD15 = new Model(
            "tiny-sd15.safetensors",
            new int[] {4},
            List.of(new Tower("cond_stage_model.transformer.text_model.", false, 64)));
    static final Model SD21 =
            new Model("tiny-sd21.safetensors", new int[] {4}, List.of(new Tower("cond_stage_model.model.", true, 64)));
    static final Model SDXL = new Model(
            "tiny-sdxl.safetensors",
            new int[] {2, 3},
            List.of(
                    new Tower("conditioner.embedders.0.transformer.text_model.", false, 32),
                    new Tower("conditioner.embedders.1.model.", true, 48)));

    /** One file's networks and the weight it is merged with. */
    record Stacked(List<FakeNetwork> networks, double weight) {}

    /** A kohya / LyCORIS file ({@code lora_te*_..._q_proj.lora_down.weight}, {@code .alpha}), F16 or F32. */
    static Path kohya(Path file, List<FakeNetwork> nets, boolean f16, Map<String, float[]> extra) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("ss_network_module", "networks.lora");
        for (FakeNetwork n : nets) {
            for (var p : n.parts().entrySet())
                add(w, n.kohyaStem() + "." + p.getKey(), n.shapes().get(p.getKey()), p.getValue(), f16);
            if (!Float.isNaN(n.alpha())) add(w, n.kohyaStem() + ".alpha", new long[] {}, new float[] {n.alpha()}, f16);
        }
        for (var e : extra.entrySet()) w.addFloats(e.getKey(), new long[] {e.getValue().length}, e.getValue());
        w.write(file);
        return file;
    }

    /** A diffusers / PEFT file ({@code text_encoder....lora_A.weight}), alpha in the adapter metadata. */
    static Path diffusers(Path file, List<FakeNetwork> nets, float loraAlpha, int r) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter()
                .metadata(
                        "lora_adapter_metadata",
                        "{\"text_encoder.lora_alpha\": " + loraAlpha + ", \"text_encoder.r\": " + r
                                + ", \"unet.lora_alpha\": 1, \"unet.r\": 2}");
        for (FakeNetwork n : nets) {
            w.addFloats(
                    n.diffusersStem() + ".lora_A.weight",
                    n.shapes().get("lora_down.weight"),
                    n.parts().get("lora_down.weight"));
            w.addFloats(
                    n.diffusersStem() + ".lora_B.weight",
                    n.shapes().get("lora_up.weight"),
                    n.parts().get("lora_up.weight"));
        }
        w.addFloats("unet.down_blocks.0.attentions.0.proj_in.lora_A.weight", new long[] {2, 3}, new float[6]);
        w.write(file);
        return file;
    }

    private static void add(SafetensorsWriter w, String name, long[] shape, float[] v, boolean f16) {
        if (!f16) {
            w.addFloats(name, shape, v);
            return;
        }
        java.lang.foreign.MemorySegment seg = java.lang.foreign.MemorySegment.ofArray(new byte[v.length * 2]);
        for (int i = 0; i < v.length; i++) seg.setAtIndex(sdclip.engine.Weights.I16_LE, i, Float.floatToFloat16(v[i]));
        w.addBytes(name, TensorType.F16, shape, seg);
    }

    /** Where a network's weight is stored: the tensor, and the row its weight starts at (q, k, v in OpenCLIP's in_proj). */
    private record Stored(String name, int rowOffset) {}

    private static Stored stored(Tower t, int layer, String module) {
        if (!t.openClip()) return new Stored(t.prefix() + "encoder.layers." + layer + "." + module + ".weight", 0);
        String block = t.prefix() + "transformer.resblocks." + layer + ".";
        return switch (module) {
            case "self_attn.q_proj" -> new Stored(block + "attn.in_proj_weight", 0);
            case "self_attn.k_proj" -> new Stored(block + "attn.in_proj_weight", t.width());
            case "self_attn.v_proj" -> new Stored(block + "attn.in_proj_weight", 2 * t.width());
            case "self_attn.out_proj" -> new Stored(block + "attn.out_proj.weight", 0);
            case "mlp.fc1" -> new Stored(block + "mlp.c_fc.weight", 0);
            case "mlp.fc2" -> new Stored(block + "mlp.c_proj.weight", 0);
            default -> throw new IllegalArgumentException(module);
        };
    }

    private static Tower tower(Model m, FakeNetwork n) {
        return m.towers().get(n.encoder() == 2 ? 1 : 0);
    }

    /**
     * The checkpoint with the stack merged, written to {@code file}: every stored tensor a network
     * changes (and a changed layer's q/k/v siblings) in F32, {@code (float) (base + Σ weight · scale · raw)}
     * summed in double in stack order; every other tensor copied byte for byte.
     */
    static Path merged(Model m, List<Stacked> stack, Path file) throws IOException {
        // Each stored tensor touched, with its networks and their coefficients, in stack order.
        Map<String, List<Object[]>> touched = new HashMap<>();
        Set<String> widened = new HashSet<>();
        for (Stacked s : stack) {
            for (FakeNetwork n : s.networks()) {
                Tower t = tower(m, n);
                Stored st = stored(t, n.layer(), n.module());
                touched.computeIfAbsent(st.name(), k -> new ArrayList<>())
                        .add(new Object[] {n, s.weight() * n.scale(), st.rowOffset()});
                if (n.module().matches("self_attn\\.[qkv]_proj") && !t.openClip())
                    for (String x : new String[] {"q", "k", "v"})
                        widened.add(
                                stored(t, n.layer(), "self_attn." + x + "_proj").name());
            }
        }
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile base = SafetensorsFile.open(m.path())) {
            for (String name : base.names()) {
                TensorInfo info = base.info(name);
                if (!touched.containsKey(name) && !widened.contains(name)) {
                    w.addBytes(name, info.type(), info.shape(), base.bytes(name));
                    continue;
                }
                float[] values = base.floats(name);
                int cols = (int) info.shape()[1];
                for (int i = 0; i < values.length / cols; i++) {
                    for (int j = 0; j < cols; j++) {
                        double v = values[i * cols + j];
                        for (Object[] e : touched.getOrDefault(name, List.of())) {
                            FakeNetwork n = (FakeNetwork) e[0];
                            int row = i - (int) e[2];
                            if (row < 0 || row >= outRows(n)) continue;
                            v += (double) e[1] * n.raw(row, j);
                        }
                        values[i * cols + j] = (float) v;
                    }
                }
                w.addFloats(name, info.shape(), values);
            }
            w.write(file); // while the base is mapped: the copied tensors are read now
        }
        return file;
    }

    private static long outRows(FakeNetwork n) {
        return switch (n.kind()) {
            case LORA -> n.shapes().get("lora_up.weight")[0];
            case LOHA -> n.shapes().get("hada_w1_a")[0];
            case LOKR -> n.shapes().get("lokr_w1")[0] * n.shapes().get("lokr_w2_a")[0];
        };
    }
}
