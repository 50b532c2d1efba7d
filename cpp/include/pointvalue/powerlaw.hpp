// Batched maximum-likelihood fits of individualized scaling laws.
//
// For each point, samples (k_i, Δ_i) follow Δ ~ Normal(c·k^−α, σ²·k^−β). For fixed (α, β) the
// optimal c and σ² are closed form (weighted least squares with weights k^β):
//   c(α, β)  = mean(Δ k^(β−α)) / mean(k^(β−2α)),   σ²(α, β) = mean((Δ − c k^−α)² k^β),
// and the negative log-likelihood profiled over (c, σ) is
//   NLL(α, β) = n/2 · (log 2π + 1) + n/2 · log σ²(α, β) − β/2 · Σ log k_i .
// With log k centered at its per-point mean ū the last term cancels against σ²'s factor e^{βū},
// so the kernel minimizes f(α, β) = ½ log S(α, β), S the centered weighted residual mean square,
// over the box [alpha_lo, alpha_hi] × [beta_lo, beta_hi] with a projected, safeguarded Newton
// method (eigenvalue-modified Hessian, Armijo backtracking along the projected path, active-set
// handling of the bounds) from several starts, keeping the best. The starts are the best local
// minima of a coarse (α, β) grid (the profile is often multimodal in α: a boundary solution at
// α = 0 or a steep one at large α next to the interior one), plus any starts the caller gives.
// The winner is then verified by fine one-dimensional scans along α and along β through it;
// Newton restarts from any lower scan point (another basin) until no scan finds one.
//
// Bounds: the default box [0, e²]² is the closure of the reference code's parameter space (it
// fits log α and log β clamped to ≤ 2, so 0 < α, β ≤ e²); α = 0 (a constant contribution) and
// β = 0 (constant noise) are allowed so that flat points get a boundary estimate, not a drift.
// The status codes say why a point has no estimate; they never throw.
//
// Points are independent: OpenMP runs over points, results do not depend on the thread count.
#pragma once
#include <cstdint>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

enum PowerLawStatus : std::int8_t {
  kPowerLawOk = 0,            // converged (projected gradient below tolerance)
  kPowerLawTooFewK = 1,       // fewer than two distinct k: α is not identifiable
  kPowerLawAllZero = 2,       // every Δ is zero: c = 0, σ = 0, α and β undefined
  kPowerLawNonFinite = 3,     // a NaN/inf Δ or k
  kPowerLawNotConverged = 4,  // iteration limit reached; the best iterate is returned
};

struct PowerLawOptions {
  double alpha_lo = 0.0, alpha_hi = 7.38905609893065;  // e²: the reference clamps log α ≤ 2
  double beta_lo = 0.0, beta_hi = 7.38905609893065;
  int grid_alpha = 16;  // screening grid over the box (uniform, endpoints included)
  int grid_beta = 16;
  int n_candidates = 2;  // Newton runs from this many best local minima of the grid (≤ 8)
  int scan_grid = 32;   // verification scans along α and β through the optimum (0: none)
  int max_iter = 100;   // Newton iterations per start
  double gtol = 1e-10;  // on the projected gradient of f = ½ log S (f is O(1), scale-free)
};

struct PowerLawResult {
  double* c;
  double* alpha;
  double* sigma;
  double* beta;
  double* nll;            // total negative log-likelihood of the point's samples
  double* alpha_se;       // asymptotic standard errors from the profile NLL's Hessian in (α, β)
  double* beta_se;        // (NaN when it is not positive definite)
  std::int64_t* n_iter;   // Newton iterations summed over starts
  std::int8_t* status;
};

// Samples of point j are [offsets[j], offsets[j+1]) of `logk` (natural log of k) and `delta`.
// `starts` holds n_starts (α, β) pairs, row-major, run after the grid candidates (may be 0).
void fit_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                        const double* delta, const double* starts, idx n_starts,
                        const PowerLawOptions& opt, const PowerLawResult& out);

// Profile NLL (and the closed-form c, σ) of each point at a given (α_j, β_j): for checks.
void profile_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                            const double* delta, const double* alpha, const double* beta,
                            double* c, double* sigma, double* nll);

}  // namespace pointvalue
