// RoPE rotation of interleaved bf16 pairs in one pass: read a pair as one 32-bit word, widen both
// halves to float32, rotate, round each to bf16 (nearest even, NaN kept), write the pair back.
//
//   y[2i]   = x[2i] cos(m θ_i) − x[2i+1] sin(m θ_i)
//   y[2i+1] = x[2i+1] cos(m θ_i) + x[2i] sin(m θ_i)        features ≥ 2·half copied unchanged
//
// x, y: rows of h_d bf16 values (uint16 bits), row r = ((batch · n_h + head) · s + position);
// cos, sin: float32 [batches_of_table, s, half], batch stride table_batch_stride (0: one table).
// Built and loaded by posenc/encodings/rope_native.py (plain C ABI, called through ctypes).
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

inline float widen_low(uint32_t pair) {  // feature 2i: the low 16 bits (little-endian pair)
    const uint32_t bits = pair << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline float widen_high(uint32_t pair) {  // feature 2i + 1: the high 16 bits
    const uint32_t bits = pair & 0xFFFF0000u;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

inline uint32_t round_to_bf16(float f) {  // c10::BFloat16's rounding: nearest even, NaN -> 0x7FC0
    uint32_t u;
    std::memcpy(&u, &f, 4);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    return f != f ? 0x7FC0u : rounded;
}

void rotate_rows(const uint16_t* x, uint16_t* y, const float* cos, const float* sin, int64_t row_begin,
                 int64_t row_end, int64_t s, int64_t rows_per_batch, int64_t table_batch_stride,
                 int64_t h_d, int64_t half) {
    for (int64_t r = row_begin; r < row_end; ++r) {
        const int64_t table_row = (r / rows_per_batch) * table_batch_stride + (r % s) * half;
        const float* c = cos + table_row;
        const float* sn = sin + table_row;
        const uint16_t* xr = x + r * h_d;
        uint16_t* yr = y + r * h_d;
        for (int64_t i = 0; i < half; ++i) {
            uint32_t pair;
            std::memcpy(&pair, xr + 2 * i, 4);
            const float x1 = widen_low(pair), x2 = widen_high(pair);
            const float y1 = x1 * c[i] - x2 * sn[i];
            const float y2 = x2 * c[i] + x1 * sn[i];
            const uint32_t out = round_to_bf16(y1) | (round_to_bf16(y2) << 16);
            std::memcpy(yr + 2 * i, &out, 4);
        }
        if (2 * half < h_d) std::memcpy(yr + 2 * half, xr + 2 * half, (h_d - 2 * half) * sizeof(uint16_t));
    }
}

}  // namespace

extern "C" int posenc_rope_bf16_pairs(const uint16_t* x, uint16_t* y, const float* cos, const float* sin,
                                      int64_t n_rows, int64_t s, int64_t rows_per_batch,
                                      int64_t table_batch_stride, int64_t h_d, int64_t half, int64_t threads) {
    if (threads < 1) threads = 1;
    if (threads > n_rows) threads = n_rows > 0 ? n_rows : 1;
    std::vector<std::thread> pool;
    const int64_t per = (n_rows + threads - 1) / threads;
    for (int64_t t = 1; t < threads; ++t) {
        const int64_t begin = t * per, end = begin + per < n_rows ? begin + per : n_rows;
        if (begin < end)
            pool.emplace_back(rotate_rows, x, y, cos, sin, begin, end, s, rows_per_batch, table_batch_stride,
                              h_d, half);
    }
    rotate_rows(x, y, cos, sin, 0, per < n_rows ? per : n_rows, s, rows_per_batch, table_batch_stride, h_d, half);
    for (auto& worker : pool) worker.join();
    return 0;
}
