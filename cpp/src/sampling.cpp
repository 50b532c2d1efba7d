#include "pointvalue/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "pointvalue/parallel.hpp"

namespace pointvalue {
namespace {

constexpr idx kBlock = 1 << 16;  // rows per task: fixed by n, never by the thread count

// Σ π(λ) for the sorted positive scores t (ascending) with prefix sums P, plus the counts that
// define the linear piece λ lies on.
struct Piece {
  idx lo;  // t[0..lo) sit at the floor  (λ t ≤ a)
  idx hi;  // t[hi..m) sit at one        (λ t ≥ 1)
  long double total;
};

struct Profile {
  const std::vector<double>& t;
  const std::vector<long double>& P;
  idx zeros;
  double a;

  Piece at(double lambda) const {
    const idx m = idx(t.size());
    Piece p;
    if (!(lambda > 0)) {
      p.lo = m;
      p.hi = m;
    } else {
      const double floor_cut = a / lambda, one_cut = 1.0 / lambda;
      p.lo = idx(std::upper_bound(t.begin(), t.end(), floor_cut) - t.begin());
      p.hi = idx(std::lower_bound(t.begin(), t.end(), one_cut) - t.begin());
      if (p.hi < p.lo) p.hi = p.lo;  // only when a ≥ 1, where floor wins
    }
    p.total = (long double)a * (long double)(zeros + p.lo) +
              (long double)lambda * (P[p.hi] - P[p.lo]) + (long double)(m - p.hi);
    return p;
  }
};

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument(what); }

inline std::uint64_t splitmix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

double stream_uniform(std::uint64_t key, std::uint64_t row) {
  // SplitMix64 at position row + 1 of the stream seeded by key: a counter-based generator.
  const std::uint64_t z = splitmix64(key + (row + 1) * 0x9E3779B97F4A7C15ULL);
  return double(z >> 11) * 0x1.0p-53;
}

void stream_uniforms(std::uint64_t key, std::uint64_t offset, idx n, double* out) {
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static)
#endif
  for (idx i = 0; i < n; ++i) out[i] = stream_uniform(key, offset + std::uint64_t(i));
}

std::vector<std::int64_t> poisson_sample(const double* prob, idx n, std::uint64_t key,
                                         std::uint64_t offset) {
  const idx blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::vector<std::int64_t>> hits(std::size_t(std::max<idx>(blocks, 0)));
  bool bad = false;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) reduction(|| : bad)
#endif
  for (idx b = 0; b < blocks; ++b) {
    const idx r0 = b * kBlock, r1 = std::min(n, r0 + kBlock);
    auto& h = hits[std::size_t(b)];
    for (idx i = r0; i < r1; ++i) {
      const double p = prob[i];
      if (!(p >= 0.0 && p <= 1.0)) {
        bad = true;
        break;
      }
      if (stream_uniform(key, offset + std::uint64_t(i)) < p) h.push_back(i);
    }
  }
  if (bad) invalid("probabilities must lie in [0, 1] (and not be NaN)");
  std::size_t total = 0;
  for (const auto& h : hits) total += h.size();
  std::vector<std::int64_t> out;
  out.reserve(total);
  for (const auto& h : hits) out.insert(out.end(), h.begin(), h.end());
  return out;
}

InclusionInfo inclusion_probabilities(const double* scores, idx n, double size, double min_prob,
                                      double* out) {
  if (n < 1) invalid("scores is empty");
  if (!(std::isfinite(size) && size > 0)) invalid("size must be a positive finite number");
  if (!(min_prob >= 0.0 && min_prob <= 1.0)) invalid("min_prob must lie in [0, 1]");
  const double a = min_prob;
  if (a * double(n) > size * (1 + 1e-12))
    invalid("min_prob * n exceeds size: the floor alone would draw more than size rows");

  // Positive scores, sorted ascending; zeros counted apart.
  std::vector<double> t;
  t.reserve(std::size_t(n));
  idx zeros = 0;
  for (idx i = 0; i < n; ++i) {
    const double s = scores[i];
    if (!(s >= 0.0) || !std::isfinite(s)) invalid("scores must be finite and non-negative");
    if (s > 0.0)
      t.push_back(s);
    else
      ++zeros;
  }
  const idx m = idx(t.size());

  if (size >= double(n)) {
    std::fill(out, out + n, 1.0);
    return {std::numeric_limits<double>::infinity(), 0, n, 1.0};
  }
  // Σπ(λ → ∞) = a·zeros + m: when that is not enough, positive rows get 1 and zeros share the rest.
  if (double(m) + a * double(zeros) <= size) {
    const double zp = zeros > 0 ? std::min(1.0, (size - double(m)) / double(zeros)) : 1.0;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static)
#endif
    for (idx i = 0; i < n; ++i) out[i] = scores[i] > 0.0 ? 1.0 : zp;
    return {std::numeric_limits<double>::infinity(), zp == a ? zeros : 0, m, zp};
  }

  std::sort(t.begin(), t.end());
  std::vector<long double> P(std::size_t(m) + 1);
  P[0] = 0;
  for (idx j = 0; j < m; ++j) P[std::size_t(j) + 1] = P[std::size_t(j)] + t[std::size_t(j)];
  const Profile f{t, P, zeros, a};
  const long double target = size;

  // Largest breakpoint with Σπ ≤ size and smallest with Σπ > size, over both families
  // (a/t_j and 1/t_j, each descending in j). Σπ(λ) is non-decreasing, so bisect in each.
  double lam_lo = 0.0, lam_hi = std::numeric_limits<double>::infinity();
  auto scan = [&](double numerator) {
    if (!(numerator > 0)) return;  // a = 0: every floor breakpoint is λ = 0
    // g(j) = Σπ(numerator / t_j) is non-increasing in j.  Find first j with g(j) ≤ size.
    idx lo = 0, hi = m;  // answer in [lo, hi]; hi = m means "none"
    while (lo < hi) {
      const idx mid = lo + (hi - lo) / 2;
      if (f.at(numerator / t[std::size_t(mid)]).total <= target)
        hi = mid;
      else
        lo = mid + 1;
    }
    if (lo < m) lam_lo = std::max(lam_lo, numerator / t[std::size_t(lo)]);
    if (lo > 0) lam_hi = std::min(lam_hi, numerator / t[std::size_t(lo - 1)]);
  };
  scan(a);
  scan(1.0);

  // On (lam_lo, lam_hi) no breakpoint is crossed: Σπ is linear there; classify at an inner point.
  const double inner =
      std::isfinite(lam_hi) ? (lam_lo > 0 ? 0.5 * (lam_lo + lam_hi) : 0.5 * lam_hi) : 2.0 * lam_lo + 1.0;
  const Piece piece = f.at(inner);
  const long double mid_sum = P[std::size_t(piece.hi)] - P[std::size_t(piece.lo)];
  double lambda = lam_lo;
  if (mid_sum > 0) {
    const long double fixed = (long double)a * (long double)(zeros + piece.lo) + (long double)(m - piece.hi);
    lambda = double((target - fixed) / mid_sum);
    if (lambda < lam_lo) lambda = lam_lo;
    if (lambda > lam_hi) lambda = lam_hi;
  }

  const idx blocks = (n + kBlock - 1) / kBlock;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static)
#endif
  for (idx b = 0; b < blocks; ++b) {
    const idx r1 = std::min(n, (b + 1) * kBlock);
    for (idx i = b * kBlock; i < r1; ++i) out[i] = std::max(a, std::min(1.0, lambda * scores[i]));
  }
  return {lambda, zeros + piece.lo, m - piece.hi, a};
}

}  // namespace pointvalue
