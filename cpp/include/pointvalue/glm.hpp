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
#include <Eigen/Core>
#include <cstdint>
#include <string>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

enum class GlmModel : int { OLS = 0, Logistic = 1, Poisson = 2, Quantile = 3 };

struct GlmOptions {
  GlmModel model = GlmModel::OLS;
  double l2 = 0.0;
  double tau = 0.5;
  bool fit_intercept = true;
  double tol = 1e-10;  // relative gradient tolerance (IRLS) / relative duality gap (quantile)
  int max_iter = 100;
};

enum class GlmStatus : int {
  Ok = 0,
  MaxIter = 1,     // not converged within max_iter
  Singular = 2,    // singular Hessian (collinear columns) with l2 = 0 (logistic / Poisson)
  Separable = 3,   // logistic: a hyperplane separates the classes, the MLE does not exist
  Diverged = 4,    // non-finite objective / no decrease possible far from optimality
};

struct GlmResult {
  Eigen::VectorXd coef;
  double intercept = 0.0;
  int n_iter = 0;
  bool converged = false;
  double objective = 0.0;
  double grad_norm = 0.0;  // ‖∇‖∞ at the last Newton iterate, before the final step (0: quantile)
  double max_abs_eta = 0.0;
  idx rank = 0;            // numerical rank used (OLS; d otherwise)
  bool lstsq_fallback = false;  // OLS answered by a complete orthogonal decomposition
  GlmStatus status = GlmStatus::Ok;
};

// Fits the model. y has X.rows entries; w (case weights, ≥ 0) may be null for all ones.
GlmResult fit_glm(const MatrixView<double>& X, const double* y, const double* w,
                  const GlmOptions& opt);
// float32 X: blocks are converted to float64 in cache (all arithmetic float64), X is not copied
// (the OLS least-squares fallback copies a float64 version, as for float64 input).
GlmResult fit_glm(const MatrixView<float>& X, const double* y, const double* w,
                  const GlmOptions& opt);

// Objective value Σ w_i loss_i + (l2/2)‖θ‖² at (θ, b).
double glm_objective(const MatrixView<double>& X, const double* y, const double* w,
                     const double* coef, double intercept, const GlmOptions& opt);

enum class InfluenceTarget : int { Coef = 0, Prediction = 1 };
enum class InfluenceApprox : int { Exact = 0, Diag = 1, LowRank = 2, Sketch = 3 };

struct InfluenceOptions {
  GlmModel model = GlmModel::OLS;
  InfluenceTarget target = InfluenceTarget::Coef;
  InfluenceApprox approx = InfluenceApprox::Exact;
  double tau = 0.5;
  double l2 = 0.0;
  bool has_intercept = false;
  double intercept = 0.0;
  idx rank = 0;  // LowRank: number of corrected directions
  // LowRank / Sketch: SRHT randomness drawn by the caller (see sketch.hpp, srht()).
  const double* signs = nullptr;          // n random ±1
  const std::int64_t* rows = nullptr;     // sketch_rows sampled rows of the padded transform
  idx sketch_rows = 0;
  int log2N = 0;
};

struct InfluenceInfo {
  int status = 0;  // 0 ok, 2 singular Σ, 3 non-finite Σ (NaN/inf/overflow), 4 unsupported dtype
  idx rank = 0;    // directions kept (LowRank) or d
  double cond = 0; // condition number of the equilibrated Σ used
};

// out[i] = ‖ψ_i‖ (see python/pointvalue/influence.py for the definitions and scale convention).
InfluenceInfo influence_norms(const MatrixView<double>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out);
// float32 X (exact and diag only: status 4 otherwise): blocks are converted to float64 in cache,
// all arithmetic is float64, X is never copied.
InfluenceInfo influence_norms(const MatrixView<float>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out);

}  // namespace pointvalue
