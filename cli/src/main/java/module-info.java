/** The {@code sdclip} command line, on the model's public API only. */
module sdclip.cli {
    requires sdclip.model;
    requires info.picocli;
    requires java.net.http; // sdclip pull, the one command that uses the network
    requires java.logging; // quiets the engine's INFO log: the CLI says it in one line

    // picocli fills option fields and calls commands reflectively: the entry, the commands and their mixins.
    opens sdclip.cli to
            info.picocli;
    opens sdclip.cli.command to
            info.picocli;
    opens sdclip.cli.option to
            info.picocli;
}
