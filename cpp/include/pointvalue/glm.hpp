// Weighted generalized linear model solvers (least squares / ridge, logistic, Poisson, quantile)
// and per-row influence norms for influence-based subsampling (Ting & Brochu, NeurIPS 2018).
//
// Conventions
//   * Objective: Σ_i w_i·loss_i(η_i) + (l2/2)·‖θ‖², η_i = x_iᵀθ + b, the intercept b unpenalized.
//     loss: ols ½(y−η)²; logistic log(1+e^η) − yη; poisson e^η − yη; quantile ρ_τ(y−η).
//   * The intercept is an implicit column of ones: X is never copied to append it. With an
//     intercept, Gram matrices are accumulated centred (weighted Chan/Welford merges of
//     per-block moments), so a column with a large mean does not ruin the conditioning.
//   * Determinism: rows are split into a partition fixed by n (never by the thread count) and
//     partial sums are merged in partition order: bitwise identical results for any thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue::glm {

enum class Model : int { OLS = 0, Logistic = 1, Poisson = 2, Quantile = 3 };

// Outcome of a fit or an influence computation (one vocabulary for the family).
enum class Status : int {
  Ok = 0,
  MaxIter = 1,     // not converged within max_iter
  Singular = 2,    // singular Hessian / Σ (collinear columns) with l2 = 0
  Separable = 3,   // logistic: a hyperplane separates the classes, the MLE does not exist
  Diverged = 4,    // non-finite objective / no decrease possible far from optimality
  NonFinite = 5,   // influence: NaN/inf in X or an overflowing IRLS weight
  Unsupported = 6, // influence: float32 X with a sketched approximation (the SRHT is float64-only)
};

struct Options {
  Model model = Model::OLS;
  double l2 = 0.0;
  double tau = 0.5;
  bool fit_intercept = true;
  double tol = 1e-10;  // relative gradient tolerance (IRLS) / relative duality gap (quantile)
  int max_iter = 100;
};

// What a fit reports besides its coefficients (the solvers keep theirs in an Eigen vector,
// glm_detail.hpp's Fit; Result, what the bindings see, holds a std::vector: no Eigen at the seam).
struct FitInfo {
  double intercept = 0.0;
  int n_iter = 0;
  bool converged = false;
  double objective = 0.0;
  double grad_norm = 0.0;  // ‖∇‖∞ at the last Newton iterate, before the final step (0: quantile)
  double max_abs_eta = 0.0;
  idx rank = 0;            // numerical rank used (OLS; d otherwise)
  bool lstsq_fallback = false;  // OLS answered by a complete orthogonal decomposition
  Status status = Status::Ok;
};

struct Result : FitInfo {
  std::vector<double> coef;
};

// Fits the model. y has X.rows entries; w (case weights, ≥ 0) may be null for all ones.
Result fit_glm(const MatrixView<double>& X, const double* y, const double* w, const Options& opt);
// float32 X: blocks are converted to float64 in cache (all arithmetic float64), X is not copied
// (the OLS least-squares fallback copies a float64 version, as for float64 input).
Result fit_glm(const MatrixView<float>& X, const double* y, const double* w, const Options& opt);

// Objective value Σ w_i loss_i + (l2/2)‖θ‖² at (θ, b).
double glm_objective(const MatrixView<double>& X, const double* y, const double* w,
                     const double* coef, double intercept, const Options& opt);

enum class Target : int { Coef = 0, Prediction = 1 };
enum class Approx : int { Exact = 0, Diag = 1, LowRank = 2, Sketch = 3 };

struct InfluenceOptions {
  Model model = Model::OLS;
  Target target = Target::Coef;
  Approx approx = Approx::Exact;
  double tau = 0.5;
  double l2 = 0.0;
  bool fit_intercept = false;  // the model has an (unpenalized) intercept, `intercept`
  double intercept = 0.0;
  idx rank = 20;         // LowRank: number of corrected directions
  idx sketch_size = 0;   // LowRank / Sketch: SRHT rows (≤ the padded length 2^⌈log2 n⌉)
  std::uint64_t key = 0; // LowRank / Sketch: random key of the SRHT (see random.hpp)
};

struct InfluenceResult {
  Status status = Status::Ok;  // Ok, Singular, NonFinite or Unsupported
  idx rank = 0;                // directions kept (LowRank) or d
  double cond = 0;             // condition number of the equilibrated Σ used
};

// out[i] = ‖ψ_i‖ (see python/pointvalue/influence.py for the definitions and scale convention).
// Throws std::invalid_argument for a sketch_size outside [1, 2^⌈log2 n⌉] or rank < 1.
InfluenceResult influence_scores(const MatrixView<double>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt, double* out);
// float32 X (exact and diag only: Status::Unsupported otherwise): blocks are converted to float64
// in cache, all arithmetic is float64, X is never copied.
InfluenceResult influence_scores(const MatrixView<float>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt, double* out);

// Chunked data (Dask): the sufficient statistics of Σ for influence_scores, from one chunk of
// rows. With an intercept: s = Σ D_i, mean = Σ D_i x_i / s and C the centred weighted Gram
// Σ D_i (x_i − mean)(x_i − mean)ᵀ; without: s = Σ D_i, mean = 0 and C = Σ D_i x_i x_iᵀ. C is
// d × d for Approx::Exact and its diagonal (d × 1) for Approx::Diag; D_i = w_i·v_i as in
// influence_scores. Chunks merge with Chan's update (merge_influence_moments) into the moments
// of the whole data, so each chunk's scores can be computed with the global Σ.
// Eigen-free like the rest of the seam (the bindings that build and read it are compiled once for
// every ISA variant; see CMakeLists.txt): matrices are row-major std::vectors with their shape,
// and cpp/src/influence.cpp maps them to Eigen.
struct InfluenceMoments {
  double s = 0;
  std::vector<double> mean;  // d
  std::vector<double> C;     // C_rows × C_cols, row-major
  idx C_rows = 0, C_cols = 0;
  // Approx::LowRank (given moments only): a factor F of the sketched centred Gram, FᵀF = Σ̂
  // (sketch_rows × d, any sketch_rows ≥ 1, row-major); C is then the exact diagonal (d × 1).
  // Empty (0 × 0) otherwise.
  std::vector<double> sketch;
  idx sketch_rows = 0, sketch_cols = 0;
  Status status = Status::Ok;  // Ok, NonFinite (NaN/inf in X or an overflowing IRLS weight),
                               // Unsupported (approx lowrank / sketch: no chunk-additive form)
};

// Moments of the rows of X (exact and diag only).
InfluenceMoments influence_moments(const MatrixView<double>& X, const double* y, const double* coef,
                                   const double* w, const InfluenceOptions& opt);
InfluenceMoments influence_moments(const MatrixView<float>& X, const double* y, const double* coef,
                                   const double* w, const InfluenceOptions& opt);
// The moments of the union of two disjoint row sets (a before b; the order only affects rounding).
// Throws std::invalid_argument when the shapes disagree.
InfluenceMoments merge_influence_moments(const InfluenceMoments& a, const InfluenceMoments& b,
                                         const InfluenceOptions& opt);
// influence_scores of the rows of X with Σ from `given` (the merged moments of all rows) instead of
// X's own rows (Exact, Diag, or LowRank with `given.sketch`; Sketch: pass Σ̂ as C with Exact). Throws std::invalid_argument when `given` does not have the shape opt.approx needs.
InfluenceResult influence_scores(const MatrixView<double>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt,
                                 const InfluenceMoments& given, double* out);
InfluenceResult influence_scores(const MatrixView<float>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt,
                                 const InfluenceMoments& given, double* out);

}  // namespace pointvalue::glm
