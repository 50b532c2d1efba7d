// The one random route of the library: every random number is a pure function of a 64-bit key and
// an index (SplitMix64's output function at position index + 1 of the key's Weyl sequence), so a
// draw never depends on the thread count, on how rows are split into chunks (a chunk starting at
// global row `offset` reads indices offset + i), or on the order in which tasks run.
//
// Keys: the Python layer turns a `random_state` into one 64-bit key (pointvalue.random.stream_key);
// kernels derive independent streams from it with `subkey(key, a, b)` (per round, per task, per
// use). A `Stream` reads the indices 0, 1, 2, … of one key for code that needs a variable number
// of draws (permutations, rejection sampling).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace pointvalue::random {

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

// SplitMix64's finalizer: a bijective 64-bit mix with full avalanche.
inline std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// 64 random bits for position `index` of the stream `key`.
inline std::uint64_t bits(std::uint64_t key, std::uint64_t index) {
  return mix(key + (index + 1) * kGolden);
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform(std::uint64_t key, std::uint64_t index) {
  return double(bits(key, index) >> 11) * 0x1.0p-53;
}

// ±1 with equal probability.
inline double sign(std::uint64_t key, std::uint64_t index) {
  return (bits(key, index) >> 63) ? -1.0 : 1.0;
}

// Standard normal (Box–Muller on the uniforms at 2·index and 2·index + 1).
inline double normal(std::uint64_t key, std::uint64_t index) {
  const double u1 = 1.0 - uniform(key, 2 * index);  // in (0, 1]: the log is finite
  const double u2 = uniform(key, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// The key of sub-stream (a, b) of `key`: distinct (a, b) give unrelated streams.
inline std::uint64_t subkey(std::uint64_t key, std::uint64_t a, std::uint64_t b = 0) {
  const std::uint64_t ka = mix(key ^ mix(a * 0xD1B54A32D192ED03ULL + kGolden));
  return mix(ka ^ mix(b * 0xABC98388FB8FAC03ULL + 2 * kGolden));
}

// Sequential reader of one key's stream (draw j is bits(key, j)).
class Stream {
 public:
  explicit Stream(std::uint64_t key) : key_(key) {}
  std::uint64_t next() { return bits(key_, count_++); }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Unbiased integer in [0, n), n ≥ 1 (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 m = (unsigned __int128)next() * n;
    std::uint64_t lo = std::uint64_t(m);
    if (lo < n) {
      const std::uint64_t thresh = (0 - n) % n;
      while (lo < thresh) {
        m = (unsigned __int128)next() * n;
        lo = std::uint64_t(m);
      }
    }
    return std::uint64_t(m >> 64);
  }

 private:
  std::uint64_t key_;
  std::uint64_t count_ = 0;
};

// out[i] = uniform(key, offset + i), i < n (parallel for large n; the values do not depend on it).
inline void uniforms(std::uint64_t key, std::uint64_t offset, std::int64_t n, double* out) {
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (n >= (std::int64_t(1) << 18))
#endif
  for (std::int64_t i = 0; i < n; ++i) out[i] = uniform(key, offset + std::uint64_t(i));
}

// `size` distinct integers of [0, n), ascending, uniform among all such subsets (Floyd's
// algorithm: O(size) memory and draws, whatever n).
// Needs 0 ≤ size ≤ n.
inline std::vector<std::int64_t> choice(std::uint64_t key, std::int64_t n, std::int64_t size) {
  Stream s(key);
  std::unordered_set<std::int64_t> seen;
  seen.reserve(std::size_t(size) * 2);
  std::vector<std::int64_t> out;
  out.reserve(std::size_t(size));
  for (std::int64_t j = n - size; j < n; ++j) {
    const auto t = std::int64_t(s.below(std::uint64_t(j + 1)));
    const std::int64_t pick = seen.insert(t).second ? t : j;
    if (pick == j) seen.insert(j);
    out.push_back(pick);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pointvalue::random
