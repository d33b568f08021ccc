package sdclip.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sdclip.engine.Backends;
import sdclip.model.json.Json;
import sdclip.model.safetensors.SafetensorsFile;
import sdclip.testdata.Seeded;

/** devices and --backend opencl / auto through the command line. */
class OpenClCliTest {
    @TempDir
    Path dir;

    private static void requireOpenCl() {
        boolean present;
        try {
            present = !Backends.openClDevices().isEmpty();
        } catch (RuntimeException | LinkageError e) {
            present = false;
        }
        if (!present && "true".equalsIgnoreCase(System.getenv("CI")))
            throw new IllegalStateException("CI must have an OpenCL device (.ci/run installs PoCL)");
        Assumptions.assumeTrue(present, "no OpenCL device: " + Backends.openClInstallHint());
    }

    @Test
    void devicesListsWhatOpenclSees() {
        requireOpenCl();
        CliTest.Run r = CliTest.run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("opencl:0:0"), r.out());
        assertEquals(Backends.openClDevices().size(), r.out().strip().lines().count());
    }

    @Test
    void encodeOnOpenclMatchesTheCpu() throws IOException {
        requireOpenCl();
        Path cpu = dir.resolve("cpu.safetensors"), cl = dir.resolve("cl.safetensors");
        String model = CliTest.ref("models/tiny-sdxl.safetensors");
        assertEquals(
                0,
                CliTest.run(
                                "encode",
                                "--model",
                                model,
                                "--heads",
                                "2,3",
                                "--tokenizer",
                                CliTest.vocab(),
                                "--output",
                                cpu.toString(),
                                "a dog",
                                "a cat")
                        .code());
        CliTest.Run r = CliTest.run(
                "encode",
                "--model",
                model,
                "--heads",
                "2,3",
                "--tokenizer",
                CliTest.vocab(),
                "--backend",
                "opencl:0:0",
                "--output",
                cl.toString(),
                "a dog",
                "a cat");
        assertEquals(0, r.code(), r.err());
        try (SafetensorsFile a = SafetensorsFile.open(cpu);
                SafetensorsFile b = SafetensorsFile.open(cl)) {
            assertArrayEquals(a.longs("input_ids"), b.longs("input_ids"));
            assertTrue(Seeded.relativeError(b.floats("conditioning"), a.floats("conditioning")) < 1e-5);
            assertTrue(Seeded.relativeError(b.floats("text_embeds"), a.floats("text_embeds")) < 1e-5);
        }
        CliTest.Run bad =
                CliTest.run("encode", "--model", model, "--tokenizer", CliTest.vocab(), "--backend", "opencl:7:7", "x");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("no OpenCL device opencl:7:7"), bad.err());
        CliTest.Run auto = CliTest.run(
                "encode", "--model", model, "--heads", "2,3", "--tokenizer", CliTest.vocab(), "--backend", "auto", "x");
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.err().contains("backend auto: "), auto.err()); // PoCL is no GPU: auto picks the CPU here
    }

    /**
     * The linear's timing waits for the device: a queue that is only filled, not run, gave tens
     * of thousands of GFLOP/s on PoCL. 5,000 is beyond any one device this runs on in tests.
     */
    @Test
    void benchLinearThroughputIsPhysical() {
        requireOpenCl();
        CliTest.Run r = CliTest.run(
                "bench",
                "--model",
                CliTest.ref("models/tiny-sd15.safetensors"),
                "--heads",
                "4",
                "--backend",
                "opencl",
                "--seconds",
                "0.05",
                "--json");
        assertEquals(0, r.code(), r.err());
        double gflops = ((Number) Json.parseObject(r.out().strip()).get("linear_gflops")).doubleValue();
        assertTrue(gflops > 0 && gflops < 5000, "linear_gflops " + gflops);
    }
}
