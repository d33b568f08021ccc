package sdclip.cli.command;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import sdclip.cli.option.ModelOptions;
import sdclip.engine.Backends;

/** {@code sdclip devices}: the OpenCL platforms and devices {@code --backend opencl:P:D} can name. */
@Command(
        name = "devices",
        mixinStandardHelpOptions = true,
        description = "List OpenCL platforms and devices with their memory and compute units.")
public final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ModelOptions.requireNativeAccess();
        List<Backends.OpenClDevice> devices = Backends.openClDevices();
        PrintWriter out = spec.commandLine().getOut();
        if (devices.isEmpty()) {
            throw new IllegalStateException("no OpenCL devices: " + Backends.openClInstallHint());
        }
        for (Backends.OpenClDevice d : devices) out.println(d.description());
        out.flush();
        return 0;
    }
}
