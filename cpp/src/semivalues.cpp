// Semivalue engine: subset fits grown one row at a time (see semivalues.hpp).
#include "pointvalue/semivalues.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "pointvalue/parallel.hpp"
#include "matrix_map.hpp"

namespace pointvalue::semivalues {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

inline double sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + std::exp(-t));
  const double e = std::exp(t);
  return e / (1.0 + e);
}

// Σ softplus(t) = Σ max(t, 0) + log1p(exp(−|t|)), vectorized.
template <class V>
double softplus_sum(const V& t) {
  return (t.array().max(0.0) + (-t.array().abs()).exp().log1p()).sum();
}

// What every thread shares: the pool with the intercept column appended (row-major, so a subset's
// rows are gathered by contiguous copies), validation statistics, column scales.
struct Shared {
  idx n = 0, p = 0, m = 0;
  RowMajorMatrix Xa;   // n × p, last column 1
  VectorXd y;
  RowMajorMatrix Xva;  // m × p (logistic only)
  VectorXd yv;
  MatrixXd Sv;         // least squares: Xvaᵀ Xva / m
  VectorXd gv;         //                Xvaᵀ yv / m
  double cv = 0;       //                yvᵀ yv / m
  double var_v = 0;    // validation variance (R²)
  VectorXd scale;      // rms of each column over the pool (1 for the intercept, 1 if zero)
  VectorXd penalty;    // l2 on the weights, 0 on the intercept
  Options opt;

  Shared(const Data& d, const Options& o) : opt(o) {
    n = d.X.rows;
    p = d.X.cols + 1;
    m = d.Xv.rows;
    Xa.resize(n, p);
    visit_matrix(d.X, [&](const auto& X) { Xa.leftCols(p - 1) = X; });
    Xa.col(p - 1).setOnes();
    y = Eigen::Map<const VectorXd>(d.y, n);
    yv = Eigen::Map<const VectorXd>(d.yv, m);
    RowMajorMatrix Xv(m, p);
    visit_matrix(d.Xv, [&](const auto& V) { Xv.leftCols(p - 1) = V; });
    Xv.col(p - 1).setOnes();
    if (o.model == Model::LeastSquares) {
      Sv = (Xv.transpose() * Xv) / double(m);
      gv = (Xv.transpose() * yv) / double(m);
      cv = yv.squaredNorm() / double(m);
    } else {
      Xva = std::move(Xv);
    }
    const double mean_v = yv.mean();
    var_v = (yv.array() - mean_v).square().mean();
    scale = (Xa.colwise().squaredNorm().transpose() / double(std::max<idx>(n, 1))).cwiseSqrt();
    for (idx j = 0; j < p; ++j)
      if (!(scale[j] > 0)) scale[j] = 1;
    penalty = VectorXd::Constant(p, o.l2);
    penalty[p - 1] = 0;
  }

  double ls_score(double mse) const {
    if (opt.metric == Metric::R2) return 1.0 - mse / var_v;
    return -mse;
  }

  // Score of the logistic model θ on the validation set.
  double logistic_score(const VectorXd& theta, VectorXd& eta) const {
    eta.noalias() = Xva * theta;
    double s = 0;
    if (opt.metric == Metric::Accuracy) {
      for (idx i = 0; i < m; ++i) s += ((eta[i] > 0) == (yv[i] > 0.5)) ? 1.0 : 0.0;
      return s / double(m);
    }
    return -(softplus_sum(eta) - yv.dot(eta)) / double(m);
  }
};

// Inverse of a symmetric positive definite matrix by Cholesky; false if (numerically) singular:
// a squared pivot below `rel` of its diagonal entry means that column is all but a combination of
// the others (least squares: such a subset is "too small"; a penalized logistic Hessian is
// positive definite however ill-conditioned, so there only a failed factorization counts).
bool spd_inverse(const MatrixXd& A, MatrixXd& inv, double rel) {
  Eigen::LLT<MatrixXd> llt(A);
  if (llt.info() != Eigen::Success) return false;
  const MatrixXd& L = llt.matrixLLT();
  for (idx j = 0; j < A.rows(); ++j)
    if (!(L(j, j) * L(j, j) > rel * std::max(A(j, j), 1e-300))) return false;
  inv = llt.solve(MatrixXd::Identity(A.rows(), A.cols()));
  return true;
}

// The fit of a growing subset. push() adds a row, solve() fits the current subset, score() is u.
class Fitter {
 public:
  explicit Fitter(const Shared& sh) : sh_(sh), p_(sh.p) {
    A_.resize(p_, p_);
    inv_.resize(p_, p_);
    b_.resize(p_);
    theta_.resize(p_);
    g_.resize(p_);
    delta_.resize(p_);
    u_.resize(p_);
    if (sh.opt.model == Model::Logistic) {
      XS_.resize(sh.n, p_);
      yS_.resize(sh.n);
      eta_.resize(sh.n);
      etav_.resize(sh.m);
    }
    refresh_every_ = sh.opt.refresh > 0 ? sh.opt.refresh : int(std::max<idx>(p_, 64));
    reset();
  }

  void reset() {
    k_ = 0;
    n_pos_ = 0;
    inv_valid_ = false;
    fitted_ = false;
    updates_ = 0;
    A_ = sh_.penalty.asDiagonal();
    b_.setZero();
    theta_.setZero();
  }

  void push(std::int64_t i) {
    const auto x = sh_.Xa.row(i).transpose();
    if (sh_.opt.model == Model::LeastSquares) {
      A_.selfadjointView<Eigen::Lower>().rankUpdate(x);
      b_.noalias() += sh_.y[i] * x;
      if (inv_valid_) {  // Sherman–Morrison: (A + xxᵀ)⁻¹
        u_.noalias() = inv_.selfadjointView<Eigen::Lower>() * x;
        inv_.selfadjointView<Eigen::Lower>().rankUpdate(u_, -1.0 / (1.0 + x.dot(u_)));
        ++updates_;
      }
    } else {
      XS_.row(k_) = sh_.Xa.row(i);
      yS_[k_] = sh_.y[i];
      if (sh_.y[i] > 0.5) ++n_pos_;
      if (inv_valid_) {  // the new row's curvature at the current θ
        const double s = sigmoid(x.dot(theta_));
        const double w = s * (1 - s);
        u_.noalias() = inv_.selfadjointView<Eigen::Lower>() * x;
        inv_.selfadjointView<Eigen::Lower>().rankUpdate(u_, -w / (1.0 + w * x.dot(u_)));
      }
    }
    ++k_;
  }

  // Fits the current subset; false when it cannot be fitted (u = empty_score). Sets status_.
  bool solve() {
    status_ = kOk;
    if (sh_.opt.model == Model::LeastSquares) return solve_ls();
    return solve_logistic();
  }

  double score() {
    if (!fitted_) return sh_.opt.empty_score;
    if (sh_.opt.model == Model::LeastSquares) {
      const double mse = sh_.cv - 2 * theta_.dot(sh_.gv) + theta_.dot(sh_.Sv * theta_);
      return sh_.ls_score(std::max(mse, 0.0));
    }
    return sh_.logistic_score(theta_, etav_);
  }

  Status status() const { return status_; }

 private:
  bool solve_ls() {
    if (k_ == 0) return fitted_ = false;
    if (!inv_valid_ || updates_ >= refresh_every_) {
      MatrixXd full = A_.selfadjointView<Eigen::Lower>();
      inv_valid_ = spd_inverse(full, inv_, 1e-10);
      updates_ = 0;
      if (!inv_valid_) return fitted_ = false;
    }
    theta_.noalias() = inv_.selfadjointView<Eigen::Lower>() * b_;
    return fitted_ = true;
  }

  double scaled_norm(const VectorXd& v) const { return (v.cwiseAbs().cwiseProduct(sh_.scale)).maxCoeff(); }

  // Gradient of Σ loss + ½ θᵀ diag(penalty) θ over the current rows (link functions vectorized:
  // the scalar exp per row dominated the chord iterations).
  void gradient() {
    auto X = XS_.topRows(k_);
    auto eta = eta_.head(k_);
    eta.noalias() = X * theta_;
    eta = (1.0 + (-eta.array()).exp()).inverse() - yS_.head(k_).array();
    g_.noalias() = X.transpose() * eta;
    g_.array() += sh_.penalty.array() * theta_.array();
  }

  double objective(const VectorXd& theta) {
    auto X = XS_.topRows(k_);
    auto eta = eta_.head(k_);
    eta.noalias() = X * theta;
    const double f = softplus_sum(eta) - yS_.head(k_).dot(eta);
    return f + 0.5 * (sh_.penalty.array() * theta.array().square()).sum();
  }

  // inv_ = Hessian⁻¹ at θ.
  bool refresh_hessian() {
    auto X = XS_.topRows(k_);
    auto eta = eta_.head(k_);
    eta.noalias() = X * theta_;
    eta = (1.0 + (-eta.array()).exp()).inverse();
    eta = (eta.array() * (1.0 - eta.array())).sqrt();
    Xw_.resize(k_, p_);
    Xw_ = X.array().colwise() * eta.array();
    H_ = sh_.penalty.asDiagonal();
    H_.selfadjointView<Eigen::Lower>().rankUpdate(Xw_.transpose());
    MatrixXd H = H_.selfadjointView<Eigen::Lower>();
    inv_valid_ = spd_inverse(H, inv_, sh_.opt.l2 > 0 ? 0.0 : 1e-14);
    return inv_valid_;
  }

  bool solve_logistic() {
    if (n_pos_ == 0 || n_pos_ == k_) {  // one class only: the intercept would diverge
      inv_valid_ = false;
      return fitted_ = false;
    }
    if (inv_valid_) {  // warm start from the previous subset's solution
      start_ = theta_;
      if (chord()) return fitted_ = true;
      theta_ = start_;  // the chord iteration contracted too slowly: Newton from the warm start
    } else {
      theta_.setZero();
    }
    const Status st = damped_newton();
    if (st != kOk) return fail(st);
    if (chord()) return fitted_ = true;
    return fail(kNotConverged);
  }

  // Newton with a backtracking line search on the objective until the step is small; leaves
  // inv_ = Hessian⁻¹ at the final θ for the chord iterations that finish the fit.
  Status damped_newton() {
    for (int it = 0; it < sh_.opt.max_iter; ++it) {
      if (!refresh_hessian()) return kSingular;
      gradient();
      delta_.noalias() = inv_.selfadjointView<Eigen::Lower>() * g_;
      const double s = scaled_norm(delta_);
      if (!std::isfinite(s)) return kNotConverged;
      const double f0 = objective(theta_);
      double t = 1;
      for (int h = 0; h < 50; ++h, t *= 0.5) {
        u_ = theta_ - t * delta_;
        if (objective(u_) <= f0 + 1e-12 * std::abs(f0)) break;
      }
      theta_ = u_;
      if (t == 1 && s < 1e-4) return kOk;  // inv_ (the Hessian one step back) finishes by chord
    }
    return kNotConverged;
  }

  // θ ← θ − P⁻¹∇F(θ) with P⁻¹ = inv_, stopped when the contraction-rate estimate of the remaining
  // error is below tol. A slow contraction (rate > 0.3) refreshes P at the current θ (a Newton
  // step); false when the iteration diverges (then damped Newton takes over).
  bool chord() {
    double prev = 0;
    bool have_prev = false;
    int refreshes = 0;
    for (int it = 0; it < sh_.opt.max_iter; ++it) {
      gradient();
      if (have_prev) bfgs_update();
      delta_.noalias() = inv_.selfadjointView<Eigen::Lower>() * g_;
      double s = scaled_norm(delta_);
      if (!std::isfinite(s)) return false;
      const double rate = have_prev ? s / prev : 0;
      if (have_prev && rate >= 1) return false;
      if (have_prev && rate > 0.3) {
        if (++refreshes > 8 || !refresh_hessian()) return false;
        delta_.noalias() = inv_.selfadjointView<Eigen::Lower>() * g_;  // g is still ∇F(θ)
        s = scaled_norm(delta_);
        have_prev = false;
      }
      theta_ -= delta_;
      g_old_ = g_;
      step_ = delta_;
      if (s <= 1e-3 * sh_.opt.tol) return true;
      if (have_prev && s * rate / (1 - rate) <= 0.5 * sh_.opt.tol) return true;
      prev = s;
      have_prev = true;
    }
    return false;
  }

  // BFGS update of P⁻¹ with the last step (θ moved by −step_, the gradient by g − g_old): the
  // chord iteration becomes superlinear and P⁻¹ follows the curvature along the walk. Skipped when
  // the pair carries no curvature information above rounding.
  void bfgs_update() {
    y_ = g_ - g_old_;
    const double ys = -y_.dot(step_);
    if (!(ys > 1e-12 * y_.norm() * step_.norm())) return;
    const double rho = 1.0 / ys;
    u_.noalias() = inv_.selfadjointView<Eigen::Lower>() * y_;
    const double yv = y_.dot(u_);
    // s = −step_: P⁻¹ − ρ(s vᵀ + v sᵀ) + (ρ + ρ² yᵀv) s sᵀ with v = P⁻¹y
    inv_.selfadjointView<Eigen::Lower>().rankUpdate(step_, u_, rho);
    inv_.selfadjointView<Eigen::Lower>().rankUpdate(step_, rho + rho * rho * yv);
  }

  bool fail(Status st) {
    status_ = st;
    inv_valid_ = false;
    return fitted_ = false;
  }

  const Shared& sh_;
  idx p_;
  idx k_ = 0, n_pos_ = 0;
  MatrixXd A_, inv_, H_;  // lower triangles are the truth
  VectorXd b_, theta_, g_, delta_, u_, start_, g_old_, step_, y_;
  RowMajorMatrix XS_, Xw_;
  VectorXd yS_, eta_, etav_;
  bool inv_valid_ = false, fitted_ = false;
  int updates_ = 0, refresh_every_ = 64;
  Status status_ = kOk;
};

bool within_truncation(const Options& o, double u) {
  return o.truncation > 0 && std::abs(u - o.total_score) <= o.truncation * std::abs(o.total_score);
}

// body(fit, i) for i < count on n_threads threads, each with its own Fitter (reset by the body);
// an allocation failure anywhere is rethrown after the region (ParallelErrors).
template <class Body>
void for_each_with_fitter(const Shared& sh, int n_threads, idx count, Body&& body) {
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel num_threads(std::max(1, n_threads))
#endif
  {
    std::optional<Fitter> fitter;
    errors.run([&] { fitter.emplace(sh); });
#if defined(PV_HAVE_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
    for (idx i = 0; i < count; ++i) errors.run([&] { body(*fitter, i); });
  }
  errors.rethrow();
}

}  // namespace

void walk_permutations(const Data& data, const Options& opt, const std::int64_t* perms, idx n_perm,
                       double* marginals, std::int64_t* evaluations, std::int64_t* truncated_at,
                       std::int32_t* status) {
  const Shared sh(data, opt);
  const idx n = sh.n;
  const bool weighted = !opt.size_weights.empty();
  for_each_with_fitter(sh, opt.n_threads, n_perm, [&](Fitter& fit, idx q) {
    const std::int64_t* pi = perms + q * n;
    double* row = marginals + q * n;
    std::fill(row, row + n, 0.0);
    fit.reset();
    double prev = opt.empty_score;
    std::int64_t evals = 0, stop = n;
    std::int32_t st = kOk;
    for (idx j = 0; j < n; ++j) {
      const std::int64_t i = pi[j];
      if (i < 0 || i >= n) {
        st = kBadIndex;
        break;
      }
      fit.push(i);
      fit.solve();
      if (fit.status() != kOk) {
        st = fit.status();
        break;
      }
      const double u = fit.score();
      ++evals;
      row[i] = (weighted ? opt.size_weights[j] : 1.0) * (u - prev);
      prev = u;
      if (within_truncation(opt, u)) {
        stop = j + 1;
        break;
      }
    }
    evaluations[q] = evals;
    truncated_at[q] = stop;
    status[q] = st;
  });
}

void evaluate_subsets(const Data& data, const Options& opt, const std::int64_t* ptr,
                      const std::int64_t* index, idx n_subsets, const std::int64_t* targets,
                      double* score, double* score_plus, std::int32_t* status) {
  const Shared sh(data, opt);
  const idx n = sh.n;
  for_each_with_fitter(sh, opt.n_threads, n_subsets, [&](Fitter& fit, idx t) {
    fit.reset();
    std::int32_t st = kOk;
    for (std::int64_t a = ptr[t]; a < ptr[t + 1]; ++a) {
      if (index[a] < 0 || index[a] >= n) {
        st = kBadIndex;
        break;
      }
      fit.push(index[a]);
    }
    double u = std::numeric_limits<double>::quiet_NaN(), up = u;
    if (st == kOk) {
      fit.solve();
      st = fit.status();
      if (st == kOk) u = fit.score();
    }
    if (st == kOk && targets) {
      if (targets[t] < 0 || targets[t] >= n) {
        st = kBadIndex;
      } else {
        fit.push(targets[t]);
        fit.solve();
        st = fit.status();
        if (st == kOk) up = fit.score();
      }
    }
    score[t] = u;
    if (score_plus) score_plus[t] = up;
    status[t] = st;
  });
}

double zero_model_score(const Data& data, const Options& opt) {
  const idx m = data.Xv.rows;
  Eigen::Map<const VectorXd> yv(data.yv, m);
  if (opt.model == Model::LeastSquares) {
    const double mse = yv.squaredNorm() / double(m);
    if (opt.metric == Metric::R2) return 1.0 - mse / (yv.array() - yv.mean()).square().mean();
    return -mse;
  }
  if (opt.metric == Metric::Accuracy)  // η = 0 predicts class 0 (as scikit-learn's predict)
    return (yv.array() < 0.5).cast<double>().mean();
  return -std::log(2.0);
}

}  // namespace pointvalue::semivalues
