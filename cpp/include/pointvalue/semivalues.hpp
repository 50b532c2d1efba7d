// Semivalues (Data Shapley, Beta Shapley, Banzhaf, leave-one-out) of a model's validation score.
//
// The game: u(S) = score on the validation set of the model fitted on the pool rows S, with the
// objective Σ_{i∈S} loss_i + (l2/2)·‖w‖² (intercept unpenalized) — least squares (½ r²) or binary
// logistic (cross-entropy). Score: −MSE / R² for least squares, −log loss / accuracy for logistic.
// A subset the model cannot be fitted on (empty; a singular least-squares Gram matrix; a logistic
// subset with a single class) scores `empty_score` (the caller's convention).
//
// Engine: a Fitter holds the fit of the current subset and grows it one row at a time.
//   * least squares: the Gram matrix A and the inverse A⁻¹, updated by Sherman–Morrison (O(p²) per
//     row, recomputed from A by Cholesky every `refresh` updates to bound rounding drift); the
//     validation MSE is the quadratic form c − 2θᵀg + θᵀSθ of the validation statistics, O(p²)
//     whatever the validation size.
//   * logistic: θ warm-starts from the previous subset's solution and iterates θ ← θ − P⁻¹∇F(θ)
//     with the exact gradient; P⁻¹ is the inverse Hessian of an earlier fit, rank-one updated
//     (Sherman–Morrison) with each new row's curvature, BFGS-updated with every step (so the
//     iteration is superlinear and P⁻¹ follows the curvature along the walk), and recomputed at
//     the current θ only when the iteration contracts slowly. Converged when the estimated
//     distance to the solution (max_j |Δθ_j|·rms(x_j), from the observed contraction rate) is
//     below tol. A fit from scratch (or a diverging warm start) runs damped Newton first.
// Permutation walks give every player's marginal u(S ∪ i) − u(S) at its position; positions are
// weighted by the caller's size weights; truncation stops a walk once |u(S) − u(N)| ≤ τ·|u(N)|
// (later marginals are zero). Walks run in parallel (OpenMP), one output row per permutation, so
// results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue::semivalues {

enum class Model : int { LeastSquares = 0, Logistic = 1 };
enum class Metric : int { Loss = 0, Accuracy = 1, R2 = 2 };

// Per-walk / per-subset status (0 = fine); the Python layer turns the others into exceptions.
enum Status : std::int32_t {
  kOk = 0,
  kSingular = 1,      // a logistic Hessian is singular (l2 = 0 with collinear rows)
  kNotConverged = 2,  // Newton did not reach tol (separable classes with l2 = 0)
  kBadIndex = 4,      // an index outside the pool
};

struct Options {
  Model model = Model::LeastSquares;
  Metric metric = Metric::Loss;
  double l2 = 0.0;
  double tol = 1e-10;
  int max_iter = 100;
  double empty_score = 0.0;  // u of a subset the model cannot be fitted on (and of ∅)
  double truncation = 0.0;   // relative truncation tolerance τ; 0 = no truncation
  double total_score = 0.0;  // u(N), the truncation reference
  std::vector<double> size_weights;  // weight of a marginal at position k = |S| (empty: all 1)
  int refresh = 0;           // least squares: recompute A⁻¹ every `refresh` updates (0: auto)
  int n_threads = 1;
};

struct Data {
  MatrixView<double> X;       // pool, n × d
  const double* y = nullptr;  // targets (least squares) or labels 0/1 (logistic)
  MatrixView<double> Xv;      // validation, m × d
  const double* yv = nullptr;
};

// Walk `n_perm` permutations (row-major n_perm × n). Row q of `marginals` holds player π_j's
// weighted marginal in column π_j; evaluations[q] counts fits, truncated_at[q] the position
// (number of players added) where the walk stopped (n if never).
void walk_permutations(const Data& data, const Options& opt, const std::int64_t* perms, idx n_perm,
                       double* marginals, std::int64_t* evaluations, std::int64_t* truncated_at,
                       std::int32_t* status);

// u of each subset t = idx[ptr[t] .. ptr[t+1]); with targets (one per subset, may be null) also
// u(S ∪ {target}) by one incremental step.
void evaluate_subsets(const Data& data, const Options& opt, const std::int64_t* ptr,
                      const std::int64_t* index, idx n_subsets, const std::int64_t* targets,
                      double* score, double* score_plus, std::int32_t* status);

// The score of the all-zero model (θ = 0): logistic p = ½ everywhere, least squares ŷ = 0.
double zero_model_score(const Data& data, const Options& opt);

}  // namespace pointvalue::semivalues
