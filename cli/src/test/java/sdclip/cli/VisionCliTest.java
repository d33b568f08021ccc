package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sdclip.cli.CliTest.ref;
import static sdclip.cli.CliTest.run;
import static sdclip.cli.CliTest.vocab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.cli.CliTest.Run;
import sdclip.model.ClipScore;
import sdclip.model.image.ClipImageProcessor;
import sdclip.model.image.DecodedImage;
import sdclip.model.image.ImageDecoder;
import sdclip.model.image.Preprocess;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.Seeded;

/** {@code encode-image}, {@code score} and inspect's vision lines end to end, against the reference. */
class VisionCliTest {
    @TempDir
    Path dir;

    static final String CLIP = "models/tiny-clip.safetensors";

    static List<String> images() throws IOException {
        List<?> names = (List<?>) Json.parse(Files.readString(Path.of(ref("expected/images.json"))));
        return names.stream().map(n -> ref("images/" + n)).toList();
    }

    /** The reference prompts as a .jsonl file (one holds no newline, but JSONL keeps them exact). */
    Path promptsFile() throws IOException {
        List<?> prompts = (List<?>) Json.parse(Files.readString(Path.of(ref("expected/prompts.json"))));
        Path f = dir.resolve("prompts.jsonl");
        Files.write(
                f,
                prompts.stream()
                        .map(p -> "{\"text\": " + Json.quote((String) p) + "}")
                        .toList());
        return f;
    }

    static String[] args(List<String> head, List<String> tail) {
        return Stream.concat(head.stream(), tail.stream()).toArray(String[]::new);
    }

    static List<Map<String, Object>> results(Run r) {
        assertEquals(0, r.code(), r.err());
        List<?> list = (List<?>) Json.parseObject(r.out().strip()).get("results");
        return list.stream()
                .map(o -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) o;
                    return m;
                })
                .toList();
    }

    static void close(float[] actual, float[] expected, String what) {
        double err = Seeded.relativeError(actual, expected);
        assertTrue(err <= 1e-4, what + ": relative error " + err);
    }

    @Test
    void allPairsReproduceTheReferenceClipScoreMatrix() throws IOException {
        Run r = run(args(
                List.of(
                        "score",
                        "--model",
                        ref(CLIP),
                        "--heads",
                        "4",
                        "--vision-heads",
                        "4",
                        "--tokenizer",
                        vocab(),
                        "--all-pairs",
                        "--json",
                        "--threads",
                        "2",
                        "--prompts",
                        promptsFile().toString()),
                images()));
        List<Map<String, Object>> res = results(r);
        assertEquals(7 * 12, res.size());
        float[] score = new float[res.size()], cos = new float[res.size()];
        for (int i = 0; i < res.size(); i++) {
            score[i] = ((Number) res.get(i).get("score")).floatValue();
            cos[i] = ((Number) res.get(i).get("cosine")).floatValue();
        }
        assertEquals(images().get(1), res.get(12).get("image")); // image-major: image 1 with prompt 0
        assertEquals("a dog", res.get(13).get("text"));
        try (SafetensorsFile exp = SafetensorsFile.open(Path.of(ref("expected/tiny-clip.expected.safetensors")))) {
            close(score, exp.floats("clip_score"), "clip_score");
            close(cos, exp.floats("cosine_image_text"), "cosine_image_text");
            double mean = 0;
            for (float c : exp.floats("cosine_image_text")) mean += c / cos.length;
            assertEquals(
                    Math.max(100 * mean, 0),
                    ((Number) Json.parseObject(r.out().strip()).get("mean")).doubleValue(),
                    1e-3);
        }
    }

    /** The per-model CLIPScore: tiny-sd15's tower through tiny-clip's text projection, against tiny-clip's images. */
    @Test
    void textModelBorrowsTheClipProjection() throws IOException {
        Run r = run(args(
                List.of(
                        "score",
                        "--model",
                        ref(CLIP),
                        "--text-model",
                        ref("models/tiny-sd15.safetensors"),
                        "--heads",
                        "4",
                        "--vision-heads",
                        "4",
                        "--tokenizer",
                        vocab(),
                        "--all-pairs",
                        "--json",
                        "--metric",
                        "clip-s",
                        "--prompts",
                        promptsFile().toString()),
                images()));
        List<Map<String, Object>> res = results(r);
        try (SafetensorsFile sd = SafetensorsFile.open(Path.of(ref("expected/tiny-sd15.expected.safetensors")));
                SafetensorsFile clip = SafetensorsFile.open(Path.of(ref("expected/tiny-clip.expected.safetensors")))) {
            float[] text = sd.floats("text_embeds_clip_proj"), image = clip.floats("image_embeds");
            float[] want = new float[7 * 12], got = new float[7 * 12];
            double sum = 0;
            for (int i = 0; i < 7; i++) {
                for (int j = 0; j < 12; j++) {
                    // CLIP-S (Hessel et al. 2021): 2.5 * max(cos, 0), no factor 100.
                    double s = 2.5 * Math.max(ClipScore.cosine(text, j, image, i, 32), 0);
                    want[i * 12 + j] = (float) s;
                    sum += s;
                    got[i * 12 + j] = ((Number) res.get(i * 12 + j).get("score")).floatValue();
                }
            }
            close(got, want, "tiny-sd15 scores");
            Map<String, Object> top = Json.parseObject(r.out().strip());
            assertEquals("clip-s", top.get("metric"));
            assertEquals(sum / (7 * 12), ((Number) top.get("mean")).doubleValue(), 1e-5); // the mean of per-pair values
        }
    }

    @Test
    void pairsFileAndCsvOutput() throws IOException {
        Path pairs = dir.resolve("pairs.jsonl");
        Path imgDir = Path.of(ref("images"));
        String rel = dir.relativize(imgDir).toString();
        Files.writeString(
                pairs,
                "{\"image\": \"" + rel + "/CLIP.png\", \"text\": \"a diagram\"}\n\n{\"image\": \""
                        + imgDir.resolve("chelsea.png") + "\", \"text\": \"a cat, \\\"sitting\\\"\"}\n");
        Path csv = Files.createDirectory(dir.resolve("out")).resolve("scores.csv");
        Run r = run(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--pairs",
                pairs.toString(),
                "--output",
                csv.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(3, lines.size());
        assertEquals("image,text,cosine,clipscore", lines.get(0));
        assertTrue(
                lines.get(1).startsWith(rel + "/CLIP.png,a diagram,"),
                "the path as the pairs file has it: " + lines.get(1));
        assertTrue(lines.get(2).contains(",\"a cat, \"\"sitting\"\"\","), lines.get(2));
        // The results are in the file: stdout stays empty, and one line on stderr sums them up.
        assertEquals("", r.out());
        double meanCos = (Double.parseDouble(lines.get(1).split(",")[2])
                        + Double.parseDouble(lines.get(2).split(",")[3]))
                / 2;
        assertEquals(
                String.format(
                        Locale.ROOT, "clipscore %.4f over 2 pair(s); wrote %s%n", Math.max(100 * meanCos, 0), csv),
                r.err());
        try (SafetensorsFile exp = SafetensorsFile.open(Path.of(ref("expected/tiny-clip.expected.safetensors")))) {
            float cos = exp.floats("cosine_image_text")[4 * 12]; // CLIP.png with "a diagram"
            String[] f = lines.get(1).split(",");
            assertEquals(cos, Double.parseDouble(f[2]), 1e-5);
        }
    }

    /**
     * Each metric against its published formula on the same pairs: CLIPScore clamps the mean of
     * 100 cos (torchmetrics), CLIP-S averages the clamped w cos (Hessel et al.); the cosine is
     * in both. One caption fits and one does not, so the two set formulas differ.
     */
    @Test
    void metricsFollowTheirPublishedFormulas() throws IOException {
        List<String> base = List.of(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--json",
                "--all-pairs",
                "--text",
                "a diagram",
                "--text",
                "a dog",
                images().get(4));
        Map<String, Object> clipscore =
                Json.parseObject(run(base.toArray(String[]::new)).out().strip());
        List<String> clipS = new ArrayList<>(base);
        clipS.addAll(List.of("--metric", "clip-s", "--weight", "3"));
        Map<String, Object> s =
                Json.parseObject(run(clipS.toArray(String[]::new)).out().strip());
        List<?> a = (List<?>) clipscore.get("results"), b = (List<?>) s.get("results");
        double sumCos = 0, sumClipS = 0;
        for (int i = 0; i < 2; i++) {
            double cos = ((Number) ((Map<?, ?>) a.get(i)).get("cosine")).doubleValue();
            assertEquals(cos, ((Number) ((Map<?, ?>) b.get(i)).get("cosine")).doubleValue());
            assertEquals(Math.max(100 * cos, 0), ((Number) ((Map<?, ?>) a.get(i)).get("score")).doubleValue(), 1e-12);
            assertEquals(3 * Math.max(cos, 0), ((Number) ((Map<?, ?>) b.get(i)).get("score")).doubleValue(), 1e-12);
            sumCos += cos;
            sumClipS += 3 * Math.max(cos, 0);
        }
        assertEquals("clipscore", clipscore.get("metric"));
        assertEquals(Math.max(100 * sumCos / 2, 0), ((Number) clipscore.get("mean")).doubleValue(), 1e-12);
        assertEquals(sumClipS / 2, ((Number) s.get("mean")).doubleValue(), 1e-12);
    }

    @Test
    void metricOptionsAreCheckedUpFront() throws IOException {
        List<String> base =
                List.of("score", "--model", ref(CLIP), "--tokenizer", vocab(), "--text", "a dog", images().get(0));
        for (List<String> extra : List.of(
                List.of("--scale", "2.5"),
                List.of("--weight", "2"),
                List.of("--metric", "clip-s", "--weight", "1e309"),
                List.of("--metric", "clip-s", "--weight", "0"),
                List.of("--metric", "clip-s", "--weight", "NaN"),
                List.of("--metric", "clip-s", "--weight", "0x1p2"),
                List.of("--metric", "clip-s", "--weight", "2.5f"),
                List.of("--metric", "cider"))) {
            List<String> a = new ArrayList<>(base);
            a.addAll(extra);
            Run r = run(a.toArray(String[]::new));
            assertEquals(2, r.code(), extra + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(extra.get(extra.size() == 2 ? 0 : 2)), r.err());
        }
    }

    /** A checkpoint without a vision tower as --model: said so for every family, before any text work. */
    @Test
    void scoreNamesAMissingVisionTower() throws IOException {
        for (String m : List.of(
                "models/tiny-sd15.safetensors",
                "models/tiny-sd21.safetensors",
                "models/tiny-sdxl.safetensors",
                "models/tiny-sd3.safetensors")) {
            Run r = run("score", "--model", ref(m), "--text", "a dog", images().get(0));
            assertEquals(1, r.code(), m + ": " + r.err());
            assertTrue(r.err().contains(ref(m) + ": has no CLIP vision tower"), r.err());
            assertFalse(r.err().contains("projection"), r.err());
        }
    }

    /** Paths from --images and --pairs print as the file has them (relative to it), as arguments print as typed. */
    @Test
    void listedPathsPrintAsWritten() throws IOException {
        Path list = dir.resolve("list.txt");
        String rel = dir.relativize(Path.of(ref("images"))).toString();
        Files.writeString(list, rel + "/CLIP.png\n" + rel + "/chelsea.png\n");
        Run r = run(
                "encode-image",
                "--model",
                ref(CLIP),
                "--vision-heads",
                "4",
                "--output",
                "-",
                "--images",
                list.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(
                List.of(rel + "/CLIP.png", rel + "/chelsea.png"),
                r.out().lines().map(l -> Json.parseObject(l).get("image")).toList());
        Path pairs = Files.writeString(
                dir.resolve("pairs.jsonl"), "{\"image\": \"" + rel + "/CLIP.png\", \"text\": \"a diagram\"}\n");
        Run s = run(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--pairs",
                pairs.toString(),
                "--json");
        assertEquals(rel + "/CLIP.png", results(s).getFirst().get("image"));
        Run table = run(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--images",
                list.toString(),
                "--text",
                "a",
                "--text",
                "b");
        assertEquals(0, table.code(), table.err());
        List<String> rows = table.out().lines().toList();
        assertTrue(
                rows.get(1).endsWith(" " + rel + "/CLIP.png  a") && rows.get(2).endsWith(" " + rel + "/chelsea.png  b"),
                table.out());
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        List<String> imgs = images();
        Run counts = run("score", "--model", ref(CLIP), "--text", "a dog", imgs.get(0), imgs.get(1));
        assertEquals(2, counts.code(), counts.err());
        assertTrue(counts.err().contains("2 image(s) but 1 caption(s)"), counts.err());
        Run none = run("score", "--model", ref(CLIP), "--text", "a dog");
        assertEquals(2, none.code(), none.err());
        Run mixed = run("score", "--model", ref(CLIP), "--pairs", "p.jsonl", imgs.get(0));
        assertEquals(2, mixed.code(), mixed.err());
    }

    /** Bad images: one line naming the file, exit 1, no output file, through both commands. */
    @Test
    void badImagesFailCleanlyWithNothingWritten() throws IOException {
        Path notImage = Files.writeString(dir.resolve("notes.png"), "this is not a PNG\n");
        byte[] png = Files.readAllBytes(Path.of(ref("images/astronaut.png")));
        Path truncated = Files.write(dir.resolve("truncated.png"), Arrays.copyOf(png, png.length / 3));
        Path missing = dir.resolve("missing.jpg");
        String good = ref("images/coffee.png");
        for (Path bad : List.of(notImage, truncated, missing)) {
            Path out = dir.resolve("scores.json");
            Run s = run(
                    "score",
                    "--model",
                    ref(CLIP),
                    "--heads",
                    "4",
                    "--vision-heads",
                    "4",
                    "--tokenizer",
                    vocab(),
                    "--text",
                    "a",
                    "--text",
                    "b",
                    "--output",
                    out.toString(),
                    good,
                    bad.toString());
            assertEquals(1, s.code(), s.err());
            assertEquals(1, s.err().strip().lines().count(), s.err());
            assertTrue(s.err().contains(bad.getFileName().toString()), s.err());
            assertFalse(Files.exists(out), "no partial output");
            Path emb = dir.resolve("emb.safetensors");
            Run e = run(
                    "encode-image",
                    "--model",
                    ref(CLIP),
                    "--vision-heads",
                    "4",
                    "--output",
                    emb.toString(),
                    good,
                    bad.toString());
            assertEquals(1, e.code(), e.err());
            assertEquals(1, e.err().strip().lines().count(), e.err());
            assertTrue(e.err().contains(bad.getFileName().toString()), e.err());
            assertFalse(Files.exists(emb), "no partial output");
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        }
    }

    /** A JPEG's bytes with an Exif APP1 segment (big-endian IFD0, orientation as one SHORT) after SOI. */
    static byte[] withOrientation(byte[] jpeg, int orientation) {
        byte[] tiff = {
            'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0
        };
        int length = 2 + 6 + tiff.length;
        byte[] out = new byte[jpeg.length + 2 + length];
        out[0] = (byte) 0xff;
        out[1] = (byte) 0xd8;
        byte[] head = {(byte) 0xff, (byte) 0xe1, (byte) (length >> 8), (byte) length, 'E', 'x', 'i', 'f', 0, 0};
        System.arraycopy(head, 0, out, 2, head.length);
        System.arraycopy(tiff, 0, out, 2 + head.length, tiff.length);
        System.arraycopy(jpeg, 2, out, 2 + head.length + tiff.length, jpeg.length - 2);
        return out;
    }

    @Test
    void exifTransposeTurnsJpegsUprightOnlyWhenAsked() throws IOException {
        Path rotated = Files.write(
                dir.resolve("rotated.jpg"),
                withOrientation(Files.readAllBytes(Path.of(ref("images/chelsea_q90.jpg"))), 6));
        for (String preprocess : List.of("openai", "hf")) {
            float[][] pixels = new float[2][];
            for (int t = 0; t < 2; t++) {
                Path out = dir.resolve(preprocess + t + ".safetensors");
                List<String> a = new ArrayList<>(List.of(
                        "encode-image",
                        "--model",
                        ref(CLIP),
                        "--vision-heads",
                        "4",
                        "--pixel-values",
                        "--preprocess",
                        preprocess,
                        "--output",
                        out.toString(),
                        rotated.toString()));
                if (t == 1) a.add(1, "--exif-transpose");
                Run r = run(a.toArray(String[]::new));
                assertEquals(0, r.code(), r.err());
                try (SafetensorsFile got = SafetensorsFile.open(out)) {
                    pixels[t] = got.floats("pixel_values");
                }
            }
            Preprocess mode = preprocess.equals("hf") ? Preprocess.HF : Preprocess.OPENAI;
            ClipImageProcessor clip = ClipImageProcessor.of(224, mode);
            // Without the flag the orientation is ignored: the file's pixels as stored.
            assertArrayEquals(
                    clip.process(Path.of(ref("images/chelsea_q90.jpg"))).pixelValues(), pixels[0], preprocess);
            // With it, the 451 x 300 photo is turned a quarter clockwise (orientation 6) to 300 x 451 first.
            DecodedImage upright = ImageDecoder.decode(rotated, true);
            assertEquals(300, upright.width());
            assertArrayEquals(clip.process(upright).pixelValues(), pixels[1], preprocess);
            assertFalse(Arrays.equals(pixels[0], pixels[1]), preprocess);
        }
        Run score = run(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--exif-transpose",
                "--json",
                "--text",
                "a cat",
                rotated.toString());
        assertEquals(1, results(score).size());
    }

    @Test
    void encodeImageWritesTheReferenceTensors() throws IOException {
        Path out = dir.resolve("images.safetensors");
        Path list = dir.resolve("list.txt");
        List<String> imgs = images();
        Files.write(list, imgs.subList(3, 7));
        List<String> a = new ArrayList<>(List.of(
                "encode-image",
                "--model",
                ref(CLIP),
                "--vision-heads",
                "4",
                "--pixel-values",
                "--hidden-states",
                "--threads",
                "2",
                "--output",
                out.toString(),
                "--images",
                list.toString()));
        a.addAll(1, imgs.subList(0, 3));
        Run r = run(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile got = SafetensorsFile.open(out);
                SafetensorsFile exp = SafetensorsFile.open(Path.of(ref("expected/tiny-clip.expected.safetensors")))) {
            for (String name : List.of("image_embeds", "image_pooled_output", "pixel_values")) {
                close(got.floats(name), exp.floats(name), name);
                assertArrayEquals(exp.info(name).shape(), got.info(name).shape(), name);
            }
            close(got.floats("vision_hidden_states"), exp.floats("vision_hidden_states"), "vision_hidden_states");
            assertEquals(imgs, Json.parse(got.metadata().get("images")));
        }
        Path npy = dir.resolve("e.npy");
        Run n = run(
                "encode-image", "--model", ref(CLIP), "--vision-heads", "4", "--output", npy.toString(), ref("images"));
        assertEquals(0, n.code(), n.err());
        assertEquals(128 + 7 * 32 * 4, Files.size(npy)); // the folder's 7 images, image_embeds [7, 32] F32
        Run summary = run("encode-image", "--model", ref(CLIP), "--vision-heads", "4", imgs.get(0));
        assertTrue(
                summary.out().contains("image_embeds")
                        && summary.out().contains("[1, 32]")
                        && summary.out().contains("1 image(s)"),
                summary.out());
        // Standard output: one JSON object per image, its path and its values.
        Run lines = run(
                "encode-image", "--model", ref(CLIP), "--vision-heads", "4", "--output", "-", imgs.get(0), imgs.get(1));
        assertEquals(0, lines.code(), lines.err());
        List<String> objects = lines.out().strip().lines().toList();
        assertEquals(2, objects.size(), lines.out());
        try (SafetensorsFile exp = SafetensorsFile.open(Path.of(ref("expected/tiny-clip.expected.safetensors")))) {
            float[] want = exp.floats("image_embeds");
            for (int i = 0; i < 2; i++) {
                Map<String, Object> o = Json.parseObject(objects.get(i));
                assertEquals(imgs.get(i), o.get("image"));
                assertFalse(o.containsKey("text"), "an image is not a text: " + o.keySet());
                List<?> embeds = (List<?>) o.get("image_embeds");
                assertEquals(32, embeds.size());
                for (int k = 0; k < 32; k++)
                    assertEquals(
                            want[i * 32 + k],
                            ((Number) embeds.get(k)).doubleValue(),
                            1e-4 * 10,
                            "image " + i + " value " + k);
            }
        }
    }

    @Test
    void scoreReadsPromptSyntaxAndEmbeddings() throws IOException {
        // SD 1.5's own text tower through CLIP's projection; the embedding's rows are copies of
        // tiny-sd15's token rows, so the trigger scores exactly as the words written out, and a
        // weight does not touch the pooled vector (it comes from the unweighted first chunk).
        String image = images().get(1);
        List<String> base = List.of(
                "score",
                "--model",
                ref(CLIP),
                "--heads",
                "4",
                "--vision-heads",
                "4",
                "--text-model",
                ref("models/tiny-sd15.safetensors"),
                "--tokenizer",
                vocab(),
                "--json",
                image);
        Run plain = runArgs(concat(base, "--text", "a photo of red fox in the snow"));
        Run trigger = runArgs(concat(
                base,
                "--syntax",
                "a1111",
                "--embeddings",
                ref("embeddings/redfox-kohya.safetensors"),
                "--text",
                "a photo of (redfox-kohya:1.3) in the snow"));
        assertEquals(0, plain.code(), plain.err());
        assertEquals(0, trigger.code(), trigger.err());
        double a = cosine(plain), b = cosine(trigger);
        assertEquals(a, b, 0.0, "trigger against words");
        Run refused = runArgs(concat(base, "--embeddings", ref("embeddings/redfox-kohya.safetensors"), "--text", "x"));
        assertEquals(2, refused.code(), refused.err());
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(more));
        return out;
    }

    private static String[] concatArray(List<String> a) {
        return a.toArray(String[]::new);
    }

    private static Run runArgs(List<String> args) {
        return CliTest.run(concatArray(args));
    }

    private static double cosine(Run r) {
        List<?> results = (List<?>) Json.parseObject(r.out().strip()).get("results");
        return ((Number) ((Map<?, ?>) results.getFirst()).get("cosine")).doubleValue();
    }

    @Test
    void encodeImageOutputMistakesAreUsageErrors() throws IOException {
        String img = images().get(0);
        List<String> base = List.of("encode-image", "--model", ref(CLIP), "--vision-heads", "4");
        for (List<String> extra : List.of(
                List.of("--output", dir.resolve("o.txt").toString()),
                List.of("--output", dir.resolve("o.npy").toString(), "--tensor", "bogus"),
                List.of("--output", dir.resolve("o.npy").toString(), "--tensor", "pixel_values"),
                List.of("--output", dir.resolve("o.json").toString(), "--tensor", "image_embeds"))) {
            List<String> args = new ArrayList<>(base);
            args.addAll(extra);
            args.add(img);
            Run r = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, r.code(), extra + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        try (var files = Files.list(dir)) {
            assertEquals(
                    List.of(),
                    files.filter(f -> f.getFileName().toString().startsWith("o."))
                            .toList(),
                    "nothing written");
        }
    }

    @Test
    void inspectReportsTheVisionTower() {
        Run r = run("inspect", "--heads", "4", "--vision-heads", "4", ref(CLIP));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("vision tower: prefix \"vision_model.\", huggingface naming, F32"), r.out());
        assertTrue(
                r.out()
                        .contains(
                                "image 224, patch 14 (257 positions), width 64, heads 4, layers 2, mlp 256, quick_gelu, projection 32, 156,416 parameters"),
                r.out());
        Map<String, Object> o =
                Json.parseObject(run("inspect", "--json", ref(CLIP)).out().strip());
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) o.get("vision");
        assertEquals(224L, v.get("image_size"));
        assertEquals(1L, v.get("heads")); // inferred width / 64
        assertEquals(32L, v.get("projection_dim"));
        assertEquals(
                Json.NULL,
                Json.parseObject(run("inspect", "--json", "--heads", "4", ref("models/tiny-sd15.safetensors"))
                                .out()
                                .strip())
                        .get("vision"));
    }

    /** bench --vision on the tiny model with a short measuring time (the full-size run is not for tests). */
    @Test
    void benchVisionReportsBatchOneAndEight() {
        Run r = run(
                "bench",
                "--vision",
                "--model",
                ref(CLIP),
                "--vision-heads",
                "4",
                "--seconds",
                "0.05",
                "--threads",
                "2",
                "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> o = Json.parseObject(r.out().strip());
        List<?> v = (List<?>) o.get("vision");
        assertEquals(2, v.size());
        for (int i = 0; i < 2; i++) {
            Map<?, ?> m = (Map<?, ?>) v.get(i);
            assertEquals(i == 0 ? 1L : 8L, m.get("batch"));
            assertTrue(((Number) m.get("ms_per_image")).doubleValue() > 0, r.out());
            assertTrue(((Number) m.get("gflops")).doubleValue() > 0, r.out());
        }
        assertEquals("cpu", o.get("backend"));
    }

    /** --vision-heads below 1 is a usage error in every command that takes it, as --heads 0 is. */
    @Test
    void visionHeadsBelowOneAreUsageErrors() throws IOException {
        String img = ref("images/astronaut.png");
        for (String n : List.of("0", "-5")) {
            List<Run> runs = List.of(
                    run("encode-image", "--model", ref(CLIP), "--vision-heads", n, img),
                    run(
                            "score",
                            "--model",
                            ref(CLIP),
                            "--heads",
                            "4",
                            "--vision-heads",
                            n,
                            "--tokenizer",
                            vocab(),
                            "--text",
                            "a",
                            img),
                    run("inspect", "--vision-heads", n, ref(CLIP)),
                    run("bench", "--vision", "--model", ref(CLIP), "--vision-heads", n, "--seconds", "0.05"));
            for (Run r : runs) {
                assertEquals(2, r.code(), r.err());
                assertEquals(1, r.err().strip().lines().count(), r.err());
                assertTrue(
                        r.err().startsWith("sdclip: --vision-heads " + n + ": ")
                                && r.err().strip().endsWith(" --help')"),
                        r.err());
                assertEquals("", r.out());
            }
        }
    }

    /** A .jsonl file names each image under "image", as standard output does; encode's lines keep "text". */
    @Test
    void encodeImageJsonlNamesTheImage() throws IOException {
        List<String> imgs = images();
        Path jsonl = dir.resolve("e.jsonl");
        Run r = run(
                "encode-image",
                "--model",
                ref(CLIP),
                "--vision-heads",
                "4",
                "--output",
                jsonl.toString(),
                imgs.get(2),
                imgs.get(0));
        assertEquals(0, r.code(), r.err());
        List<Map<String, Object>> objects =
                Files.readAllLines(jsonl).stream().map(Json::parseObject).toList();
        assertEquals(
                List.of(imgs.get(2), imgs.get(0)),
                objects.stream().map(o -> o.get("image")).toList());
        assertEquals(
                List.of("image", "image_embeds", "image_pooled_output"),
                List.copyOf(objects.getFirst().keySet()));
        Run text = run(
                "encode",
                "--model",
                ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--output",
                "-",
                "a dog");
        assertEquals("a dog", Json.parseObject(text.out().strip()).get("text"));
    }

    /** --vision-heads that does not divide the tower's width is a usage error wherever it is taken, found on opening the model. */
    @Test
    void visionHeadsThatDoNotDivideTheWidthAreUsageErrors() {
        String img = ref("images/astronaut.png"), clip = ref(CLIP);
        String says = clip + ": vision tower: 5 heads do not divide the width 64 (see 'sdclip ";
        List<List<String>> commands = List.of(
                List.of("encode-image", "--model", clip, "--vision-heads", "5", img),
                List.of(
                        "score",
                        "--model",
                        clip,
                        "--heads",
                        "4",
                        "--vision-heads",
                        "5",
                        "--tokenizer",
                        vocab(),
                        "--quiet",
                        "--text",
                        "a",
                        img),
                List.of("inspect", "--vision-heads", "5", clip),
                List.of("bench", "--vision", "--model", clip, "--vision-heads", "5", "--seconds", "0.05"));
        for (List<String> c : commands) {
            Run r = run(c.toArray(String[]::new));
            assertEquals(2, r.code(), c + ": " + r.err());
            assertEquals("sdclip: " + says + c.getFirst() + " --help')\n", r.err(), c.toString());
            assertEquals("", r.out(), c.toString());
        }
        // The text tower's --heads of the same command too.
        Run text = run(
                "score",
                "--model",
                clip,
                "--heads",
                "3",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--quiet",
                "--text",
                "a",
                img);
        assertEquals(
                "sdclip: " + clip + ": text encoder: 3 heads do not divide the width 64 (see 'sdclip score --help')\n",
                text.err());
        assertEquals(2, text.code());
    }

    /** A 3 x 2 lossy WebP (model/src/test/resources/webp/lossy-3x2.webp). */
    private static final String WEBP_3X2 =
            "5249464644000000574542505650382038000000b001009d012a0300020002003425004e801e950ecd0000fefd299840365c86e61fc9f2cea5179c629aca957f3fc6adcafbe7f44b4de00000";

    /**
     * TIFF: told by its first bytes and named, whether given as a file or found in a folder. WebP is
     * read: folders include .webp files, and a broken one is named as a corrupt WebP file.
     */
    @Test
    void tiffIsNamedAsUnsupportedAndWebpIsRead() throws IOException {
        byte[] tiffLittle = {'I', 'I', '*', 0, 8, 0, 0, 0, 0, 0}, tiffBig = {'M', 'M', 0, '*', 0, 0, 0, 8, 0, 0};
        Path scan = Files.write(dir.resolve("scan.tif"), tiffLittle),
                mac = Files.write(dir.resolve("mac.tiff"), tiffBig);
        String good = ref("images/coffee.png");
        for (Path bad : List.of(scan, mac)) {
            Run r = run("encode-image", "--model", ref(CLIP), "--vision-heads", "4", good, bad.toString());
            assertEquals(1, r.code(), r.err());
            assertEquals(
                    "sdclip: " + bad
                            + ": is a TIFF image, an unsupported format (PNG, JPEG, BMP, GIF and WebP are supported)\n",
                    r.err());
        }
        // A RIFF/WEBP file whose lossless stream has no valid prefix code: a corrupt WebP file, named.
        byte[] brokenWebp = {
            'R', 'I', 'F', 'F', 30, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 17, 0, 0, 0, 0x2f, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        };
        Path broken = Files.write(dir.resolve("broken.webp"), brokenWebp);
        Run r = run("encode-image", "--model", ref(CLIP), "--vision-heads", "4", good, broken.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(
                "sdclip: " + broken + ": is a corrupt WebP file: its lossless data has an empty prefix code\n",
                r.err());
        Path tiffs = Files.createDirectory(dir.resolve("tiffs"));
        Files.write(tiffs.resolve("b.tif"), tiffLittle);
        Files.write(tiffs.resolve("a.tiff"), tiffBig);
        Files.writeString(tiffs.resolve("notes.txt"), "not an image\n");
        Run folder = run("encode-image", "--model", ref(CLIP), "--vision-heads", "4", tiffs.toString());
        assertEquals(1, folder.code(), folder.err());
        assertEquals(
                "sdclip: " + tiffs
                        + ": no images in this folder (PNG, JPEG, BMP, GIF, WebP); skipped 2 in unsupported formats: a.tiff (TIFF), b.tif (TIFF)\n",
                folder.err());
        // A folder of WebP files is read like any other, in name order.
        Path webps = Files.createDirectory(dir.resolve("webps"));
        Files.write(webps.resolve("b.webp"), HexFormat.of().parseHex(WEBP_3X2));
        Files.write(webps.resolve("a.WEBP"), HexFormat.of().parseHex(WEBP_3X2));
        Files.writeString(webps.resolve("notes.txt"), "not an image\n");
        Path out = dir.resolve("webps.jsonl");
        Run read = run(
                "encode-image",
                "--model",
                ref(CLIP),
                "--vision-heads",
                "4",
                webps.toString(),
                "--output",
                out.toString());
        assertEquals(0, read.code(), read.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("{\"image\": \"" + webps.resolve("a.WEBP") + "\""), lines.get(0));
        assertTrue(lines.get(1).startsWith("{\"image\": \"" + webps.resolve("b.webp") + "\""), lines.get(1));
        // The same pixels give the same embedding.
        assertEquals(
                lines.get(0).substring(lines.get(0).indexOf(',')),
                lines.get(1).substring(lines.get(1).indexOf(',')));
    }

    /** A folder that holds no images is named, not reported as "no images" in general. */
    @Test
    void anEmptyFolderIsNamed() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "not an image\n");
        Run r = run("encode-image", "--model", ref(CLIP), "--vision-heads", "4", empty.toString());
        assertEquals(1, r.code(), r.err());
        assertEquals("sdclip: " + empty + ": no images in this folder (PNG, JPEG, BMP, GIF, WebP)\n", r.err());
    }

    /** A text tower whose width or embedding size does not fit the CLIP model: one clear line, exit 1. */
    @Test
    void mismatchedTextModelsAreClearErrors() {
        String img = ref("images/astronaut.png");
        Run narrow = run(
                "score",
                "--model",
                ref(CLIP),
                "--text-model",
                ref("models/tiny-sdxl.safetensors"),
                "--heads",
                "2,3",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--encoder",
                "1",
                "--text",
                "a dog",
                img);
        assertEquals(1, narrow.code(), narrow.err());
        assertTrue(narrow.err().contains("width 64") && narrow.err().contains("width 32"), narrow.err());
        Run other = run(
                "score",
                "--model",
                ref(CLIP),
                "--text-model",
                ref("models/tiny-sdxl.safetensors"),
                "--heads",
                "2,3",
                "--vision-heads",
                "4",
                "--tokenizer",
                vocab(),
                "--encoder",
                "2",
                "--text",
                "a dog",
                img);
        assertEquals(1, other.code(), other.err()); // no encoder of tiny-sdxl takes tiny-clip's projection (width 64)
        assertTrue(other.err().contains("width 32"), other.err());
        assertEquals(1, other.err().strip().lines().count(), other.err());
    }
}
