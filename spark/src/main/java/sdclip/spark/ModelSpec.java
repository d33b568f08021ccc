package sdclip.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.regex.Pattern;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import sdclip.model.ImageEncoder;
import sdclip.model.TextEncoder;
import sdclip.model.image.Preprocess;

/**
 * How to open a model on an executor: the params as given, small and serializable (this, not
 * the model, is what a task carries). Locations are resolved on the executor ({@link Locations}:
 * paths, Hadoop URIs copied there once, hub ids and model names).
 *
 * @param model       the model as set
 * @param tokenizer   the vocabulary, or null for the model's own
 * @param heads       text heads per encoder, or null to infer
 * @param visionHeads vision heads, 0 to infer
 * @param threads     CPU threads, 0 for the executor's cores
 */
record ModelSpec(String model, String tokenizer, int[] heads, int visionHeads, int threads) implements Serializable {

    /**
     * A file as the cache tells files apart: its real path, size and modification time, so a
     * model replaced at the same path is opened anew. A missing file keeps its path as given,
     * for the library to report.
     */
    record FileId(String path, long size, long modified) {
        static FileId of(String location) {
            if (location == null) return null;
            Path p = Locations.local(location);
            try {
                Path real = p.toRealPath();
                BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
                return new FileId(
                        real.toString(), a.size(), a.lastModifiedTime().toMillis());
            } catch (IOException e) {
                return new FileId(p.toAbsolutePath().toString(), -1, -1);
            }
        }

        Path local() {
            return Path.of(path);
        }
    }

    /** What a vision tower is opened with: the cache key. */
    record ImageKey(FileId model, int visionHeads, Preprocess preprocess, int threads) {}

    /** What a text tower is opened with: the cache key. */
    record TextKey(FileId tower, FileId projection, FileId tokenizer, String heads, int threads) {}

    /** {@return the vision tower of {@link #model}, opened once in this JVM} */
    ImageEncoder imageEncoder(Preprocess preprocess) {
        ImageKey key = new ImageKey(FileId.of(model), visionHeads, preprocess, executorThreads());
        return ModelCache.get(key, () -> {
            ImageEncoder.Options o = ImageEncoder.Options.defaults()
                    .withVisionHeads(key.visionHeads())
                    .withThreads(key.threads())
                    .withPreprocess(key.preprocess());
            ImageEncoder enc = ImageEncoder.open(key.model().local(), o);
            if (!enc.config().hasProjection()) {
                enc.close();
                throw new IllegalArgumentException(key.model().path()
                        + ": its vision tower has no visual projection, so it gives no image embeddings");
            }
            return enc;
        });
    }

    /**
     * The text tower of {@code textModel} through {@link #model}'s projection when a text model
     * is given (as {@code score --text-model}), else {@link #model}'s own text tower; opened once
     * in this JVM, its vocabulary loaded, so a missing one fails here, not on a row.
     */
    TextEncoder textEncoder(String textModel) {
        FileId tower = FileId.of(textModel != null ? textModel : model);
        TextKey key = new TextKey(
                tower,
                textModel != null ? FileId.of(model) : null,
                FileId.of(tokenizer),
                heads == null ? null : Arrays.toString(heads),
                executorThreads());
        return ModelCache.get(key, () -> {
            TextEncoder.Options o = TextEncoder.Options.defaults()
                    .withThreads(key.threads())
                    .withHeads(heads)
                    .withTokenizer(
                            key.tokenizer() == null ? null : key.tokenizer().local())
                    .withProjection(
                            key.projection() == null ? null : key.projection().local());
            TextEncoder enc = TextEncoder.open(tower.local(), o);
            try {
                for (int n = 1; n <= enc.configs().size(); n++) enc.tokenizer(n);
            } catch (IOException | RuntimeException e) {
                enc.close();
                throw e;
            }
            return enc;
        });
    }

    /** The threads asked for, or this executor's cores: spark.executor.cores, the N of local[N], else every processor. */
    int executorThreads() {
        int processors = Runtime.getRuntime().availableProcessors();
        if (threads > 0) return Math.min(threads, processors);
        SparkEnv env = SparkEnv.get();
        if (env == null) return processors;
        SparkConf conf = env.conf();
        int cores = conf.getInt("spark.executor.cores", 0);
        if (cores <= 0) {
            var local = Pattern.compile("local\\[(\\d+)(?:,\\s*\\d+)?]").matcher(conf.get("spark.master", ""));
            if (local.matches()) cores = Integer.parseInt(local.group(1));
        }
        return cores > 0 ? Math.min(cores, processors) : processors;
    }

    @Override
    public String toString() {
        return "ModelSpec[model=" + model + ", tokenizer=" + tokenizer + ", heads=" + Arrays.toString(heads)
                + ", visionHeads=" + visionHeads + ", threads=" + threads + "]";
    }
}
