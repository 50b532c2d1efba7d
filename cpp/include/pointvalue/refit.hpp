// Incremental refits: many marginal contributions Δ(z, D) = L(D) − L(D ∪ {z}) from one fit of D.
//
// Models (objective Σ_{i∈D} loss_i + (l2/2)·‖w‖², intercept unpenalized):
//   * least squares (OLS / ridge): loss ½ r². D is fitted once (Cholesky of the Gram matrix with
//     the intercept as an extra column); each target is an exact low-rank (Woodbury) update and the
//     validation MSE difference comes from the validation sufficient statistics, O(d²) per Δ.
//   * logistic, binary (sigmoid, one linear predictor) or multinomial (softmax over K predictors):
//     D is fitted by damped Newton to a tight gradient tolerance; each D ∪ {z} starts from θ_D and
//     iterates θ ← θ − P⁻¹ ∇F(θ) with the exact gradient and P the Hessian of D at θ_D plus z's
//     low-rank term (Woodbury), to the same tolerance: exact, not a one-step estimate (unless
//     `one_step` is set). The validation loss is evaluated exactly at every solution.
//   * Stopping: a fit is converged when the estimated distance to the solution (max over
//     coefficients of |Δθ_j|·rms(x_j)) is below tol — from quadratic convergence for Newton, from
//     the observed contraction rate for the chord iterations (both with a safety factor of 2).
//   * Batching: the targets z ∉ D of one base set are solved together — least squares by one
//     multi-right-hand-side solve, logistic by running their chord iterations side by side — so
//     every pass over D's rows (and over the validation rows) is a matrix–matrix product. Each
//     target's result is the one it would get alone (to rounding). Targets whose iteration stalls
//     are finished one by one, with a full Newton fit as the fallback.
//
// Sampling (marginal_contributions): for round s and group b the counter-based stream
// random::subkey(key, s, b) draws k and an ordered uniform sample π of every stratum (class, or the whole pool).
// D0 is the first k_c of π_c for each stratum; e_c = π_c[k_c]. A target z of stratum c then sees
//   z ∉ D0:  D_z = D0,            Δ = L(D0) − L(D0 + z)
//   z ∈ D0:  D_z = D0 + e_c − z,  Δ = L(D0 + e_c − z) − L(D0 + e_c)
// which is exactly the first k_c elements of a uniform permutation of (stratum c without z), so
// D_z is uniform among stratified k-subsets of the pool without z, for every target of the group.
// Results depend only on (key, s, b), never on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue::refit {

enum class Model : int { LeastSquares = 0, Logistic = 1 };
enum class Metric : int { Loss = 0, Accuracy = 1 };

// Per-target outcome (Ok = fine); the Python layer turns the others into exceptions.
enum class Status : std::int32_t {
  Ok = 0,
  Singular = 1,      // the (penalized) Gram matrix / Hessian of a subset is singular
  NotConverged = 2,  // Newton did not reach the tolerance (separable classes with l2 = 0)
  MissingClass = 3,  // a subset lacks a class (its intercept would diverge)
  BadIndex = 4,      // a target already in its subset, or a subset repeating an index
};

struct Options {
  Model model = Model::LeastSquares;
  Metric metric = Metric::Loss;
  int n_classes = 0;        // logistic: K ≥ 2 (K = 2 → binary sigmoid model)
  double l2 = 0.0;
  double tol = 1e-10;       // converged when θ is within tol/rms(x_j) of the solution
  int max_iter = 100;
  bool one_step = false;    // logistic: one preconditioned step per target (approximate)
  int n_threads = 1;
};

struct Problem : Options {
  MatrixView<double> X;             // pool, n × d
  const double* y = nullptr;        // least squares targets (n)
  const std::int64_t* label = nullptr;  // logistic classes 0..K−1 (n)
  MatrixView<double> Xv;            // validation, m × d
  const double* yv = nullptr;
  const std::int64_t* label_v = nullptr;
};

struct Sampler {
  const std::int64_t* stratum = nullptr;     // stratum of every pool index (n)
  const std::int64_t* strata_ptr = nullptr;  // CSR over strata: pool indices of stratum c are
  const std::int64_t* strata_idx = nullptr;  //   strata_idx[strata_ptr[c] .. strata_ptr[c+1])
  int n_strata = 1;
  bool balanced = false;   // equal counts per stratum instead of proportional
  const std::int64_t* k_values = nullptr;  // the candidate sizes
  const double* k_cdf = nullptr;           // their cumulative probabilities (last = 1)
  idx n_k = 0;
  std::uint64_t key = 0;   // random key (random.hpp): round s, group b read sub-stream (s, b)
  idx group = 64;          // targets per draw (points_per_subset)
  // Array lengths, for the argument checks: stratum (the pool size), strata_idx, k_cdf.
  idx n_stratum = 0, n_strata_idx = 0, n_cdf = 0;
};

// Counts per stratum for a base set of size k (k ≥ 0): proportional to the stratum sizes (largest
// remainder) after one point per stratum, or equal (balanced). Writes n_strata counts.
void stratum_counts(const Sampler& s, std::int64_t k, std::int64_t* counts);

// Every entry point checks its arguments first (std::invalid_argument naming the argument): shapes,
// index ranges, labels in [0, n_classes), a consistent CSR layout, positive tol and max_iter.
// An allocation failure is rethrown (std::bad_alloc), never reported as a per-target status.

// Δ for caller-given subsets: subset t is sub_idx[sub_ptr[t] .. sub_ptr[t+1]), its targets are
// tgt_idx[tgt_ptr[t] .. tgt_ptr[t+1]); delta/status have one entry per target.
void evaluate_contributions(const Problem& p, const std::int64_t* sub_ptr,
                            const std::int64_t* sub_idx, idx n_sub, idx n_sub_idx,
                            const std::int64_t* tgt_ptr, const std::int64_t* tgt_idx, idx n_tgt,
                            double* delta, std::int32_t* status);

// Δ samples for rounds r0 ≤ s < r1 of `points` (m targets) in groups of smp.group targets sharing
// a draw. Output row (s − r0)·m + j belongs to points[j]: k, delta, status.
void marginal_contributions(const Problem& p, const Sampler& smp, const std::int64_t* points,
                            idx m, std::int64_t r0, std::int64_t r1, std::int64_t* k_out,
                            double* delta_out, std::int32_t* status);

// The draws of marginal_contributions without evaluating them (for refits by other libraries).
// Per task (round-major, then group): k, the base set D0 (CSR), e_c per stratum; per output row:
// the task it belongs to and whether the target lies in D0 (then D_z = D0 + e_c − z).
struct Plan {
  std::vector<std::int64_t> task_k;
  std::vector<std::int64_t> base_ptr, base_idx;
  std::vector<std::int64_t> extra;        // n_tasks × n_strata
  std::vector<std::int64_t> row_task;     // per output row
  std::vector<std::int8_t> row_in_base;   // per output row
};
Plan draw_plan(const Sampler& smp, idx n_pool, const std::int64_t* points, idx m,
               std::int64_t r0, std::int64_t r1);

// Argument checks of the entry points (std::invalid_argument).
void check_problem(const Problem& p);
void check_sampler(const Sampler& s, idx n_pool);
void check_rounds(const std::int64_t* points, idx m, idx n_pool, std::int64_t r0, std::int64_t r1);
void check_subsets(const std::int64_t* sub_ptr, const std::int64_t* sub_idx, idx n_sub,
                   idx n_sub_idx, const std::int64_t* tgt_ptr, const std::int64_t* tgt_idx,
                   idx n_tgt, idx n_pool);

}  // namespace pointvalue::refit
