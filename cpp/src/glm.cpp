// The glm entry points: the solver for the model, and the penalized objective.
#include "glm_detail.hpp"

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
