#include "pointvalue/fwht.hpp"

#include <algorithm>
#include <vector>

#include "fwht_simd.hpp"
#include "pointvalue/parallel.hpp"

#if !defined(PV_HAVE_VECTOR_EXT)
#error "pointvalue's FWHT kernel needs GCC or Clang vector extensions"
#endif

namespace pointvalue {
namespace {

using simd::Vec;
using idx = std::ptrdiff_t;
template <class T>
using vec_t = typename Vec<T>::type;

// Below this many elements a transform runs on one thread: waking a team costs more.
constexpr idx kParallelMinElems = idx(1) << 17;

// Minimum bytes per row of a strided (gathered) chunk: long enough runs for the prefetchers.
constexpr idx kStridedChunkBytes = 2048;

// Butterfly levels at distances 1, 2, 4 (in units of the row stride) across eight registers.
// Templated on the value type so whole vectors and remainder scalars share the code.
template <class V>
inline void butterfly8(V& r0, V& r1, V& r2, V& r3, V& r4, V& r5, V& r6, V& r7) {
  V a0 = r0 + r1, a1 = r0 - r1, a2 = r2 + r3, a3 = r2 - r3;
  V a4 = r4 + r5, a5 = r4 - r5, a6 = r6 + r7, a7 = r6 - r7;
  V b0 = a0 + a2, b2 = a0 - a2, b1 = a1 + a3, b3 = a1 - a3;
  V b4 = a4 + a6, b6 = a4 - a6, b5 = a5 + a7, b7 = a5 - a7;
  r0 = b0 + b4, r4 = b0 - b4, r1 = b1 + b5, r5 = b1 - b5;
  r2 = b2 + b6, r6 = b2 - b6, r3 = b3 + b7, r7 = b3 - b7;
}

template <class V>
inline void butterfly4(V& r0, V& r1, V& r2, V& r3) {
  V a0 = r0 + r1, a1 = r0 - r1, a2 = r2 + r3, a3 = r2 - r3;
  r0 = a0 + a2, r2 = a0 - a2, r1 = a1 + a3, r3 = a1 - a3;
}

// Three levels on rows p, p+s, …, p+7s, columns [0, w). With InVector, each row (then exactly one
// vector wide) first gets the in-vector transform, fusing the lowest levels into this sweep.
template <class T, bool InVector>
inline void radix8_rows(T* p, idx s, idx w) {
  constexpr idx L = Vec<T>::lanes;
  idx c = 0;
  for (; c + L <= w; c += L) {
    T* q = p + c;
    vec_t<T> r0 = simd::load(q), r1 = simd::load(q + s), r2 = simd::load(q + 2 * s),
             r3 = simd::load(q + 3 * s), r4 = simd::load(q + 4 * s), r5 = simd::load(q + 5 * s),
             r6 = simd::load(q + 6 * s), r7 = simd::load(q + 7 * s);
    if constexpr (InVector) {
      r0 = simd::in_vector_fwht(r0), r1 = simd::in_vector_fwht(r1);
      r2 = simd::in_vector_fwht(r2), r3 = simd::in_vector_fwht(r3);
      r4 = simd::in_vector_fwht(r4), r5 = simd::in_vector_fwht(r5);
      r6 = simd::in_vector_fwht(r6), r7 = simd::in_vector_fwht(r7);
    }
    butterfly8(r0, r1, r2, r3, r4, r5, r6, r7);
    simd::store(q, r0), simd::store(q + s, r1), simd::store(q + 2 * s, r2);
    simd::store(q + 3 * s, r3), simd::store(q + 4 * s, r4), simd::store(q + 5 * s, r5);
    simd::store(q + 6 * s, r6), simd::store(q + 7 * s, r7);
  }
  for (; c < w; ++c) {
    T* q = p + c;
    T r0 = q[0], r1 = q[s], r2 = q[2 * s], r3 = q[3 * s], r4 = q[4 * s], r5 = q[5 * s],
      r6 = q[6 * s], r7 = q[7 * s];
    butterfly8(r0, r1, r2, r3, r4, r5, r6, r7);
    q[0] = r0, q[s] = r1, q[2 * s] = r2, q[3 * s] = r3, q[4 * s] = r4, q[5 * s] = r5;
    q[6 * s] = r6, q[7 * s] = r7;
  }
}

template <class T>
inline void radix4_rows(T* p, idx s, idx w) {
  constexpr idx L = Vec<T>::lanes;
  idx c = 0;
  for (; c + L <= w; c += L) {
    T* q = p + c;
    vec_t<T> r0 = simd::load(q), r1 = simd::load(q + s), r2 = simd::load(q + 2 * s),
             r3 = simd::load(q + 3 * s);
    butterfly4(r0, r1, r2, r3);
    simd::store(q, r0), simd::store(q + s, r1), simd::store(q + 2 * s, r2);
    simd::store(q + 3 * s, r3);
  }
  for (; c < w; ++c) {
    T* q = p + c;
    T r0 = q[0], r1 = q[s], r2 = q[2 * s], r3 = q[3 * s];
    butterfly4(r0, r1, r2, r3);
    q[0] = r0, q[s] = r1, q[2 * s] = r2, q[3 * s] = r3;
  }
}

template <class T>
inline void radix2_rows(T* p, idx s, idx w) {
  for (idx c = 0; c < w; ++c) {
    const T x = p[c], y = p[c + s];
    p[c] = x + y;
    p[c + s] = x - y;
  }
}

template <class T>
inline void scale_rows(T* base, idx row_stride, idx rows, idx w, T scale) {
  for (idx r = 0; r < rows; ++r) {
    T* p = base + r * row_stride;
    for (idx j = 0; j < w; ++j) p[j] *= scale;
  }
}

// All `levels` butterfly levels across 2^levels rows (row stride `rs`), `w` columns each, in
// radix-8 sweeps so each sweep touches the block once for three levels.
template <class T>
void group_levels(T* base, idx rs, int levels, idx w, bool in_vector_first) {
  const idx rows = idx(1) << levels;
  if (in_vector_first && levels < 3) {
    for (idx r = 0; r < rows; ++r) simd::store(base + r * rs, simd::in_vector_fwht(simd::load(base + r * rs)));
    in_vector_first = false;
  }
  int l = 0;
  for (; levels - l >= 3; l += 3) {
    const idx h = idx(1) << l;
    for (idx j0 = 0; j0 < rows; j0 += 8 * h)
      for (idx j = j0; j < j0 + h; ++j) {
        if (in_vector_first)
          radix8_rows<T, true>(base + j * rs, h * rs, w);
        else
          radix8_rows<T, false>(base + j * rs, h * rs, w);
      }
    in_vector_first = false;
  }
  const idx h = idx(1) << l;
  if (levels - l == 2) {
    for (idx j0 = 0; j0 < rows; j0 += 4 * h)
      for (idx j = j0; j < j0 + h; ++j) radix4_rows(base + j * rs, h * rs, w);
  } else if (levels - l == 1) {
    for (idx j = 0; j < h; ++j) radix2_rows(base + j * rs, h * rs, w);
  }
}

// Levels per pass so that 2^levels rows × `min_chunk_bytes` fit a cache block.
inline int max_levels_per_pass(idx min_chunk_bytes) {
  int L = 0;
  while ((std::size_t(min_chunk_bytes) << (L + 1)) <= kFwhtBlockBytes) ++L;
  return std::max(L, 1);
}

// Runs butterfly levels [first, first + levels) of the transform along the rows index of a
// (2^log2rows × width) block. Rows at distance 2^first are merged into "wide rows" of
// width·2^first contiguous elements, so every pass is the same kernel on a different reshape.
template <class T>
void interleaved_pass(T* data, int log2rows, idx width, int first, int levels, bool parallel,
                      T scale, bool in_vector_first) {
  constexpr idx L = Vec<T>::lanes;
  const idx wide = width << first;
  const idx group_rows = idx(1) << levels;
  const idx groups = (idx(1) << (log2rows - first)) / group_rows;
  idx chunk = std::max<idx>(L, idx(kFwhtBlockBytes / sizeof(T)) >> levels);
  if (first > 0) chunk = std::min<idx>(chunk, kStridedChunkBytes / idx(sizeof(T)));
  chunk = std::min(chunk / L * L, wide);
  const idx chunks = (wide + chunk - 1) / chunk;
  const idx items = groups * chunks;
  const idx group_stride = group_rows * wide;
  // A chunk narrower than its rows is strided by a power of two, which maps every row to the
  // same few cache sets; such chunks are gathered into a contiguous buffer first.
  const bool gather = chunk < wide;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel if (parallel && items > 1)
#endif
  {
    std::vector<T> buffer(gather ? std::size_t(group_rows * chunk) : 0);
#if defined(PV_HAVE_OPENMP)
#pragma omp for schedule(static)
#endif
    for (idx it = 0; it < items; ++it) {
      const idx g = it / chunks, c = it % chunks;
      T* base = data + g * group_stride + c * chunk;
      const idx w = std::min(chunk, wide - c * chunk);
      if (gather) {
        T* buf = buffer.data();
        for (idx r = 0; r < group_rows; ++r) std::copy_n(base + r * wide, w, buf + r * w);
        group_levels(buf, w, levels, w, in_vector_first);
        if (scale != T(1)) scale_rows(buf, w, group_rows, w, scale);
        for (idx r = 0; r < group_rows; ++r) std::copy_n(buf + r * w, w, base + r * wide);
      } else {
        group_levels(base, wide, levels, w, in_vector_first);
        if (scale != T(1)) scale_rows(base, wide, group_rows, w, scale);
      }
    }
  }
}

// Minimum bytes per row of a strided (gathered) chunk: long enough runs for the prefetchers.

template <class T>
void interleaved_all(T* data, int log2rows, idx width, bool parallel, T scale,
                     bool in_vector_first) {
  // The first pass works on contiguous blocks and takes as many levels as fit in a cache block;
  // later passes gather strided chunks, keeping each gathered row at least kStridedChunkBytes.
  const idx row_bytes = std::max<idx>(width * idx(sizeof(T)), 64);
  const int first_levels = std::min(log2rows, max_levels_per_pass(row_bytes));
  interleaved_pass(data, log2rows, width, 0, first_levels, parallel,
                   first_levels == log2rows ? scale : T(1), in_vector_first);
  const int rest = log2rows - first_levels;
  if (rest == 0) return;
  const int Ls = max_levels_per_pass(std::max(row_bytes, kStridedChunkBytes));
  const int passes = (rest + Ls - 1) / Ls;
  int first = first_levels;
  for (int p = 0; p < passes; ++p) {
    const int levels = (log2rows - first) / (passes - p);
    interleaved_pass(data, log2rows, width, first, levels, parallel,
                     p == passes - 1 ? scale : T(1), false);
    first += levels;
  }
}

template <class T>
void small_fwht(T* x, int log2n, T scale) {
  const idx n = idx(1) << log2n;
  for (idx h = 1; h < n; h *= 2)
    for (idx i = 0; i < n; i += 2 * h)
      for (idx j = i; j < i + h; ++j) {
        const T a = x[j], b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
  if (scale != T(1))
    for (idx i = 0; i < n; ++i) x[i] *= scale;
}

template <class T>
void contiguous_one(T* x, int log2n, bool parallel, T scale) {
  constexpr int log2v = Vec<T>::log2_lanes;
  if (log2n < log2v) return small_fwht(x, log2n, scale);
  // View the vector as (n / V) × V rows of one SIMD vector: the in-vector transform runs in the
  // first pass, every later level combines whole rows.
  parallel = parallel && (idx(1) << log2n) >= kParallelMinElems;
  interleaved_all(x, log2n - log2v, idx(1) << log2v, parallel, scale, true);
}

}  // namespace

template <class T>
void fwht_contiguous(T* data, int log2n, idx count, idx vec_stride, T scale) {
  const idx n = idx(1) << log2n;
  const bool across_vectors = count >= 2 * max_threads() && n < kParallelMinElems * 8 &&
                              count * n >= kParallelMinElems;
  if (across_vectors) {
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
  const idx n = idx(1) << log2n;
  const bool parallel = n * width >= kParallelMinElems;
  interleaved_all(data, log2n, width, parallel, scale, false);
}

template void fwht_contiguous<float>(float*, int, idx, idx, float);
template void fwht_contiguous<double>(double*, int, idx, idx, double);
template void fwht_interleaved<float>(float*, int, idx, float);
template void fwht_interleaved<double>(double*, int, idx, double);

}  // namespace pointvalue
