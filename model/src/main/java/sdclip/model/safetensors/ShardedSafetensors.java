package sdclip.model.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import sdclip.model.json.Json;
import sdclip.model.json.JsonException;

/** A checkpoint split over several files by a {@code *.safetensors.index.json} ({@code weight_map}: name -> file). */
public final class ShardedSafetensors implements TensorStore {
    private final Path index;
    private final Map<String, SafetensorsFile> byTensor;
    private final List<SafetensorsFile> shards;

    private ShardedSafetensors(Path index, Map<String, SafetensorsFile> byTensor, List<SafetensorsFile> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    /**
     * Opens every shard an index names (each once) and checks each listed tensor is in its shard.
     *
     * @param index a {@code *.safetensors.index.json}; shards are file names beside it
     * @return the open store; closing it closes every shard
     * @throws SafetensorsException when the index is not valid JSON, has no {@code weight_map}, names a shard outside
     *                              its folder, or a shard is invalid or lacks a tensor listed for it
     * @throws IOException          when a file cannot be read or mapped
     */
    public static ShardedSafetensors open(Path index) throws IOException {
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(index));
        } catch (JsonException e) {
            throw new SafetensorsException(index, "is not a valid index: " + e.getMessage());
        }
        if (!(root.get("weight_map") instanceof Map<?, ?> map))
            throw new SafetensorsException(index, "has no \"weight_map\" object");
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (var e : map.entrySet()) {
                if (!(e.getValue() instanceof String file) || file.contains("/") || file.contains("\\")) {
                    throw new SafetensorsException(
                            index,
                            "maps " + e.getKey() + " to " + e.getValue() + ", expected a file name beside the index");
                }
                SafetensorsFile shard = files.get(file);
                if (shard == null) {
                    shard = SafetensorsFile.open(index.resolveSibling(file));
                    files.put(file, shard);
                }
                if (shard.info((String) e.getKey()) == null)
                    throw new SafetensorsException(
                            shard.path(),
                            (String) e.getKey(),
                            "is listed in " + index.getFileName() + " but missing from the shard");
                byTensor.put((String) e.getKey(), shard);
            }
        } catch (RuntimeException | IOException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new ShardedSafetensors(index, Collections.unmodifiableMap(byTensor), new ArrayList<>(files.values()));
    }

    @Override
    public Path path() {
        return index;
    }

    @Override
    public Set<String> names() {
        return byTensor.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        SafetensorsFile f = byTensor.get(name);
        return f == null ? null : f.info(name);
    }

    @Override
    public MemorySegment bytes(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new SafetensorsException(index, name, "is missing");
        return f.bytes(name);
    }

    @Override
    public Map<String, String> metadata() {
        return shards.isEmpty() ? Map.of() : shards.getFirst().metadata();
    }

    @Override
    public void close() {
        shards.forEach(SafetensorsFile::close);
    }
}
