// Fast Walsh–Hadamard transform (natural / Hadamard order, unnormalized: H·H = n·I).
//
// Two memory layouts cover every contiguous array:
//   * contiguous:  `count` vectors, vector v at data + v*vec_stride, its elements adjacent;
//   * interleaved: an n × width row-major block transformed along its rows index, so each
//                  butterfly combines two whole rows (adjacent elements belong to different
//                  transforms and vectorize without shuffles).
// Both are cache-blocked: a pass over memory completes as many butterfly levels as fit in a
// block of `kBlockBytes`, so a transform of length 2^20 takes two passes, not twenty.
#pragma once
#include <cstddef>

namespace pointvalue {

// Working-set bytes of one cache block (half of a typical 1 MiB per-core L2).
constexpr std::size_t kFwhtBlockBytes = std::size_t(512) * 1024;

// `scale` multiplies the result (1 for the plain transform, 1/sqrt(n) for the orthonormal one).
template <class T>
void fwht_contiguous(T* data, int log2n, std::ptrdiff_t count, std::ptrdiff_t vec_stride,
                     T scale = T(1));

template <class T>
void fwht_interleaved(T* data, int log2n, std::ptrdiff_t width, T scale = T(1));

}  // namespace pointvalue
