#include "pointvalue/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "pointvalue/parallel.hpp"
#include "pointvalue/random.hpp"

namespace pointvalue {
namespace {

constexpr idx kBlock = 1 << 16;  // rows per task: fixed by n, never by the thread count
// Below this many rows a parallel region costs more than it saves (thread wake-up dominates,
// badly so on an oversubscribed machine).
constexpr idx kParallelMin = idx(1) << 18;

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument(what); }



// Σ_j clamp(λ t_j, a, 1) at two values of λ in one pass (double sums per block of rows, combined
// in long double, so the loop vectorizes and the total keeps ~1e-16 relative accuracy).
void sum_at_two(const std::vector<double>& W, double a, double l1, double l2, long double& f1,
                long double& f2) {
  constexpr std::size_t kSub = 1024;
  f1 = f2 = 0;
  for (std::size_t r0 = 0; r0 < W.size(); r0 += kSub) {
    const std::size_t r1 = std::min(W.size(), r0 + kSub);
    double s1 = 0, s2 = 0;
    for (std::size_t j = r0; j < r1; ++j) {
      s1 += std::max(a, std::min(1.0, l1 * W[j]));
      s2 += std::max(a, std::min(1.0, l2 * W[j]));
    }
    f1 += s1;
    f2 += s2;
  }
}

// Moves rows whose class is the same for every λ in [L, H] out of W: into C (floor a or one) or
// S (Σ t of rows proportional to λ). Products, not quotients: λ t ≥ 1 ⇔ one, λ t ≤ a ⇔ floor.
void retire(std::vector<double>& W, double a, double L, double H, long double& C, long double& S) {
  std::size_t k = 0;
  long double c = 0, s = 0;
  for (double t : W) {
    if (L * t >= 1.0)
      c += 1;
    else if (H * t <= a)
      c += a;
    else if (L * t >= a && H * t <= 1.0)
      s += t;
    else
      W[k++] = t;
  }
  W.resize(k);
  C += c;
  S += s;
}

// λ with Σ_j clamp(λ t_j, a, 1) = target over the positive scores t (W, destroyed), given that
// the sum exceeds target as λ → ∞ and does not at λ → 0. Selection, expected O(m):
//  1. for m ≥ 32768, λ of a strided sample of min(16384, m/8) rows (solved the same way) proposes a bracket
//     λ_s·(1 ± 5%), checked on all rows in one pass (a side that fails is dropped);
//  2. each round evaluates the sum at the median of the breakpoints (a/t, 1/t) inside the bracket
//     (nth_element), which halves them, and retires rows whose class is settled;
//  3. on the final linear piece λ = (target − C) / S in closed form.
double solve_lambda(std::vector<double>& W, double a, long double target) {
  long double C = 0, S = 0;
  double L = 0, H = std::numeric_limits<double>::infinity();
  if (W.size() >= 32768) {
    const std::size_t m = W.size(), kSample = std::min<std::size_t>(16384, m / 8), stride = m / kSample;
    std::vector<double> sample(kSample);
    for (std::size_t j = 0; j < kSample; ++j) sample[j] = W[j * stride];
    const long double st = target * (long double)kSample / (long double)m;
    if (st > a * kSample && st < (long double)kSample) {
      const double lam = solve_lambda(sample, a, st);
      if (lam > 0 && std::isfinite(lam)) {
        long double f_lo, f_hi;
        sum_at_two(W, a, 0.95 * lam, 1.05 * lam, f_lo, f_hi);
        if (f_lo <= target) L = 0.95 * lam;
        if (f_hi > target) H = 1.05 * lam;
        retire(W, a, L, H, C, S);
      }
    }
  }
  std::vector<double> bp;
  bp.reserve(2 * W.size());
  while (!W.empty()) {
    bp.clear();
    for (double t : W) {
      const double b1 = a / t, b2 = 1.0 / t;
      if (b1 > L && b1 < H) bp.push_back(b1);
      if (b2 > L && b2 < H) bp.push_back(b2);
    }
    if (bp.empty()) break;
    auto mid = bp.begin() + std::ptrdiff_t(bp.size() / 2);
    std::nth_element(bp.begin(), mid, bp.end());
    const double piv = *mid;
    long double f, unused;
    sum_at_two(W, a, piv, piv, f, unused);
    f += C + (long double)piv * S;
    if (f <= target)
      L = piv;
    else
      H = piv;
    retire(W, a, L, H, C, S);  // the pivot left the open bracket: the loop terminates
  }
  // Rows still in W have no breakpoint inside (L, H) to rounding: classify at an inner point.
  const double inner = std::isfinite(H) ? (L > 0 ? 0.5 * (L + H) : 0.5 * H) : 2 * L + 1;
  for (double t : W) {
    const double v = inner * t;
    if (v >= 1)
      C += 1;
    else if (v <= a)
      C += a;
    else
      S += t;
  }
  if (!(S > 0)) return L;
  const double lambda = double((target - C) / S);
  return std::min(std::max(lambda, L), H);
}

}  // namespace

std::vector<std::int64_t> poisson_sample(const double* prob, idx n, std::uint64_t key,
                                         std::uint64_t offset) {
  const idx blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::vector<std::int64_t>> hits(std::size_t(std::max<idx>(blocks, 0)));
  bool bad = false;
  ParallelErrors errors;  // push_back allocates
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) reduction(|| : bad) if (n >= kParallelMin)
#endif
  for (idx b = 0; b < blocks; ++b) errors.run([&, prob, key, offset, n] {
    // by-value copies and a local vector: through captured references the compiler reloaded
    // prob/key/offset after every push_back (+17% instructions, bench/callgrind_cases.py)
    const idx r0 = b * kBlock, r1 = std::min(n, r0 + kBlock);
    std::vector<std::int64_t> h;
    bool block_bad = false;
    for (idx i = r0; i < r1; ++i) {
      const double p = prob[i];
      if (!(p >= 0.0 && p <= 1.0)) {
        block_bad = true;
        break;
      }
      if (random::uniform(key, offset + std::uint64_t(i)) < p) h.push_back(i);
    }
    hits[std::size_t(b)] = std::move(h);
    if (block_bad) bad = true;
  });
  errors.rethrow();
  if (bad) invalid("probabilities must lie in [0, 1] (and not be NaN)");
  std::size_t total = 0;
  for (const auto& h : hits) total += h.size();
  std::vector<std::int64_t> out;
  out.reserve(total);
  for (const auto& h : hits) out.insert(out.end(), h.begin(), h.end());
  return out;
}

InclusionResult inclusion_probabilities(const double* scores, idx n, double size, double min_prob,
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
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
#endif
    for (idx i = 0; i < n; ++i) out[i] = scores[i] > 0.0 ? 1.0 : zp;
    return {std::numeric_limits<double>::infinity(), zp == a ? zeros : 0, m, zp};
  }

  const double lambda = solve_lambda(t, a, (long double)size - (long double)a * (long double)zeros);
  idx n_floor = 0, n_one = 0;
  const idx blocks = (n + kBlock - 1) / kBlock;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (n >= kParallelMin)
#endif
  for (idx b = 0; b < blocks; ++b) {
    const idx r1 = std::min(n, (b + 1) * kBlock);
    for (idx i = b * kBlock; i < r1; ++i) out[i] = std::max(a, std::min(1.0, lambda * scores[i]));
  }
  for (idx i = 0; i < n; ++i) {
    n_floor += out[i] == a;
    n_one += out[i] == 1.0;
  }
  return {lambda, n_floor, n_one, a};
}

}  // namespace pointvalue
