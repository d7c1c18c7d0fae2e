// random.cpp — CPU random(): uniform, normal and integer samples from Philox 4x32-10 (contract in cpu.h,
// stream layout in native/kernels/philox.h). Each counter block yields per_block consecutive elements,
// so blocks are independent and the loop is split across threads with the same result for any count.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../kernels/philox.h"
#include "cpu.h"

namespace td::cpu {
namespace {

// Fills o[0..n) block by block: gen(words, vals) writes the PB values of one block.
template <int PB, typename T, typename Gen>
void fill_blocks(T* o, int64_t n, uint64_t seed, uint64_t offset, Gen gen) {
  const int64_t nblocks = (n + PB - 1) / PB;
  parallel_for(nblocks, worth_parallel(n, 16), [&](int64_t blk) {
    T vals[PB];
    gen(kern::philox_block(seed, offset, static_cast<uint64_t>(blk)), vals);
    const int64_t i0 = blk * PB;
    const int cnt = static_cast<int>(std::min<int64_t>(PB, n - i0));
    for (int k = 0; k < cnt; k++) o[i0 + k] = vals[k];
  });
}

// The integer range [lo, lo + count) of the integers in [a, b).
void int_range(double a, double b, double max_count, int64_t& lo, uint64_t& count) {
  const double l = std::ceil(a), h = std::ceil(b);
  if (!(l >= -9.0e18 && h <= 9.0e18)) throw std::invalid_argument("random: integer bounds out of range");
  if (!(h > l)) throw std::invalid_argument("random: empty integer range [a, b)");
  if (h - l > max_count) throw std::invalid_argument("random: integer range too large for this dtype");
  lo = static_cast<int64_t>(l);
  count = static_cast<uint64_t>(static_cast<int64_t>(h) - lo);
}

void random_f32(float* o, int64_t n, int dist, uint64_t seed, uint64_t offset, double a, double b) {
  switch (dist) {
    case 0:
      return fill_blocks<4>(o, n, seed, offset, [=](const kern::Philox4& w, float* v) {
        for (int k = 0; k < 4; k++)
          v[k] = static_cast<float>(kern::uniform_scale(static_cast<double>(kern::uniform_f32(w.v[k])), a, b));
      });
    case 1: {
      const float mean = static_cast<float>(a), sd = static_cast<float>(b);
      return fill_blocks<4>(o, n, seed, offset, [=](const kern::Philox4& w, float* v) {
        float z[4];
        kern::box_muller_f32(w.v[0], w.v[1], z[0], z[1]);
        kern::box_muller_f32(w.v[2], w.v[3], z[2], z[3]);
        for (int k = 0; k < 4; k++) v[k] = kern::mul_add_rn(sd, z[k], mean);
      });
    }
    case 2: {
      int64_t lo;
      uint64_t cnt;
      int_range(a, b, 4294967296.0, lo, cnt);
      return fill_blocks<4>(o, n, seed, offset, [=](const kern::Philox4& w, float* v) {
        for (int k = 0; k < 4; k++) v[k] = static_cast<float>(kern::uniform_int32w(w.v[k], lo, cnt));
      });
    }
  }
}

void random_f64(double* o, int64_t n, int dist, uint64_t seed, uint64_t offset, double a, double b) {
  switch (dist) {
    case 0:
      return fill_blocks<2>(o, n, seed, offset, [=](const kern::Philox4& w, double* v) {
        for (int k = 0; k < 2; k++) v[k] = kern::uniform_scale(kern::uniform_f64(w.v[2 * k], w.v[2 * k + 1]), a, b);
      });
    case 1:
      return fill_blocks<2>(o, n, seed, offset, [=](const kern::Philox4& w, double* v) {
        double z[2];
        kern::box_muller_f64(w, z[0], z[1]);
        for (int k = 0; k < 2; k++) v[k] = kern::mul_add_rn(b, z[k], a);
      });
    case 2: {
      int64_t lo;
      uint64_t cnt;
      int_range(a, b, 9.2e18, lo, cnt);
      return fill_blocks<2>(o, n, seed, offset, [=](const kern::Philox4& w, double* v) {
        for (int k = 0; k < 2; k++)
          v[k] = static_cast<double>(kern::uniform_int64w(w.v[2 * k], w.v[2 * k + 1], lo, cnt));
      });
    }
  }
}

void random_i32(int32_t* o, int64_t n, int dist, uint64_t seed, uint64_t offset, double a, double b) {
  if (dist != 2) throw std::invalid_argument("random: I32 tensors only support integer sampling (dist 2)");
  if (a < -2147483648.0 || b > 2147483648.0) throw std::invalid_argument("random: integer bounds outside int32");
  int64_t lo;
  uint64_t cnt;
  int_range(a, b, 4294967296.0, lo, cnt);
  fill_blocks<4>(o, n, seed, offset, [=](const kern::Philox4& w, int32_t* v) {
    for (int k = 0; k < 4; k++) v[k] = static_cast<int32_t>(kern::uniform_int32w(w.v[k], lo, cnt));
  });
}

}  // namespace

void random(const View& out, int dist, uint64_t seed, uint64_t offset, double a, double b) {
  if (dist < 0 || dist > 2) throw std::invalid_argument("random: unknown distribution " + std::to_string(dist));
  if (!out.contiguous()) throw std::invalid_argument("random: out must be contiguous");
  const int64_t n = out.numel();
  switch (out.dtype) {
    case F32: return random_f32(out.ptr<float>(), n, dist, seed, offset, a, b);
    case F64: return random_f64(out.ptr<double>(), n, dist, seed, offset, a, b);
    case I32: return random_i32(out.ptr<int32_t>(), n, dist, seed, offset, a, b);
    default: throw std::invalid_argument("random: unsupported dtype");
  }
}

}  // namespace td::cpu
