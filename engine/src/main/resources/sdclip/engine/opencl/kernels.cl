// sdclip OpenCL kernels. Build options set TS (GEMM tile), WG (row work-group size, a power of
// two) and HD_MAX (largest head dimension). F16 weights are read with vload_half, which needs
// no fp16 extension; block-quantized weights stay in ggml's blocks and each element is
// dequantized where it is read (LOAD_Q* below); everything accumulates in float.

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

// out[row] = tokens[ids[row]] + positions[row % seq]; the token table in its stored dtype, the
// (small) position table in F32.
#define EMBED(NAME, WTYPE, LOAD)                                                                   \
__kernel void NAME(__global const int* ids, __global const WTYPE* tok, __global const float* pos, \
                   __global float* out, int seq, int dim) {                                        \
    int i = get_global_id(0), row = get_global_id(1);                                              \
    if (i >= dim) return;                                                                          \
    out[(size_t) row * dim + i] = LOAD(tok, (size_t) ids[row] * dim + i) + pos[(size_t) (row % seq) * dim + i]; \
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

// Block-quantized weights: the buffer holds ggml's blocks back to back, and LOAD_Q*(w, i) is
// element i (counted over the whole buffer) with the arithmetic of ggml's dequantize_row_* in
// its order, so each value is the CPU's float. Contraction is off from here on: a product
// followed by a sum or difference must round twice, as ggml's C does, never fuse into an fma.
#pragma OPENCL FP_CONTRACT OFF

float f16_at(__global const uchar* p) { return vload_half(0, (__global const half*) p); }

// A 4-bit quant of a 32-value block: low nibbles of q[0..15] are values 0-15, high nibbles 16-31.
int nibble32(__global const uchar* q, int j) { return j < 16 ? q[j] & 15 : q[j - 16] >> 4; }

// Scale (min == 0) or minimum (min == 1) j of a K-quant's 12 packed 6-bit values (get_scale_min_k4).
int scale_min_k4(__global const uchar* s, int j, int min) {
    if (j < 4) return s[j + 4 * min] & 63;
    int low = min ? s[j + 4] >> 4 : s[j + 4] & 15;
    return low | ((s[j - 4 * (1 - min)] >> 6) << 4);
}

// d (F16), 32 signed bytes; value = q d.
float LOAD_Q8_0(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 32 * 34;
    return (float) ((char) p[2 + i % 32]) * f16_at(p);
}

// d (F16), 16 bytes of nibbles; value = (q - 8) d.
float LOAD_Q4_0(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 32 * 18;
    return (float) (nibble32(p + 2, i % 32) - 8) * f16_at(p);
}

// d, m (F16), 16 bytes of nibbles; value = q d + m.
float LOAD_Q4_1(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 32 * 20;
    return (float) nibble32(p + 4, i % 32) * f16_at(p) + f16_at(p + 2);
}

// Bit j of the little-endian 32 bits at p, as the fifth bit (16) of a 5-bit quant.
int fifth_bit(__global const uchar* p, int j) { return ((p[j / 8] >> (j % 8)) & 1) << 4; }

// d (F16), 32 high bits, 16 bytes of nibbles; value = (q - 16) d.
float LOAD_Q5_0(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 32 * 22;
    int j = i % 32;
    return (float) ((nibble32(p + 6, j) | fifth_bit(p + 2, j)) - 16) * f16_at(p);
}

// d, m (F16), 32 high bits, 16 bytes of nibbles; value = q d + m.
float LOAD_Q5_1(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 32 * 24;
    int j = i % 32;
    return (float) (nibble32(p + 8, j) | fifth_bit(p + 4, j)) * f16_at(p) + f16_at(p + 2);
}

// scales[16] (4-bit scale, 4-bit min), qs[64] (2-bit), d, dmin (F16); value = (d sc) q - (dmin m).
float LOAD_Q2_K(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 256 * 84;
    int j = i % 256, sc = p[j / 16];
    float dl = f16_at(p + 80) * (float) (sc & 15), ml = f16_at(p + 82) * (float) (sc >> 4);
    int q = (p[16 + 32 * (j / 128) + j % 32] >> (2 * (j % 128 / 32))) & 3;
    return dl * (float) q - ml;
}

// hmask[32], qs[64] (low 2 bits), scales[12] (6-bit, packed), d (F16); value = (d (sc - 32)) (q - 4
// unless the high bit is set).
float LOAD_Q3_K(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 256 * 110;
    int j = i % 256, is = j / 16, g = is / 4, b = is % 4;
    int low = p[96 + (g & 1) * 4 + b], high = (p[104 + b] >> (2 * g)) & 3;
    int sc = (g < 2 ? low & 15 : low >> 4) | (high << 4);
    float dl = f16_at(p + 108) * (float) (sc - 32);
    int q = (p[32 + 32 * (j / 128) + j % 32] >> (2 * (j % 128 / 32))) & 3;
    return dl * (float) (q - ((p[j % 32] >> (j / 32)) & 1 ? 0 : 4));
}

// d, dmin (F16), scales[12], qs[128] (4-bit, 64 values per 32 bytes); value = (d sc) q - (dmin m).
float LOAD_Q4_K(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 256 * 144;
    int j = i % 256, group = j / 32, qb = p[16 + 32 * (j / 64) + j % 32];
    float d = f16_at(p) * (float) scale_min_k4(p + 4, group, 0);
    float m = f16_at(p + 2) * (float) scale_min_k4(p + 4, group, 1);
    return d * (float) (group & 1 ? qb >> 4 : qb & 15) - m;
}

// d, dmin (F16), scales[12], qh[32] (fifth bits), qs[128] (low nibbles); value = (d sc) q - (dmin m).
float LOAD_Q5_K(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 256 * 176;
    int j = i % 256, group = j / 32, qb = p[48 + 32 * (j / 64) + j % 32];
    float d = f16_at(p) * (float) scale_min_k4(p + 4, group, 0);
    float m = f16_at(p + 2) * (float) scale_min_k4(p + 4, group, 1);
    int q = (group & 1 ? qb >> 4 : qb & 15) + ((p[16 + j % 32] >> group) & 1 ? 16 : 0);
    return d * (float) q - m;
}

// ql[128] (low nibbles), qh[64] (2 high bits), scales[16] (signed bytes), d (F16); value = (d sc) (q - 32).
float LOAD_Q6_K(__global const uchar* w, size_t i) {
    __global const uchar* p = w + i / 256 * 210;
    int j = i % 256, n = j / 128, quarter = j % 128 / 32, l = j % 32;
    int lo = p[64 * n + l + 32 * (quarter & 1)];
    int q = ((quarter < 2 ? lo & 15 : lo >> 4) | (((p[128 + 32 * n + l] >> (2 * quarter)) & 3) << 4)) - 32;
    float sc = (float) ((char) p[192 + 8 * n + l / 16 + 2 * quarter]);
    return f16_at(p + 208) * sc * (float) q;
}

LINEAR(linear_q8_0, uchar, LOAD_Q8_0)
LINEAR(linear_q4_0, uchar, LOAD_Q4_0)
LINEAR(linear_q4_1, uchar, LOAD_Q4_1)
LINEAR(linear_q5_0, uchar, LOAD_Q5_0)
LINEAR(linear_q5_1, uchar, LOAD_Q5_1)
LINEAR(linear_q2_k, uchar, LOAD_Q2_K)
LINEAR(linear_q3_k, uchar, LOAD_Q3_K)
LINEAR(linear_q4_k, uchar, LOAD_Q4_K)
LINEAR(linear_q5_k, uchar, LOAD_Q5_K)
LINEAR(linear_q6_k, uchar, LOAD_Q6_K)

EMBED(embed_q8_0, uchar, LOAD_Q8_0)
EMBED(embed_q4_0, uchar, LOAD_Q4_0)
EMBED(embed_q4_1, uchar, LOAD_Q4_1)
EMBED(embed_q5_0, uchar, LOAD_Q5_0)
EMBED(embed_q5_1, uchar, LOAD_Q5_1)
EMBED(embed_q2_k, uchar, LOAD_Q2_K)
EMBED(embed_q3_k, uchar, LOAD_Q3_K)
EMBED(embed_q4_k, uchar, LOAD_Q4_K)
EMBED(embed_q5_k, uchar, LOAD_Q5_K)
EMBED(embed_q6_k, uchar, LOAD_Q6_K)
