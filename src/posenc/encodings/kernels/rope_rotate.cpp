// RoPE rotation in one pass over x, for float32 and bf16, half and interleaved layouts:
//
//   y₁ = x₁ cos(m θ_i) − x₂ sin(m θ_i),   y₂ = x₂ cos(m θ_i) + x₁ sin(m θ_i),   features ≥ 2·half copied
//
// with pair i = features (i, i + half) ("half" layout) or (2i, 2i + 1) ("interleaved"). bf16 values are
// widened to float32 (a 16-bit shift), rotated in float32 and rounded once to bf16 (nearest even, NaN
// kept: c10::BFloat16's rounding); an interleaved bf16 pair is read and written as one 32-bit word.
//
// x: [b, n_h, s, h_d] with contiguous features and any other strides; y: the same, contiguous;
// cos, sin: float32 [tables, s, half] (one table per batch element, or one for all).
// Built and loaded by posenc/encodings/kernels/native.py (plain C ABI, called through ctypes).
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

inline float bits_to_float(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint32_t round_to_bf16(float f) {  // nearest even; NaN -> 0x7FC0 (whatever its payload)
    uint32_t u;
    std::memcpy(&u, &f, 4);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    return f != f ? 0x7FC0u : rounded;
}

struct Bf16 {
    using Storage = uint16_t;
    static float load(const uint16_t* p) { return bits_to_float(static_cast<uint32_t>(*p) << 16); }
    static void store(uint16_t* p, float v) { *p = static_cast<uint16_t>(round_to_bf16(v)); }
};

struct F32 {
    using Storage = float;
    static float load(const float* p) { return *p; }
    static void store(float* p, float v) { *p = v; }
};

struct Rows {  // where row r = (batch · n_h + head) · s + position of x, y and the tables is
    int64_t n_h, s, h_d, half;
    int64_t x_batch, x_head, x_pos;  // x's strides in elements (its features are contiguous)
    int64_t table_batch;             // elements between the tables of two batch elements (0: shared)
    int64_t x(int64_t r) const { return (r / (n_h * s)) * x_batch + (r / s % n_h) * x_head + (r % s) * x_pos; }
    int64_t table(int64_t r) const { return (r / (n_h * s)) * table_batch + (r % s) * half; }
};

// the pairs of one row: y = R(θ) x for pair i = 0 … half − 1 (c, sn: that row's table)
template <typename T, bool interleaved>
struct Pairs {
    using Elem = typename T::Storage;
    static void rotate(const Elem* xr, Elem* yr, const float* c, const float* sn, int64_t half) {
        const int64_t second = interleaved ? 1 : half;  // offset of a pair's second member
        const int64_t step = interleaved ? 2 : 1;       // distance between consecutive pairs
        for (int64_t i = 0; i < half; ++i) {
            const float x1 = T::load(xr + step * i), x2 = T::load(xr + step * i + second);
            T::store(yr + step * i, x1 * c[i] - x2 * sn[i]);
            T::store(yr + step * i + second, x2 * c[i] + x1 * sn[i]);
        }
    }
};

// interleaved bf16: a pair is one little-endian 32-bit word, feature 2i in its low 16 bits
struct Bf16PairWords {
    using Elem = uint16_t;
    static void rotate(const uint16_t* xr, uint16_t* yr, const float* c, const float* sn, int64_t half) {
        for (int64_t i = 0; i < half; ++i) {
            uint32_t pair;
            std::memcpy(&pair, xr + 2 * i, 4);
            const float x1 = bits_to_float(pair << 16), x2 = bits_to_float(pair & 0xFFFF0000u);
            const uint32_t out =
                round_to_bf16(x1 * c[i] - x2 * sn[i]) | (round_to_bf16(x2 * c[i] + x1 * sn[i]) << 16);
            std::memcpy(yr + 2 * i, &out, 4);
        }
    }
};

// rows [begin, end): each row's pairs rotated, its features ≥ 2·half copied; y is contiguous
template <typename P>
void rotate_rows(const typename P::Elem* x, typename P::Elem* y, const float* cos, const float* sin, Rows g,
                 int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
        const auto* xr = x + g.x(r);
        auto* yr = y + r * g.h_d;
        P::rotate(xr, yr, cos + g.table(r), sin + g.table(r), g.half);
        if (2 * g.half < g.h_d) std::memcpy(yr + 2 * g.half, xr + 2 * g.half, (g.h_d - 2 * g.half) * sizeof(*xr));
    }
}

template <typename Kernel, typename Elem>
int run(Kernel rows, const Elem* x, Elem* y, const float* cos, const float* sin, const int64_t* dims,
        int64_t threads) {
    // dims: b, n_h, s, h_d, half, x's strides of batch, head and position, the tables' batch stride
    const Rows g{dims[1], dims[2], dims[3], dims[4], dims[5], dims[6], dims[7], dims[8]};
    const int64_t n_rows = dims[0] * g.n_h * g.s;
    if (threads > n_rows) threads = n_rows;
    if (threads < 1) threads = 1;
    const int64_t per = (n_rows + threads - 1) / threads;
    std::vector<std::thread> pool;
    for (int64_t k = 1; k < threads; ++k) {
        const int64_t begin = k * per, end = begin + per < n_rows ? begin + per : n_rows;
        if (begin < end) pool.emplace_back(rows, x, y, cos, sin, g, begin, end);
    }
    rows(x, y, cos, sin, g, 0, per < n_rows ? per : n_rows);
    for (auto& worker : pool) worker.join();
    return 0;
}

}  // namespace

#define POSENC_ROPE_ENTRY(name, elem, rows)                                                                 \
    extern "C" int name(const elem* x, elem* y, const float* cos, const float* sin, const int64_t* dims,      \
                        int64_t threads) {                                                                     \
        return run(rows, x, y, cos, sin, dims, threads);                                                       \
    }

POSENC_ROPE_ENTRY(posenc_rope_bf16_interleaved, uint16_t, rotate_rows<Bf16PairWords>)
POSENC_ROPE_ENTRY(posenc_rope_bf16_half, uint16_t, (rotate_rows<Pairs<Bf16, false>>))
POSENC_ROPE_ENTRY(posenc_rope_f32_interleaved, float, (rotate_rows<Pairs<F32, true>>))
POSENC_ROPE_ENTRY(posenc_rope_f32_half, float, (rotate_rows<Pairs<F32, false>>))
