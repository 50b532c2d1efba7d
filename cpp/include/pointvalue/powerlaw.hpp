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

// Why one point's samples have no estimate (or kPowerLawOk): non-finite first, then fewer than
// two distinct k, then all Δ zero. Shared by the MLE and the grid posterior.
PowerLawStatus screen_samples(const double* logk, const double* delta, idx n);

// Samples of point j are [offsets[j], offsets[j+1]) of `logk` (natural log of k) and `delta`.
// `starts` holds n_starts (α, β) pairs, row-major, run after the grid candidates (may be 0).
void fit_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                        const double* delta, const double* starts, idx n_starts,
                        const PowerLawOptions& opt, const PowerLawResult& out);

// Profile NLL (and the closed-form c, σ) of each point at a given (α_j, β_j): for checks.
void profile_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                            const double* delta, const double* alpha, const double* beta,
                            double* c, double* sigma, double* nll);

// ---------------------------------------------------------------------------------------------
// Grid posterior (the empirical-Bayes estimator). Each point's law is written
// ψ_k = v·(k/k_ref)^−α with noise σ²·(k/k_ref)^−β; v gets a flat prior and log σ a flat prior,
// both integrated out in closed form, which leaves the marginal likelihood of (α, β):
//   log p(Δ | α, β) = ½ β Σ u_i − ½ log S_xx − ½ (n − 1) log RSS  (+ a constant in n),
// u_i = log(k_i/k_ref), x_i = e^{−α u_i}, w_i = e^{β u_i}, S_xx = Σ w x², RSS the weighted residual
// sum of squares of Δ on x. On a lattice α = i·h, β = j·r·h every weight product e^{l h u} has an
// integer exponent l, so three power sums per point (Σ e^{lhu}, Σ Δ e^{lhu}, Σ Δ² e^{lhu}) give
// every node in O(1): the whole grid costs O(n·L + G) per point, not O(n·G).
// With a log prior over the nodes (learned from all points by the caller: empirical Bayes) the
// kernel returns, per point, the posterior mode (MAP node, its closed-form v → c and σ), the
// posterior means and standard deviations of α, β and of the distributional value
// V = mean_{k_lo ≤ k < k_hi} v (k/k_ref)^−α (integer k, uniform), whose conditional posterior
// given the node is Student-t with n − 1 degrees of freedom.

struct PowerLawGrid {
  double alpha_step = 0.1;  // h
  int n_alpha = 41;         // α = 0, h, …, (n_alpha − 1)·h
  int beta_ratio = 3;       // β step = beta_ratio · h
  int n_beta = 25;          // β = 0, r·h, …
  double k_ref = 316.22776601683796;  // reference size of v (√(100·1000))
  double value_lo = 100, value_hi = 1000;  // integer k range of the distributional value
};

struct PowerLawPosterior {
  double* c;           // MAP law: c = v·k_ref^α
  double* alpha;       // MAP node
  double* sigma;       // MAP node's σ (ML form √(RSS/n) in model units)
  double* beta;        // MAP node
  double* nll;         // Gaussian NLL of the samples at the MAP law
  double* alpha_mean;  // posterior moments over the grid
  double* alpha_sd;
  double* beta_mean;
  double* beta_sd;
  double* value_mean;  // distributional value over [value_lo, value_hi)
  double* value_sd;
  double* log_evidence;  // log Σ_nodes prior · marginal likelihood (up to a constant in n)
  std::int8_t* status;   // PowerLawStatus (kPowerLawNotConverged is never returned)
};

int grid_size(const PowerLawGrid& grid);

// `log_prior` has grid_size(grid) entries, α-major (node (i, j) at i·n_beta + j); may be null
// (flat). `log_marginal` (n_points × grid_size, row-major) receives each point's log marginal
// likelihood when not null (the caller's EM for the prior uses it). Throws std::invalid_argument
// for an invalid grid.
void powerlaw_posterior_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                              const double* delta, const PowerLawGrid& grid,
                              const double* log_prior, const PowerLawPosterior& out,
                              double* log_marginal);

}  // namespace pointvalue
