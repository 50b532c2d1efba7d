// The glm entry points: the solver for the model, and the penalized objective.
#include "glm_detail.hpp"

namespace pointvalue::glm::detail {

// SpdFactor (glm_detail.hpp) is compiled here once, not in every solver file that factors.
void SpdFactor::compute(const MatrixXd& A) {
  const idx d = A.rows();
  sc.resize(d);
  ok = true;
  for (idx j = 0; j < d; ++j) {
    if (!(A(j, j) > 0) || !std::isfinite(A(j, j))) {
      ok = false;
      sc[j] = 0;
    } else {
      sc[j] = 1.0 / std::sqrt(A(j, j));
    }
  }
  if (!ok) return;
  const MatrixXd Ah = sc.asDiagonal() * A * sc.asDiagonal();
  llt.compute(Ah);
  if (llt.info() != Eigen::Success) {
    ok = false;
    return;
  }
  const VectorXd lam = symmetric_eigen(Ah, /*values_only=*/true).values;
  const double lo = lam.minCoeff(), hi = lam.maxCoeff();
  cond = lo > 0 ? hi / lo : kInf;
  if (!(lo > hi * 16.0 * kEps * double(std::max<idx>(d, 1)))) ok = false;
}

VectorXd SpdFactor::solve(const VectorXd& b) const {
  return sc.asDiagonal() * llt.solve(VectorXd(sc.asDiagonal() * b));
}

MatrixXd SpdFactor::inverse() const {
  const idx d = sc.size();
  return sc.asDiagonal() * llt.solve(MatrixXd::Identity(d, d)) * sc.asDiagonal();
}

MatrixXd SpdFactor::inv_sqrt() const {
  const idx d = sc.size();
  MatrixXd Linv = llt.matrixL().solve(MatrixXd::Identity(d, d));  // L⁻¹
  return sc.asDiagonal() * Linv.transpose();
}

}  // namespace pointvalue::glm::detail

namespace pointvalue::glm {

using namespace detail;

namespace {

template <class T>
Result fit(const MatrixView<T>& X, const double* y, const double* w, const Options& opt) {
  const Fit f = opt.model == Model::Quantile ? fit_quantile(X, y, w, opt) : fit_irls(X, y, w, opt);
  return {f, std::vector<double>(f.coef.data(), f.coef.data() + f.coef.size())};
}

}  // namespace

Result fit_glm(const MatrixView<double>& X, const double* y, const double* w,
               const Options& opt) {
  return fit(X, y, w, opt);
}

Result fit_glm(const MatrixView<float>& X, const double* y, const double* w,
               const Options& opt) {
  return fit(X, y, w, opt);
}

double glm_objective(const MatrixView<double>& X, const double* y, const double* w,
                     const double* coef, double intercept, const Options& opt) {
  const Eigen::VectorXd theta = Eigen::Map<const Eigen::VectorXd>(coef, X.cols);
  return loss_sum(X, y, w, theta, opt.fit_intercept ? intercept : 0.0, opt.model, opt.tau) +
         (opt.model == Model::Quantile ? 0.0 : penalty(theta, opt.l2));
}

}  // namespace pointvalue::glm
