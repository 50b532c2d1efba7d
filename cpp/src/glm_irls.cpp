// Least squares / ridge (one solve, a minimum-norm fallback) and Newton–IRLS for the logistic
// and Poisson models.
#include "glm_detail.hpp"

namespace pointvalue::glm::detail {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Minimum-norm least squares by a complete orthogonal decomposition of a (weighted, centred) copy
// of X: the fallback for ill-conditioned or rank-deficient designs.
template <class Map>
void ols_cod_impl(const Map& X, const double* y, const double* w, const Options& opt,
                  Fit& res) {
  const idx n = X.rows(), d = X.cols();
  VectorXd xbar = VectorXd::Zero(d);
  double ybar = 0;
  if (opt.fit_intercept) {
    Moments m = moments_impl(X, w, nullptr, true, GramKind::None);
    xbar = m.mean;
    ybar = weighted_mean(y, w, n);
  }
  const idx extra = opt.l2 > 0 ? d : 0;
  MatrixXd A(n + extra, d);
  VectorXd rhs = VectorXd::Zero(n + extra);
  for (idx i = 0; i < n; ++i) {
    const double sw = w ? std::sqrt(w[i]) : 1.0;
    A.row(i) = sw * (X.row(i).template cast<double>() - xbar.transpose());
    rhs[i] = sw * (y[i] - ybar);
  }
  if (extra) {
    A.bottomRows(d).setZero();
    A.bottomRows(d).diagonal().setConstant(std::sqrt(opt.l2));
  }
  Eigen::CompleteOrthogonalDecomposition<MatrixXd> cod;
  cod.setThreshold(double(std::max(n + extra, d)) * kEps);
  cod.compute(A);
  res.coef = cod.solve(rhs);
  res.rank = cod.rank();
  res.intercept = opt.fit_intercept ? ybar - xbar.dot(res.coef) : 0.0;
  res.lstsq_fallback = true;
}

// Newton / IRLS with Armijo backtracking (OLS: one solve plus iterative refinement).
template <class T>
Fit fit_irls(const MatrixView<T>& X, const double* y, const double* w,
                   const Options& opt) {
  const idx n = X.rows, d = X.cols;
  const Model model = opt.model;
  const bool ols = model == Model::OLS;
  const bool icpt = opt.fit_intercept;
  Fit res;
  res.rank = d;
  VectorXd theta = VectorXd::Zero(d);
  double b = 0;
  if (icpt) {
    const double ybar = weighted_mean(y, w, n);
    if (model == Model::OLS) b = ybar;
    if (model == Model::Logistic) {
      const double p = std::min(std::max(ybar, 1e-10), 1 - 1e-10);
      b = std::log(p / (1 - p));
    }
    if (model == Model::Poisson) b = ybar > 0 ? std::log(ybar) : 0.0;
  }
  // With an intercept, work in coordinates shifted by the weighted column means: b then is the
  // intercept of the centred design and η = (x − c)ᵀθ + b stays accurate for large column means.
  VectorXd cvec;
  const VectorXd* shift = nullptr;
  if (icpt) {
    cvec = moments(X, w, nullptr, true, GramKind::None).mean;
    shift = &cvec;
  }
  // A last Newton step is kept only if the objective (f before it) does not grow beyond its
  // rounding: in the quadratic regime it takes the gradient to rounding level for one loss pass.
  auto take_final_step = [&](const VectorXd& du, double db, double f) {
    const VectorXd th = theta + du;
    const double ft = loss_sum(X, y, w, th, b + db, model, opt.tau, shift) + penalty(th, opt.l2);
    if (du.allFinite() && std::isfinite(db) && ft <= f + 1e3 * kEps * std::max(std::abs(f), 1.0)) {
      theta = th;
      b += db;
      res.objective = ft;
    }
  };
  std::vector<double> D(n), R(n);
  AugSystem sys;
  bool have_factor = false;
  double g0 = -1;
  int it = 0;
  const int max_refine = 6;
  for (;; ++it) {
    const bool need_hess = !ols || !have_factor;
    Moments m = glm_pass(X, y, w, theta, b, shift, model, opt.tau, 1.0, icpt,
                         need_hess ? GramKind::Full : GramKind::None, true, R.data(), D.data());
    const double f = m.loss + penalty(theta, opt.l2);
    res.objective = f;
    res.max_abs_eta = m.max_abs_eta;
    const idx overlap = m.overlap;
    if (!std::isfinite(f)) {
      res.status = Status::Diverged;
      break;
    }
    VectorXd G = m.gx - opt.l2 * theta;
    const double Gb = icpt ? m.gsum : 0.0;
    const double gnorm = std::max(G.size() ? G.cwiseAbs().maxCoeff() : 0.0, std::abs(Gb));
    res.grad_norm = gnorm;
    if (g0 < 0) g0 = gnorm;
    if (gnorm <= opt.tol * std::max(g0, 1e-300) || gnorm == 0) {
      res.converged = true;
      // Polish: one more Newton step from the Hessian already accumulated at this point costs no
      // extra pass and, in the quadratic regime, takes the gradient to rounding level. It is
      // kept only if the objective does not grow beyond its rounding.
      if (!ols && gnorm > 0 && sys.factor(m, opt.l2, icpt)) {
        VectorXd du;
        double db;
        sys.solve(G, Gb, du, db);
        take_final_step(du, db, f);
      }
      break;
    }
    if (model == Model::Logistic && opt.l2 == 0 && overlap == 0) {
      res.status = Status::Separable;
      break;
    }
    if (it >= (ols ? max_refine : opt.max_iter)) break;
    if (need_hess) {
      if (!sys.factor(m, opt.l2, icpt)) {
        if (ols) {
          visit_matrix(X, [&](const auto& map) { ols_cod_impl(map, y, w, opt, res); });
          res.objective = loss_sum(X, y, w, res.coef, res.intercept, model, opt.tau) +
                          penalty(res.coef, opt.l2);
          res.converged = true;
          res.n_iter = 1;
          return res;
        }
        res.status = Status::Singular;
        break;
      }
      if (ols && sys.F.cond > 1e10) {  // normal equations would lose too many digits
        visit_matrix(X, [&](const auto& map) { ols_cod_impl(map, y, w, opt, res); });
        res.objective =
            loss_sum(X, y, w, res.coef, res.intercept, model, opt.tau) + penalty(res.coef, opt.l2);
        res.converged = true;
        res.n_iter = 1;
        return res;
      }
      have_factor = true;
    }
    VectorXd du;
    double db;
    sys.solve(G, Gb, du, db);
    const double decrement = G.dot(du) + Gb * db;  // ΔᵀHΔ ≥ 0
    if (ols) {
      theta += du;
      b += db;
      // Refinement has converged when the correction is at the rounding level of the answer.
      const double scale = std::max(theta.cwiseAbs().maxCoeff(), 1e-300);
      if (du.cwiseAbs().maxCoeff() <= 64 * kEps * scale &&
          std::abs(db) <= 64 * kEps * std::max(std::abs(b), scale)) {
        res.converged = true;
        ++it;
        break;
      }
      continue;
    }
    if (decrement <= 16 * kEps * std::max(std::abs(f), 1e-300)) {
      res.converged = true;  // remaining decrease is below rounding of the objective
      take_final_step(du, db, f);  // the final (tiny) Newton step, as in the polish above
      break;
    }
    // Armijo backtracking on the objective. Near the optimum (tiny Newton decrement) the change
    // of f is below the rounding of its sum: the full Newton step is then taken as long as f
    // does not grow beyond that rounding (Newton converges quadratically there).
    const double fround = 1e3 * kEps * std::max(std::abs(f), 1.0);
    const bool tiny = decrement <= 1e-8 * std::max(std::abs(f), 1.0);
    double step = 1.0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      const VectorXd th = theta + step * du;
      const double bt = b + step * db;
      const double ft = loss_sum(X, y, w, th, bt, model, opt.tau, shift) + penalty(th, opt.l2);
      if (std::isfinite(ft) &&
          (ft <= f - 1e-4 * step * decrement || (tiny && step == 1.0 && ft <= f + fround))) {
        theta = th;
        b = bt;
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      // No decrease representable: we are at the optimum to rounding, or stuck.
      res.converged = gnorm <= std::sqrt(opt.tol) * std::max(g0, 1e-300);
      if (!res.converged) res.status = Status::Diverged;
      break;
    }
  }
  res.coef = theta;
  res.intercept = icpt ? b - cvec.dot(theta) : 0.0;
  res.n_iter = it;
  if (res.status == Status::Ok && !res.converged) res.status = Status::MaxIter;
  if (ols) {
    res.objective = loss_sum(X, y, w, theta, b, model, opt.tau, shift) + penalty(theta, opt.l2);
  }
  return res;
}

template Fit fit_irls(const MatrixView<double>&, const double*, const double*, const Options&);
template Fit fit_irls(const MatrixView<float>&, const double*, const double*, const Options&);

}  // namespace pointvalue::glm::detail
