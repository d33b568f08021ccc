// sdclip OpenCL kernels. Build options set TS (GEMM tile), WG (row work-group size, a power of
// two) and HD_MAX (largest head dimension). F16 weights are read with vload_half, which needs
// no fp16 extension; everything accumulates in float.

#define LOAD_F32(p, i) ((p)[i])
#define LOAD_F16(p, i) vload_half((i), (p))
#define LOAD_BF16(p, i) as_float(((uint) (p)[i]) << 16)

// y[r, o] = b[o] + sum_k x[r, k] * W[o, k]; W is [out, in] in its stored dtype.
// A TS x TS work-group computes a TS x TS tile of y through TS x TS tiles of x and W in local memory.
#define LINEAR(NAME, WTYPE, LOAD)                                                                  \
__kernel void NAME(__global const float* x, __global const WTYPE* w, __global const float* b,      \
                   __global float* y, int rows, int in, int out) {                                 \
    int lo = get_local_id(0), lr = get_local_id(1);                                                \
    int o = get_group_id(0) * TS + lo, r = get_group_id(1) * TS + lr;                              \
    int wrow = get_group_id(0) * TS + lr;                                                          \
    __local float xs[TS][TS + 1];                                                                  \
    __local float ws[TS][TS + 1];                                                                  \
    float acc = 0.0f;                                                                              \
    for (int k0 = 0; k0 < in; k0 += TS) {                                                          \
        int k = k0 + lo;                                                                           \
        xs[lr][lo] = (r < rows && k < in) ? x[(size_t) r * in + k] : 0.0f;                         \
        ws[lr][lo] = (wrow < out && k < in) ? LOAD(w, (size_t) wrow * in + k) : 0.0f;              \
        barrier(CLK_LOCAL_MEM_FENCE);                                                              \
        for (int t = 0; t < TS; t++) acc = fma(xs[lr][t], ws[lo][t], acc);                         \
        barrier(CLK_LOCAL_MEM_FENCE);                                                              \
    }                                                                                              \
    if (r < rows && o < out) y[(size_t) r * out + o] = acc + b[o];                                 \
}

LINEAR(linear_f32, float, LOAD_F32)
LINEAR(linear_f16, half, LOAD_F16)
LINEAR(linear_bf16, ushort, LOAD_BF16)

// One work-group of WG items per row: mean, then variance of centred values, then the affine map.
__kernel void layer_norm(__global const float* x, __global float* y, __global const float* gamma,
                         __global const float* beta, int dim, float eps) {
    int row = get_group_id(0), id = get_local_id(0);
    __global const float* xr = x + (size_t) row * dim;
    __local float part[WG];
    float s = 0.0f;
    for (int i = id; i < dim; i += WG) s += xr[i];
    part[id] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG / 2; h > 0; h >>= 1) {
        if (id < h) part[id] += part[id + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float mean = part[0] / dim;
    barrier(CLK_LOCAL_MEM_FENCE);
    float v = 0.0f;
    for (int i = id; i < dim; i += WG) { float c = xr[i] - mean; v = fma(c, c, v); }
    part[id] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = WG / 2; h > 0; h >>= 1) {
        if (id < h) part[id] += part[id + h];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float inv = rsqrt(part[0] / dim + eps);
    for (int i = id; i < dim; i += WG) y[(size_t) row * dim + i] = (xr[i] - mean) * inv * gamma[i] + beta[i];
}

__kernel void quick_gelu(__global float* a, int n) {
    int i = get_global_id(0);
    if (i < n) { float x = a[i]; a[i] = x / (1.0f + exp(-1.702f * x)); }
}

__kernel void gelu(__global float* a, int n) {
    int i = get_global_id(0);
    if (i < n) { float x = a[i]; a[i] = 0.5f * x * erfc(-x * 0.70710678118654752f); }
}

__kernel void add(__global float* acc, __global const float* x, int n) {
    int i = get_global_id(0);
    if (i < n) acc[i] += x[i];
}

// out[row] = tokens[ids[row]] + positions[row % seq], tables in their stored dtype.
#define EMBED(NAME, WTYPE, LOAD)                                                                   \
__kernel void NAME(__global const int* ids, __global const WTYPE* tok, __global const WTYPE* pos, \
                   __global float* out, int seq, int dim) {                                        \
    int i = get_global_id(0), row = get_global_id(1);                                              \
    if (i >= dim) return;                                                                          \
    out[(size_t) row * dim + i] = LOAD(tok, (size_t) ids[row] * dim + i) + LOAD(pos, (size_t) (row % seq) * dim + i); \
}

EMBED(embed_f32, float, LOAD_F32)
EMBED(embed_f16, half, LOAD_F16)
EMBED(embed_bf16, ushort, LOAD_BF16)

// Attention, fused: one work-item per (sequence, head, query). Scores against keys 0..i when
// causal, else all keys, with an online softmax (running max and sum), so no score array is needed.
__kernel void attention(__global const float* qkv, __global float* out, int seq, int heads, int hd, int causal) {
    int i = get_global_id(0), h = get_global_id(1), b = get_global_id(2);
    if (i >= seq) return;
    int width = heads * hd, stride = 3 * width;
    __global const float* base = qkv + (size_t) b * seq * stride;
    __global const float* q = base + (size_t) i * stride + h * hd;
    float scale = rsqrt((float) hd);
    float acc[HD_MAX];
    for (int d = 0; d < hd; d++) acc[d] = 0.0f;
    float m = -INFINITY, l = 0.0f;
    int keys = causal ? i + 1 : seq;
    for (int j = 0; j < keys; j++) {
        __global const float* k = base + (size_t) j * stride + width + h * hd;
        __global const float* v = base + (size_t) j * stride + 2 * width + h * hd;
        float s = 0.0f;
        for (int d = 0; d < hd; d++) s = fma(q[d], k[d], s);
        s *= scale;
        float mn = fmax(m, s), corr = exp(m - mn), p = exp(s - mn);
        l = l * corr + p;
        for (int d = 0; d < hd; d++) acc[d] = fma(p, v[d], acc[d] * corr);
        m = mn;
    }
    __global float* o = out + ((size_t) b * seq + i) * width + h * hd;
    for (int d = 0; d < hd; d++) o[d] = acc[d] / l;
}
