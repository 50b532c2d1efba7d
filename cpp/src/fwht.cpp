#include "pointvalue/fwht.hpp"

#include <algorithm>
#include <cstdint>

#include "pointvalue/parallel.hpp"

namespace pointvalue {
namespace {

using idx = std::ptrdiff_t;

template <class T>
inline void radix2_rows(T* __restrict a, T* __restrict b, idx w) {
#pragma omp simd
  for (idx j = 0; j < w; ++j) {
    const T x = a[j], y = b[j];
    a[j] = x + y;
    b[j] = x - y;
  }
}

// Two butterfly levels (distances h and 2h) on four rows at once: half the loads and stores of
// two radix-2 sweeps.
template <class T>
inline void radix4_rows(T* __restrict r0, T* __restrict r1, T* __restrict r2, T* __restrict r3,
                        idx w) {
#pragma omp simd
  for (idx j = 0; j < w; ++j) {
    const T s0 = r0[j] + r1[j], s1 = r0[j] - r1[j];
    const T s2 = r2[j] + r3[j], s3 = r2[j] - r3[j];
    r0[j] = s0 + s2;
    r2[j] = s0 - s2;
    r1[j] = s1 + s3;
    r3[j] = s1 - s3;
  }
}

template <class T>
inline void scale_rows(T* __restrict base, idx row_stride, idx rows, idx w, T scale) {
  for (idx r = 0; r < rows; ++r) {
    T* __restrict p = base + r * row_stride;
#pragma omp simd
    for (idx j = 0; j < w; ++j) p[j] *= scale;
  }
}

// All `levels` butterfly levels across 2^levels rows (row stride `rs`), `w` columns each.
template <class T>
void group_levels(T* base, idx rs, int levels, idx w) {
  const idx rows = idx(1) << levels;
  int l = 0;
  for (; l + 1 < levels; l += 2) {
    const idx h = idx(1) << l;
    for (idx j0 = 0; j0 < rows; j0 += 4 * h)
      for (idx j = j0; j < j0 + h; ++j)
        radix4_rows(base + j * rs, base + (j + h) * rs, base + (j + 2 * h) * rs,
                    base + (j + 3 * h) * rs, w);
  }
  if (l < levels) {
    const idx h = idx(1) << l;
    for (idx j0 = 0; j0 < rows; j0 += 2 * h)
      for (idx j = j0; j < j0 + h; ++j) radix2_rows(base + j * rs, base + (j + h) * rs, w);
  }
}

// Transform of a short contiguous vector (n ≤ a cache line), written out so it unrolls.
template <class T>
inline void small_fwht(T* x, int log2n) {
  const idx n = idx(1) << log2n;
  for (idx h = 1; h < n; h *= 2)
    for (idx i = 0; i < n; i += 2 * h)
      for (idx j = i; j < i + h; ++j) {
        const T a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
}

template <class T, int LogV>
inline void small_fwht_fixed(T* __restrict x) {
  constexpr int V = 1 << LogV;
  for (int h = 1; h < V; h *= 2)
    for (int i = 0; i < V; i += 2 * h)
      for (int j = i; j < i + h; ++j) {
        const T a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
}

// Rows of one cache line: 8 doubles or 16 floats.
template <class T>
constexpr int log2_line_elems() {
  return sizeof(T) == 8 ? 3 : 4;
}

struct PassPlan {
  int levels;  // butterfly levels finished in this pass
  idx chunk;   // columns per work item
};

// Levels per pass so that 2^levels rows × `min_chunk` columns fit a cache block; passes are
// balanced so none is left with a sliver of levels.
inline int max_levels_per_pass(idx min_chunk_bytes) {
  int L = 0;
  while ((std::size_t(min_chunk_bytes) << (L + 1)) <= kFwhtBlockBytes) ++L;
  return std::max(L, 1);
}

// Runs butterfly levels [first, first + levels) of the interleaved transform of `rows` rows of
// `width` elements. Rows at distance 2^first are merged into "wide rows" of width·2^first
// contiguous elements, so every pass is the same kernel on a different reshape.
template <class T>
void interleaved_pass(T* data, int log2rows, idx width, int first, int levels, bool parallel,
                      T scale, bool small_first, int log2small) {
  const idx wide = width << first;
  const idx wide_rows = idx(1) << (log2rows - first);
  const idx group_rows = idx(1) << levels;
  const idx groups = wide_rows / group_rows;
  idx chunk = std::max<idx>(1, idx(kFwhtBlockBytes / sizeof(T)) >> levels);
  chunk = std::min(chunk, wide);
  if (small_first) chunk = wide;  // the in-row transform needs whole rows
  const idx chunks = (wide + chunk - 1) / chunk;
  const idx items = groups * chunks;
  const idx group_stride = group_rows * wide;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (parallel && items > 1)
#endif
  for (idx it = 0; it < items; ++it) {
    const idx g = it / chunks, c = it % chunks;
    T* base = data + g * group_stride + c * chunk;
    const idx w = std::min(chunk, wide - c * chunk);
    if (small_first) {
      T* block = data + g * group_stride;
      const idx lines = group_rows * wide >> log2small;
      for (idx r = 0; r < lines; ++r) {
        if constexpr (sizeof(T) == 8)
          small_fwht_fixed<T, 3>(block + (r << 3));
        else
          small_fwht_fixed<T, 4>(block + (r << 4));
      }
    }
    group_levels(base, wide, levels, w);
    if (scale != T(1)) scale_rows(base, wide, group_rows, w, scale);
  }
}

template <class T>
void interleaved_all(T* data, int log2rows, idx width, bool parallel, T scale, bool small_first,
                     int log2small) {
  const idx min_chunk = std::max<idx>(width, 64 / idx(sizeof(T)));
  const int Lmax = max_levels_per_pass(min_chunk * idx(sizeof(T)));
  if (log2rows == 0) {
    // Only the in-row transform (and scaling) is left.
    interleaved_pass(data, 0, width, 0, 0, parallel, scale, small_first, log2small);
    return;
  }
  const int passes = (log2rows + Lmax - 1) / Lmax;
  int first = 0;
  for (int p = 0; p < passes; ++p) {
    const int levels = (log2rows - first) / (passes - p);
    const bool last = p == passes - 1;
    interleaved_pass(data, log2rows, width, first, levels, parallel, last ? scale : T(1),
                     small_first && p == 0, log2small);
    first += levels;
  }
}

template <class T>
void contiguous_one(T* x, int log2n, bool parallel, T scale) {
  const int log2v = log2_line_elems<T>();
  if (log2n <= log2v) {
    small_fwht(x, log2n);
    if (scale != T(1))
      for (idx i = 0; i < (idx(1) << log2n); ++i) x[i] *= scale;
    return;
  }
  // View the vector as (n / V) × V: the in-row H_V runs inside the first pass, every later level
  // combines whole rows of V elements.
  interleaved_all(x, log2n - log2v, idx(1) << log2v, parallel, scale, true, log2v);
}

}  // namespace

template <class T>
void fwht_contiguous(T* data, int log2n, idx count, idx vec_stride, T scale) {
  const idx n = idx(1) << log2n;
  const bool many_small =
      count >= 2 * max_threads() && std::size_t(n) * sizeof(T) <= kFwhtBlockBytes * 4;
  if (many_small) {
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static)
#endif
    for (idx v = 0; v < count; ++v) contiguous_one(data + v * vec_stride, log2n, false, scale);
  } else {
    for (idx v = 0; v < count; ++v) contiguous_one(data + v * vec_stride, log2n, true, scale);
  }
}

template <class T>
void fwht_interleaved(T* data, int log2n, idx width, T scale) {
  interleaved_all(data, log2n, width, true, scale, false, 0);
}

template void fwht_contiguous<float>(float*, int, idx, idx, float);
template void fwht_contiguous<double>(double*, int, idx, idx, double);
template void fwht_interleaved<float>(float*, int, idx, float);
template void fwht_interleaved<double>(double*, int, idx, double);

}  // namespace pointvalue
