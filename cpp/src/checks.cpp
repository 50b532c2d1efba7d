#include "pointvalue/checks.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "pointvalue/parallel.hpp"

namespace pointvalue::checks {
namespace {

// A value is NaN or ±inf exactly when all its exponent bits are set. The OR-reduction over a
// block vectorizes (one compare and one OR per vector); blocks let the scan stop early.
template <class Float, class Bits, Bits kExponent>
bool block_finite(const Float* p, std::size_t n) {
  Bits bad = 0;
#pragma omp simd reduction(| : bad)
  for (std::size_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, p + i, sizeof(b));
    bad |= Bits((b & kExponent) == kExponent);
  }
  return bad == 0;
}

template <class Float, class Bits, Bits kExponent>
bool scan(const Float* p, std::size_t n) {
  constexpr std::size_t kBlock = std::size_t(1) << 14;
  constexpr std::size_t kParallel = std::size_t(1) << 22;  // below: one thread is faster
  if (n < kParallel) {
    for (std::size_t i = 0; i < n; i += kBlock)
      if (!block_finite<Float, Bits, kExponent>(p + i, std::min(kBlock, n - i))) return false;
    return true;
  }
  const std::int64_t nb = std::int64_t((n + kBlock - 1) / kBlock);
  int ok = 1;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) reduction(& : ok)
#endif
  for (std::int64_t b = 0; b < nb; ++b) {
    const std::size_t i = std::size_t(b) * kBlock;
    ok &= int(block_finite<Float, Bits, kExponent>(p + i, std::min(kBlock, n - i)));
  }
  return ok != 0;
}

}  // namespace

bool all_finite(const double* p, std::size_t n) {
  return scan<double, std::uint64_t, 0x7FF0000000000000ull>(p, n);
}

bool all_finite(const float* p, std::size_t n) {
  return scan<float, std::uint32_t, 0x7F800000u>(p, n);
}

}  // namespace pointvalue::checks
