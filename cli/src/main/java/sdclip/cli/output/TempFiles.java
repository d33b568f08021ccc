package sdclip.cli.output;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every temporary file and folder the CLI creates, so none outlives the process: a writer
 * deletes its own on failure, and a shutdown hook deletes whatever is still registered when the
 * JVM stops on Ctrl-C (SIGINT) or SIGTERM, even in the middle of a write. A temporary is
 * registered before it is created, and none is created once the hook has started. Deleting
 * {@code .NAME...} also deletes the siblings {@code ..NAME...} that a nested atomic writer
 * (SafetensorsWriter) puts beside it. Such a writer, which this class cannot stop, may create
 * its own temporary (or recreate a folder) just after the hook's first pass, so for temporaries
 * registered as {@code nested} the hook keeps deleting for a short grace period.
 */
public final class TempFiles {
    private static final Set<Path> live = new LinkedHashSet<>();
    private static final Set<Path> nested = new LinkedHashSet<>();
    private static final long GRACE_MILLIS = 500;
    private static boolean stopping, hooked;

    private TempFiles() {}

    /** A new empty file beside {@code target}, named {@code .TARGET.PID-N.tmp}. */
    static Path newFile(Path target) throws IOException {
        return create(target, false, false);
    }

    /** A new empty file beside {@code target} that a nested atomic writer will replace (its temporary sits beside it). */
    static Path newFileForNestedWriter(Path target) throws IOException {
        return create(target, false, true);
    }

    /** A new empty folder beside {@code target}, which a nested atomic writer may write into. */
    public static Path newFolder(Path target) throws IOException {
        return create(target, true, true);
    }

    private static Path create(Path target, boolean folder, boolean withNested) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "."
                    + ProcessHandle.current().pid() + "-" + System.nanoTime() % 1_000_000 + ".tmp");
            synchronized (TempFiles.class) {
                hookOnce();
                if (stopping) throw new IOException("stopping: the process is shutting down");
                live.add(tmp);
                if (withNested) nested.add(tmp);
            }
            try {
                return folder ? Files.createDirectory(tmp) : Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                forget(tmp);
                if (attempt > 100) throw e;
            } catch (IOException | RuntimeException e) {
                forget(tmp);
                throw e;
            }
        }
    }

    /**
     * Registers the cleanup hook with the first temporary. Ctrl-C may come first: then the JVM is
     * already stopping, no hook can be added, and no temporary may be made.
     */
    private static void hookOnce() {
        if (hooked) return;
        hooked = true;
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAll, "sdclip-temp-cleanup"));
        } catch (IllegalStateException shuttingDown) {
            stopping = true;
        }
    }

    /** Stops tracking {@code tmp}: it was renamed into place. */
    public static synchronized void forget(Path tmp) {
        live.remove(tmp);
        nested.remove(tmp);
    }

    /** Deletes {@code tmp} (a file or a whole folder) and its nested writers' siblings, quietly, and stops tracking it. */
    public static void delete(Path tmp) {
        deleteQuietly(tmp);
        forget(tmp);
    }

    private static void deleteAll() {
        List<Path> all, late;
        synchronized (TempFiles.class) {
            stopping = true;
            all = List.copyOf(live);
            late = List.copyOf(nested);
        }
        for (Path p : all) deleteQuietly(p);
        // The main thread is still running: a nested writer may create its temporary meanwhile.
        long end = System.nanoTime() + GRACE_MILLIS * 1_000_000;
        while (!late.isEmpty() && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
            for (Path p : late) deleteQuietly(p);
        }
    }

    private static void deleteQuietly(Path tmp) {
        try {
            if (Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> s = Files.walk(tmp)) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            } else {
                Files.deleteIfExists(tmp);
            }
            Path dir = tmp.getParent();
            String nested = "." + tmp.getFileName();
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(p -> p.getFileName().toString().startsWith(nested))
                        .toList()) Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            // best effort: nothing more can be done while stopping
        }
    }
}
