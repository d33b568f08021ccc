package sdclip.model.pickle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A file written by {@code torch.save}, in the zip format or the legacy (pre-1.6) format,
 * unpickled safely into plain Java values: {@code Map} (dicts, OrderedDicts, a ParameterDict's
 * parameters), {@code List} (lists and tuples), {@code Set}, {@code String}, {@code Long} or
 * {@code BigInteger}, {@code Double}, {@code Boolean}, {@code byte[]}, {@code null},
 * {@link TorchTensor}, {@link PythonGlobal} and {@link Placeholder}. The whole pickle is run
 * and every storage and tensor checked against the file before it opens; nothing in the file
 * is ever executed. What is wrong with one tensor or its storage (not in the file, another
 * size, a view past its end, a dtype sdclip does not read, a persistent id that names no
 * storage) refuses only that tensor, by name, when its bytes are asked for; what is wrong with
 * the pickle or the container refuses the file. The file stays mapped until {@link #close()}.
 */
public final class TorchFile implements AutoCloseable {
    private static final Set<String> EXTENSIONS = Set.of(".ckpt", ".pt", ".pth", ".bin");
    /** LONG1 of 10 bytes: the legacy format's magic number 0x1950a86a20f9469cfc6c, after PROTO (and a FRAME from protocol 4). */
    private static final byte[] LEGACY_MAGIC_BYTES = {
        (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19
    };
    /** PROTO, FRAME with its 8-byte length, then the magic number. */
    private static final int LEGACY_HEAD = 2 + 9 + LEGACY_MAGIC_BYTES.length;

    /** Contiguous copies may exceed the file's size by this much: small expanded tensors (position_ids) of small files. */
    static final long COPY_SLACK = 1 << 20;

    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    /** Storage keys are plain names (torch writes decimal numbers); nothing that could leave the archive's data folder. */
    private static final Pattern STORAGE_KEY = Pattern.compile("[A-Za-z0-9_-]{1,100}");

    private final Path path;
    private final Arena arena;
    private final Object root;

    private TorchFile(Path path, Arena arena, Object root) {
        this.path = path;
        this.arena = arena;
        this.root = root;
    }

    /** Opens, unpickles and checks a torch file; any refusal is a one-line {@link PickleException}. */
    public static TorchFile open(Path path) throws IOException {
        if (Files.isDirectory(path)) throw new PickleException(path, "is a directory, not a torch checkpoint");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(path, ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena), arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new PickleException(path, "no such file");
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Reads a torch file from bytes in memory (tests); {@code path} only names it in messages. */
    static TorchFile read(Path path, MemorySegment bytes) {
        Arena arena = Arena.ofShared();
        try {
            return read(path, bytes, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static TorchFile read(Path path, MemorySegment file, Arena arena) {
        Object root = ZipArchive.looksLikeZip(file) ? readZip(path, file, arena) : readLegacy(path, file, arena);
        return new TorchFile(path, arena, root);
    }

    /**
     * True when {@code path} has a torch extension ({@code .ckpt .pt .pth .bin}) and starts like
     * a torch file (a zip archive or the legacy magic number); false when it cannot be read.
     */
    public static boolean isTorchFile(Path path) {
        String name =
                path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(name.substring(dot)) && startsLikeTorch(path);
    }

    /**
     * True when {@code path} is a regular file that starts like a torch file (a zip archive or the
     * legacy magic number), whatever its name; false when it cannot be read.
     */
    public static boolean startsLikeTorch(Path path) {
        if (!Files.isRegularFile(path)) return false;
        byte[] head = new byte[LEGACY_HEAD];
        try (var in = Files.newInputStream(path)) {
            int n = in.readNBytes(head, 0, head.length);
            boolean zip = n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
            return zip || legacyMagicAt(MemorySegment.ofArray(Arrays.copyOf(head, n))) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The file this was opened from, for messages. */
    public Path path() {
        return path;
    }

    /** The unpickled object, as plain Java values (see the class comment). */
    public Object root() {
        return root;
    }

    /** Unmaps the file; tensors' bytes are invalid afterwards. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    // ---- zip format: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/byteorder

    private static Object readZip(Path path, MemorySegment file, Arena arena) {
        ZipArchive zip = ZipArchive.read(path, file, arena);
        String prefix = archivePrefix(path, zip);
        ZipArchive.Entry order = zip.entry(prefix + "byteorder");
        if (order != null && !text(zip.data(order)).equals("little"))
            throw new PickleException(
                    path, "was saved big-endian (byteorder " + Globals.printable(text(zip.data(order))) + ")");
        MemorySegment pickle = zip.data(zip.entry(prefix + "data.pkl"));
        Map<String, ZipArchive.Entry> members = new HashMap<>(); // data/<key>, by key
        String folder = prefix + "data/";
        for (var e : zip.entries().entrySet())
            if (e.getKey().startsWith(folder)) members.put(e.getKey().substring(folder.length()), e.getValue());
        Map<String, TorchStorage> storages = new LinkedHashMap<>();
        PickleMachine machine = new PickleMachine(path, pickle, 0, pickle.byteSize(), pid -> storage(pid, 5, storages));
        Object root = machine.run();
        for (TorchStorage s : storages.values()) {
            if (s.problem() != null) continue;
            ZipArchive.Entry member = members.get(s.key);
            if (member == null) s.fail("is not in the archive");
            else if (s.sizeProblem(member.size()) != null) s.fail(s.sizeProblem(member.size())); // before inflating
            else s.source(() -> zip.data(member));
        }
        prepare(path, root, machine.tensors(), arena, file.byteSize());
        return root;
    }

    /** The one folder holding {@code data.pkl} (torch names it after the file), with its slash. */
    private static String archivePrefix(Path path, ZipArchive zip) {
        String found = null;
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                if (found != null)
                    throw new PickleException(
                            path,
                            "holds two pickles (" + Globals.printable(found) + "data.pkl and " + Globals.printable(name)
                                    + ")");
                found = name.substring(0, slash + 1);
            }
        }
        if (found == null)
            throw new PickleException(path, "is a zip archive without a <folder>/data.pkl (not a torch checkpoint)");
        return found;
    }

    private static String text(MemorySegment bytes) {
        return new String(
                        bytes.asSlice(0, Math.min(bytes.byteSize(), 64)).toArray(ValueLayout.JAVA_BYTE),
                        StandardCharsets.UTF_8)
                .strip();
    }

    // ---- legacy format: magic, protocol, sys info, the object, the storage keys, then each storage

    private static Object readLegacy(Path path, MemorySegment file, Arena arena) {
        if (legacyMagicAt(file) < 0) {
            throw new PickleException(
                    path, "is neither a torch zip archive nor a legacy torch file (unknown magic number)");
        }
        PickleMachine header = new PickleMachine(path, file, 0, file.byteSize(), null);
        if (!LEGACY_MAGIC.equals(header.run())) throw new PickleException(path, "has a broken legacy magic number");
        header = new PickleMachine(path, file, header.position(), file.byteSize(), null);
        if (!Long.valueOf(LEGACY_PROTOCOL).equals(header.run()))
            throw new PickleException(path, "uses a legacy protocol other than 1001");
        header = new PickleMachine(path, file, header.position(), file.byteSize(), null);
        if (header.run() instanceof Map<?, ?> sys && Boolean.FALSE.equals(sys.get("little_endian")))
            throw new PickleException(path, "was saved big-endian");
        Map<String, TorchStorage> storages = new LinkedHashMap<>();
        PickleMachine machine =
                new PickleMachine(path, file, header.position(), file.byteSize(), pid -> storage(pid, 6, storages));
        Object root = machine.run();
        PickleMachine keys = new PickleMachine(path, file, machine.position(), file.byteSize(), null);
        bindLegacy(path, file, keys.run(), keys.position(), storages);
        prepare(path, root, machine.tensors(), arena, file.byteSize());
        return root;
    }

    /**
     * Where the legacy magic number's LONG1 starts: after PROTO 2 to 5 and, from protocol 4, an
     * optional FRAME; -1 when {@code head} does not start like a legacy torch file.
     */
    static int legacyMagicAt(MemorySegment head) {
        long n = head.byteSize();
        if (n < 2 || head.get(ValueLayout.JAVA_BYTE, 0) != (byte) 0x80) return -1;
        int protocol = head.get(ValueLayout.JAVA_BYTE, 1);
        if (protocol < 2 || protocol > 5) return -1;
        int at = 2;
        if (protocol >= 4 && n > at && head.get(ValueLayout.JAVA_BYTE, at) == (byte) 0x95) at += 9;
        if (n < at + LEGACY_MAGIC_BYTES.length) return -1;
        for (int i = 0; i < LEGACY_MAGIC_BYTES.length; i++)
            if (head.get(ValueLayout.JAVA_BYTE, at + i) != LEGACY_MAGIC_BYTES[i]) return -1;
        return at;
    }

    /**
     * After the keys: for each, its element count (int64) and its bytes. A storage of another
     * count than the pickle claims is refused (its bytes are skipped by the file's count); where
     * the walk cannot go on (a key no tensor uses, a key twice, the end of the file) the storages
     * not reached are refused. Only their tensors are, when read.
     */
    private static void bindLegacy(
            Path path, MemorySegment file, Object keys, long at, Map<String, TorchStorage> storages) {
        if (!(keys instanceof List<?> list))
            throw new PickleException(path, "has no list of storage keys after the object");
        Set<String> seen = new HashSet<>();
        String lost = "is not in the file"; // for the storages the walk does not reach
        for (Object k : list) {
            TorchStorage s = k instanceof String key ? storages.get(key) : null;
            if (s == null) {
                lost = "cannot be found: the file's list of storages names one that no tensor uses before it";
                break;
            }
            if (!seen.add(s.key)) {
                lost = "cannot be found: the file's list of storages names storage " + s.name() + " twice before it";
                break;
            }
            long count = file.byteSize() - at < 8
                    ? -1
                    : file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), at);
            long bytes = count < 0 || count > Long.MAX_VALUE / s.elementBytes() ? -1 : count * s.elementBytes();
            if (bytes < 0 || bytes > file.byteSize() - at - 8) {
                s.fail("runs past the end of the file (truncated?)");
                lost = "is past the end of the file (truncated?)";
                break;
            }
            if (count != s.elements) s.fail("holds " + count + " elements but the pickle claims " + s.elements);
            else {
                MemorySegment bytesOfIt = file.asSlice(at + 8, bytes);
                s.source(() -> bytesOfIt);
            }
            at += 8 + bytes;
        }
        for (TorchStorage s : storages.values()) if (!s.bound()) s.fail(lost);
    }

    // ---- shared by both formats

    /** Each tensor's dotted name in the object (its first path), for messages; visits each container once. */
    private static Map<TorchTensor, String> names(Object root) {
        Map<TorchTensor, String> names = new IdentityHashMap<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Map.Entry<Object, String>> todo = new ArrayDeque<>();
        if (root != null) todo.add(Map.entry(root, ""));
        while (!todo.isEmpty()) {
            var e = todo.poll();
            Object o = e.getKey();
            String at = e.getValue();
            if (o instanceof TorchTensor t) names.putIfAbsent(t, Globals.printable(at.isEmpty() ? "<root>" : at));
            if (o == null || !(o instanceof Map<?, ?> || o instanceof Collection<?>) || !seen.add(o)) continue;
            String prefix = at.isEmpty() ? "" : at.length() > 200 ? at : at + "."; // deep nesting: names stay short
            if (o instanceof Map<?, ?> m) {
                for (var kv : m.entrySet())
                    if (kv.getValue() != null)
                        todo.add(Map.entry(
                                kv.getValue(), prefix.length() > 200 ? prefix : prefix + keyText(kv.getKey())));
            } else {
                int i = 0;
                for (Object v : (Collection<?>) o) {
                    if (v != null) todo.add(Map.entry(v, prefix.length() > 200 ? prefix : prefix + i));
                    i++;
                }
            }
        }
        return names;
    }

    /**
     * A key as it reads in a name, cut at 200 characters: building the names must not copy a huge
     * key (one string in the memo, a key of a thousand dicts) once per dict.
     */
    private static String keyText(Object key) {
        StringBuilder b = new StringBuilder();
        appendKey(b, key);
        return b.length() > 200 ? b.substring(0, 200) + "..." : b.toString();
    }

    private static void appendKey(StringBuilder b, Object key) {
        if (b.length() > 200) return;
        if (key instanceof Tuple t) {
            b.append('(');
            for (int i = 0; i < t.size() && b.length() <= 200; i++) {
                if (i > 0) b.append(", ");
                appendKey(b, t.get(i));
            }
            b.append(')');
        } else {
            String s = String.valueOf(key);
            b.append(s, 0, Math.min(s.length(), 201));
        }
    }

    /** A persistent id {@code ('storage', storage class, key, location, numel[, view metadata])}, one storage per key. */
    private static TorchStorage storage(Object pid, int arity, Map<String, TorchStorage> storages) {
        if (!(pid instanceof Tuple t) || t.size() != arity || !"storage".equals(t.get(0)))
            return TorchStorage.broken("its persistent id is not a storage reference");
        if (!(t.get(1) instanceof PythonGlobal g) || Globals.storageClass(g) == null)
            return TorchStorage.broken(
                    "its persistent id names " + PickleMachine.describe(t.get(1)) + " where a storage class belongs");
        if (!(t.get(2) instanceof String key) || !STORAGE_KEY.matcher(key).matches()) {
            return TorchStorage.broken("its storage key \""
                    + (t.get(2) instanceof String s ? Globals.printable(s) : PickleMachine.describe(t.get(2)))
                    + "\" does not name an entry inside the archive");
        }
        if (!(t.get(3) instanceof String)) return TorchStorage.broken("its storage " + key + " has no device location");
        if (!(t.get(4) instanceof Long elements) || elements < 0)
            return TorchStorage.broken("its storage " + key + " has no valid element count");
        if (arity == 6 && t.get(5) != null)
            return TorchStorage.broken(
                    "its storage " + key + " is a storage view (torch before 1.0), which is not read");
        TorchStorage s = new TorchStorage(key, Globals.storageClass(g), elements);
        TorchStorage seen = storages.putIfAbsent(key, s);
        if (seen == null) return s;
        if (seen.cls != s.cls || seen.elements != s.elements)
            return TorchStorage.broken("its storage " + key + " is referred to with two different types or sizes");
        return seen;
    }

    /**
     * Checks every tensor against its storage (bound by now, or found wrong), keeping what is
     * wrong for when its bytes are asked for; copies are made then, of strided or expanded views,
     * and all of them together may not exceed the file's size plus {@link #COPY_SLACK}: views that
     * do not overlap never do, and many views of one storage must not multiply it.
     */
    private static void prepare(Path path, Object root, List<TorchTensor> tensors, Arena arena, long fileSize) {
        TorchTensor.Context context = new TorchTensor.Context(path, arena, fileSize + COPY_SLACK, new Names(root));
        for (TorchTensor t : tensors) t.check(context);
    }

    /** Each tensor's dotted name in the object, found once, when a refusal first needs one. */
    private static final class Names implements Function<TorchTensor, String> {
        private final Object root;
        private Map<TorchTensor, String> names;

        Names(Object root) {
            this.root = root;
        }

        @Override
        public synchronized String apply(TorchTensor t) {
            if (names == null) names = names(root);
            String name = names.get(t);
            if (name != null) return name;
            return t.storageKey() == null ? "<outside the object>" : "on storage " + Globals.printable(t.storageKey());
        }
    }
}
