package sdclip.engine.opencl;

import static org.jocl.CL.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.jocl.cl_queue_properties;
import sdclip.engine.Activation;
import sdclip.engine.Backend;
import sdclip.engine.DType;
import sdclip.engine.DeviceException;
import sdclip.engine.Weights;
import sdclip.engine.support.LinearShapes;

/**
 * The engine on an OpenCL device through JOCL. Weights are uploaded once, when prepared, as the
 * bytes they are stored in: F16 and BF16 as 16-bit values, block-quantized ones (every ggml type
 * sdclip reads, Q8_0 to Q6_K) as their ggml blocks, which the linear and embedding kernels
 * dequantize element by element where they read them, with ggml's arithmetic; the host
 * dequantizes nothing, so no F32 copy of a quantized model exists on either side. Only the small
 * tensors (biases, layer norms, position embeddings) go up as F32. Activations live on the device
 * from the embedding to the outputs, and only {@link #read} brings values back. One command queue,
 * the program built once, kernels created once; every call is serialised (JOCL kernel arguments
 * are shared state). {@link #close} releases every OpenCL object, including activations the
 * caller never released; after it, every call but {@code close} and {@code release} throws
 * {@link IllegalStateException}.
 */
public final class OpenClBackend implements Backend {
    private static final int UPLOAD_CHUNK = 4 << 20;
    private static final int HD_MAX = 256;

    private final OpenCl.Device device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    /** Every buffer this backend created and still holds: weights, activations handed out, pooled ones. */
    private final Set<cl_mem> live = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Released activation buffers by size in floats, handed out again by {@link #allocate}. */
    private final Map<Integer, ArrayDeque<cl_mem>> free = new HashMap<>();

    private final int ts, wg;
    private boolean closed;

    private static final class ClActivation extends Activation {
        cl_mem mem;

        ClActivation(int size, cl_mem mem) {
            super(size);
            this.mem = mem;
        }
    }

    private record ClLinear(cl_mem w, cl_mem bias, DType dtype, int in, int out) implements Linear {}

    private record ClNorm(cl_mem gamma, cl_mem beta, int dim, float eps) implements Norm {}

    private record ClEmbedding(cl_mem tokens, cl_mem positions, DType dtype, int vocab, int context, int dim)
            implements Embedding {}

    /** Opens {@code opencl} (first GPU, else first device) or {@code opencl:P:D}. */
    public OpenClBackend(String spec) {
        this(OpenCl.select(spec));
    }

    public OpenClBackend(OpenCl.Device device) {
        this.device = device;
        // Tiles and row work-groups from the device's limit: 16 x 16 = 256 items where allowed.
        this.ts = device.maxWorkGroupSize() >= 256 ? 16 : device.maxWorkGroupSize() >= 64 ? 8 : 4;
        this.wg = (int) Math.min(256, Long.highestOneBit(device.maxWorkGroupSize()));
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, device.platformId());
        this.context = clCreateContext(props, 1, new org.jocl.cl_device_id[] {device.id()}, null, null, null);
        cl_command_queue q;
        try {
            q = clCreateCommandQueueWithProperties(context, device.id(), new cl_queue_properties(), null);
        } catch (CLException | UnsupportedOperationException e) {
            q = openCl1Queue(context, device.id());
        }
        this.queue = q;
        this.program = clCreateProgramWithSource(context, 1, new String[] {source()}, null, null);
        String options = "-cl-std=CL1.2 -DTS=" + ts + " -DWG=" + wg + " -DHD_MAX=" + HD_MAX;
        try {
            clBuildProgram(program, 0, null, options, null, null);
        } catch (CLException e) {
            throw new DeviceException("OpenCL program failed to build on " + device.name() + ": "
                    + buildLog().replace('\n', ' '));
        }
        for (String k : new String[] {"layer_norm", "quick_gelu", "gelu", "add", "attention"})
            kernels.put(k, clCreateKernel(program, k, null));
        for (DType d : DType.values()) {
            for (String k : new String[] {"linear_" + suffix(d), "embed_" + suffix(d)})
                kernels.put(k, clCreateKernel(program, k, null));
        }
    }

    /** An OpenCL 1.x device has no clCreateCommandQueueWithProperties: the deprecated call is the only one there. */
    @SuppressWarnings("deprecation")
    private static cl_command_queue openCl1Queue(cl_context context, org.jocl.cl_device_id device) {
        return clCreateCommandQueue(context, device, 0, null);
    }

    private static String source() {
        try (InputStream in = OpenClBackend.class.getResourceAsStream("/sdclip/engine/opencl/kernels.cl")) {
            if (in == null) throw new IllegalStateException("kernels.cl is missing from the sdclip jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernels.cl: " + e.getMessage());
        }
    }

    private String buildLog() {
        long[] size = new long[1];
        clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, 0, null, size);
        byte[] b = new byte[(int) size[0]];
        clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, b.length, Pointer.to(b), null);
        return new String(b, StandardCharsets.UTF_8).strip();
    }

    public OpenCl.Device device() {
        return device;
    }

    @Override
    public String name() {
        return "opencl:" + device.platform() + ":" + device.index() + " (" + device.name() + ")";
    }

    @Override
    public int threads() {
        return device.computeUnits();
    }

    /** A buffer of {@code size} floats: a released one of that size when there is one (forward passes repeat their shapes). */
    @Override
    public synchronized Activation allocate(int size) {
        requireOpen();
        ArrayDeque<cl_mem> pool = free.get(size);
        cl_mem m = pool == null || pool.isEmpty()
                ? created(clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(4L, size * 4L), null, null))
                : pool.pop();
        return new ClActivation(size, m);
    }

    /** Pools the buffer for the next {@link #allocate} of its size; after {@link #close}, only forgets it (close freed it). */
    @Override
    public synchronized void release(Activation a) {
        ClActivation c = (ClActivation) a;
        if (c.mem != null && !closed)
            free.computeIfAbsent(c.size(), k -> new ArrayDeque<>()).push(c.mem);
        c.mem = null;
    }

    private cl_mem created(cl_mem m) {
        live.add(m);
        return m;
    }

    /** Device buffers this backend holds now (weights, activations out or pooled); 0 once closed. */
    synchronized int liveBuffers() {
        return live.size();
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("the OpenCL backend on " + device.name() + " is closed");
    }

    private cl_mem mem(Activation a) {
        requireOpen();
        cl_mem m = ((ClActivation) a).mem;
        if (m == null) throw new IllegalStateException("activation already released");
        return m;
    }

    @Override
    public synchronized void write(float[] src, int srcOff, Activation dst, int dstOff, int count) {
        requireOpen();
        if (count > 0)
            clEnqueueWriteBuffer(
                    queue,
                    mem(dst),
                    CL_TRUE,
                    dstOff * 4L,
                    count * 4L,
                    Pointer.to(src).withByteOffset(srcOff * 4L),
                    0,
                    null,
                    null);
    }

    @Override
    public synchronized void read(Activation src, int srcOff, float[] dst, int dstOff, int count) {
        requireOpen();
        if (count > 0)
            clEnqueueReadBuffer(
                    queue,
                    mem(src),
                    CL_TRUE,
                    srcOff * 4L,
                    count * 4L,
                    Pointer.to(dst).withByteOffset(dstOff * 4L),
                    0,
                    null,
                    null);
    }

    @Override
    public synchronized void copy(Activation src, int srcOff, Activation dst, int dstOff, int count) {
        requireOpen();
        if (count > 0)
            clEnqueueCopyBuffer(queue, mem(src), mem(dst), srcOff * 4L, dstOff * 4L, count * 4L, 0, null, null);
    }

    /** A read-only device buffer holding the given blocks' bytes back to back, uploaded in chunks (little heap). */
    private cl_mem upload(List<MemorySegment> blocks) {
        long total = blocks.stream().mapToLong(MemorySegment::byteSize).sum();
        requireOpen();
        cl_mem m = created(clCreateBuffer(context, CL_MEM_READ_ONLY, Math.max(4, total), null, null));
        ByteBuffer chunk = ByteBuffer.allocateDirect((int) Math.min(UPLOAD_CHUNK, Math.max(4, total)))
                .order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment staging = MemorySegment.ofBuffer(chunk);
        long offset = 0;
        for (MemorySegment block : blocks) {
            for (long pos = 0; pos < block.byteSize(); pos += chunk.capacity()) {
                long n = Math.min(chunk.capacity(), block.byteSize() - pos);
                MemorySegment.copy(block, pos, staging, 0, n);
                clEnqueueWriteBuffer(queue, m, CL_TRUE, offset, n, Pointer.to(chunk), 0, null, null);
                offset += n;
            }
        }
        return m;
    }

    /** Weights as their kernels read them: the stored bytes of each part, back to back. */
    private cl_mem uploadWeights(List<Weights> parts) {
        return upload(parts.stream().map(Weights::segment).toList());
    }

    /** The size in bytes of a device buffer. */
    private static long bytes(cl_mem m) {
        long[] size = new long[1];
        clGetMemObjectInfo(m, CL_MEM_SIZE, Sizeof.size_t, Pointer.to(size), null);
        return size[0];
    }

    /** Bytes of a prepared linear's weight buffer on the device (for tests: the stored size, not F32's). */
    synchronized long weightBytes(Linear l) {
        requireOpen();
        return bytes(((ClLinear) l).w);
    }

    /** Bytes of a prepared embedding's token table on the device (for tests, as {@link #weightBytes}). */
    synchronized long tokenBytes(Embedding e) {
        requireOpen();
        return bytes(((ClEmbedding) e).tokens);
    }

    private cl_mem uploadFloats(List<Weights> parts, int count) {
        float[] all = new float[count];
        int o = 0;
        for (Weights w : parts) {
            w.copyTo(0, all, o, (int) w.size());
            o += (int) w.size();
        }
        return upload(List.of(MemorySegment.ofArray(toBytes(all))));
    }

    private static byte[] toBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    @Override
    public synchronized Linear prepareLinear(List<Weights> weightRows, List<Weights> biasRows, int in) {
        int out = LinearShapes.outRows(weightRows, biasRows, in);
        DType dtype = weightRows.getFirst().dtype();
        for (Weights w : weightRows)
            if (w.dtype() != dtype)
                throw new IllegalArgumentException("fused linear mixes " + dtype + " and " + w.dtype());
        cl_mem w = uploadWeights(weightRows);
        cl_mem b = biasRows.isEmpty()
                ? uploadFloats(List.of(Weights.ofFloats(new float[out])), out)
                : uploadFloats(biasRows, out);
        return new ClLinear(w, b, dtype, in, out);
    }

    @Override
    public synchronized Norm prepareNorm(Weights gamma, Weights beta, int dim, float eps) {
        LinearShapes.requireSize("layer norm weight", gamma, dim);
        LinearShapes.requireSize("layer norm bias", beta, dim);
        return new ClNorm(uploadFloats(List.of(gamma), dim), uploadFloats(List.of(beta), dim), dim, eps);
    }

    @Override
    public synchronized Embedding prepareEmbedding(Weights tokens, Weights positions, int vocab, int context, int dim) {
        LinearShapes.requireSize("token embedding", tokens, (long) vocab * dim);
        LinearShapes.requireSize("position embedding", positions, (long) context * dim);
        // Positions go up as F32 (context x dim, small), so the tables' dtypes may differ: a vision
        // tower's F32 class table comes with its file's F16 or Q8_0 positions.
        return new ClEmbedding(
                uploadWeights(List.of(tokens)),
                uploadFloats(List.of(positions), context * dim),
                tokens.dtype(),
                vocab,
                context,
                dim);
    }

    private cl_kernel kernel(String name, Object... args) {
        cl_kernel k = kernels.get(name);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case cl_mem m -> clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
                case Integer v -> clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
                case Float v -> clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
                default -> throw new IllegalArgumentException("kernel argument " + args[i]);
            }
        }
        return k;
    }

    private void run(cl_kernel k, long[] global, long[] local) {
        clEnqueueNDRangeKernel(queue, k, global.length, null, global, local, 0, null, null);
    }

    private static long roundUp(long n, long m) {
        return (n + m - 1) / m * m;
    }

    /** The kernels' name suffix of a dtype: {@code f16}, {@code q4_k}... (every dtype has its linear and embedding). */
    private static String suffix(DType d) {
        return d.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized void linear(Linear w, Activation x, int rows, Activation y) {
        ClLinear l = (ClLinear) w;
        run(
                kernel("linear_" + suffix(l.dtype), mem(x), l.w, l.bias, mem(y), rows, l.in, l.out),
                new long[] {roundUp(l.out, ts), roundUp(rows, ts)},
                new long[] {ts, ts});
    }

    @Override
    public synchronized void layerNorm(Norm n, Activation x, int rows, Activation y) {
        ClNorm p = (ClNorm) n;
        requireOpen();
        if (rows > 0)
            run(
                    kernel("layer_norm", mem(x), mem(y), p.gamma, p.beta, p.dim, p.eps),
                    new long[] {(long) rows * wg},
                    new long[] {wg});
    }

    @Override
    public synchronized void quickGelu(Activation x, int n) {
        elementwise("quick_gelu", n, mem(x), n);
    }

    @Override
    public synchronized void gelu(Activation x, int n) {
        elementwise("gelu", n, mem(x), n);
    }

    @Override
    public synchronized void add(Activation acc, Activation x, int n) {
        elementwise("add", n, mem(acc), mem(x), n);
    }

    private void elementwise(String name, int n, Object... args) {
        requireOpen();
        if (n > 0) run(kernel(name, args), new long[] {roundUp(n, 64)}, null);
    }

    @Override
    public synchronized void embed(Embedding e, int[] ids, int batch, int seq, Activation out) {
        ClEmbedding p = (ClEmbedding) e;
        requireOpen();
        LinearShapes.checkIds(ids, batch, seq, p.vocab, p.context);
        cl_mem idBuf = clCreateBuffer(
                context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, (long) batch * seq * 4, Pointer.to(ids), null);
        try {
            run(
                    kernel("embed_" + suffix(p.dtype), idBuf, p.tokens, p.positions, mem(out), seq, p.dim),
                    new long[] {roundUp(p.dim, 64), (long) batch * seq},
                    null);
            clFinish(queue);
        } finally {
            clReleaseMemObject(idBuf);
        }
    }

    @Override
    public synchronized void attention(
            Activation qkv, int batch, int seq, int heads, int headDim, boolean causal, Activation out) {
        requireOpen();
        if (headDim > HD_MAX)
            throw new IllegalArgumentException("head dimension " + headDim + " exceeds the OpenCL kernel's " + HD_MAX);
        run(
                kernel("attention", mem(qkv), mem(out), seq, heads, headDim, causal ? 1 : 0),
                new long[] {seq, heads, batch},
                null);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        live.forEach(CL::clReleaseMemObject); // pooled and unreleased activations too
        live.clear();
        free.clear();
        kernels.values().forEach(CL::clReleaseKernel);
        clReleaseProgram(program);
        clReleaseCommandQueue(queue);
        clReleaseContext(context);
    }
}
