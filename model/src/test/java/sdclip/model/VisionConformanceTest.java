package sdclip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static sdclip.model.ModelConformanceTest.close;
import static sdclip.model.ModelConformanceTest.ref;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import sdclip.engine.Backend;
import sdclip.engine.Backends;
import sdclip.engine.Device;
import sdclip.model.checkpoint.Checkpoint;
import sdclip.model.checkpoint.ClipVisionConfig;
import sdclip.model.checkpoint.HiddenAct;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.model.vision.VisionTransformer;

/**
 * tiny-clip's vision tower against the reference (3.3 of the reference README) on every
 * backend: from the reference {@code pixel_values} (the tower alone) and end to end from the
 * image files (decoding and preprocessing included), within 1e-4 relative.
 */
class VisionConformanceTest {

    static List<Path> images() throws IOException {
        return ((List<?>) Json.parse(Files.readString(ref("expected/images.json"))))
                .stream().map(n -> ref("images/" + n)).toList();
    }

    static ImageEncoder.Options options(String backend) {
        return ImageEncoder.Options.defaults()
                .withDevice(Device.parse(backend))
                .withThreads(2)
                .withVisionHeads(4)
                .withBatchSize(3);
    }

    static Stream<String> backends() {
        return ModelConformanceTest.backends();
    }

    @ParameterizedTest(name = "from pixel_values on {0}")
    @MethodSource("backends")
    void towerMatchesTheReferenceFromPixelValues(String backend) throws IOException {
        try (ImageEncoder enc = ImageEncoder.open(ref("models/tiny-clip.safetensors"), options(backend));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            ClipVisionConfig cfg = enc.config();
            assertEquals(new ClipVisionConfig(224, 14, 64, 4, 2, 256, 32, HiddenAct.QUICK_GELU, 1e-5f), cfg);
            ImageEncoding e = enc.encode(
                    exp.floats("pixel_values"),
                    ImageRequest.standard().with(ImageOutput.PIXEL_VALUES, ImageOutput.HIDDEN_STATES));
            compare(e, exp);
            assertArrayEquals(exp.floats("pixel_values"), e.pixelValues().floats());
        }
    }

    @ParameterizedTest(name = "embeddings on {0}")
    @MethodSource("backends")
    void embeddingsBeforeThePreNormMatch(String backend) throws IOException {
        try (Checkpoint c = Checkpoint.open(ref("models/tiny-clip.safetensors"), null, 4);
                Backend b = Backends.create(Device.parse(backend), 2);
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            VisionTransformer vt = new VisionTransformer(b, c.visionTower());
            VisionTransformer.Result r =
                    vt.forward(exp.floats("pixel_values"), 0, 7, new VisionTransformer.Request(true, false));
            close(r.embeddings(), exp.floats("vision_embeddings"), "vision_embeddings");
            close(r.imageEmbeds(), exp.floats("image_embeds"), "image_embeds");
        }
    }

    @ParameterizedTest(name = "from image files on {0}")
    @MethodSource("backends")
    void endToEndFromImageFiles(String backend) throws IOException {
        try (ImageEncoder enc = ImageEncoder.open(ref("models/tiny-clip.safetensors"), options(backend));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            ImageRequest request = ImageRequest.standard().with(ImageOutput.PIXEL_VALUES, ImageOutput.HIDDEN_STATES);
            ImageEncoding e = enc.encode(images(), request);
            close(e.pixelValues().floats(), exp.floats("pixel_values"), "pixel_values");
            compare(e, exp);
            // outputs() names and shapes the run before any work, in the result's order.
            List<TensorSpec> specs = enc.outputs(images().size(), request);
            assertEquals(
                    List.copyOf(e.tensors().keySet()),
                    specs.stream().map(TensorSpec::name).toList());
            for (TensorSpec spec : specs) assertArrayEquals(e.get(spec.name()).shape(), spec.shape(), spec.name());
        }
    }

    /** CLIPScore of every image with every prompt: the reference clip_score matrix. */
    @ParameterizedTest(name = "clip_score on {0}")
    @MethodSource("backends")
    void clipScoreMatchesTheReference(String backend) throws IOException {
        try (ImageEncoder images = ImageEncoder.open(ref("models/tiny-clip.safetensors"), options(backend));
                TextEncoder texts = TextEncoder.open(
                        ref("models/tiny-clip.safetensors"), ModelConformanceTest.options(backend, 4));
                SafetensorsFile exp = SafetensorsFile.open(ref("expected/tiny-clip.expected.safetensors"))) {
            HostTensor img = images.encode(images()).imageEmbeds();
            HostTensor txt = texts.encode(ModelConformanceTest.prompts(), EncodeRequest.pooledOnly())
                    .get("text_embeds");
            int m = 7, n = 12;
            float[] cos = new float[m * n], score = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double c = ClipScore.cosine(txt, j, img, i);
                    cos[i * n + j] = (float) c;
                    score[i * n + j] = (float) ClipScore.CLIPSCORE.pair(c);
                }
            }
            close(cos, exp.floats("cosine_image_text"), "cosine_image_text");
            close(score, exp.floats("clip_score"), "clip_score");
        }
    }

    static void compare(ImageEncoding e, SafetensorsFile exp) {
        close(e.imageEmbeds().floats(), exp.floats("image_embeds"), "image_embeds");
        close(e.pooledOutput().floats(), exp.floats("image_pooled_output"), "image_pooled_output");
        close(e.hiddenStates().floats(), exp.floats("vision_hidden_states"), "vision_hidden_states");
        assertArrayEquals(
                exp.info("vision_hidden_states").shape(), e.hiddenStates().shape());
        assertArrayEquals(exp.info("image_embeds").shape(), e.imageEmbeds().shape());
    }
}
