#include "array_checks.hpp"
#include "pointvalue/powerlaw.hpp"

namespace pointvalue::bindings {
namespace {

using f64 = py::array_t<double, py::array::c_style>;
using i64 = py::array_t<std::int64_t, py::array::c_style>;

// offsets (n_points + 1), logk and delta (offsets[-1]) checked for consistency.
idx check_groups(const i64& offsets, const f64& logk, const f64& delta) {
  if (offsets.ndim() != 1 || offsets.shape(0) < 1)
    throw py::value_error("offsets must be 1-D with at least one entry");
  if (logk.ndim() != 1 || delta.ndim() != 1 || logk.shape(0) != delta.shape(0))
    throw py::value_error("logk and delta must be 1-D of equal length");
  const idx np = offsets.shape(0) - 1;
  const auto* o = offsets.data();
  if (o[0] != 0 || o[np] != logk.shape(0))
    throw py::value_error("offsets must start at 0 and end at the number of samples");
  for (idx j = 0; j < np; ++j)
    if (o[j + 1] < o[j]) throw py::value_error("offsets must be non-decreasing");
  return np;
}

py::dict fit_powerlaw_py(i64 offsets, f64 logk, f64 delta, f64 starts, double alpha_lo,
                         double alpha_hi, double beta_lo, double beta_hi, int grid_alpha,
                         int grid_beta, int n_candidates, int scan_grid, int max_iter,
                         double gtol) {
  const idx np = check_groups(offsets, logk, delta);
  if (starts.ndim() != 2 || starts.shape(1) != 2)
    throw py::value_error("starts must be an (n_starts, 2) array");
  if (n_candidates < 0 || n_candidates > 8)
    throw py::value_error("n_candidates must be in [0, 8]");
  if (n_candidates > 0 && (grid_alpha < 2 || grid_beta < 2))
    throw py::value_error("grid_alpha and grid_beta must be at least 2");
  if (n_candidates == 0 && starts.shape(0) == 0)
    throw py::value_error("give starts or n_candidates > 0");
  if (!(alpha_lo <= alpha_hi) || !(beta_lo <= beta_hi))
    throw py::value_error("bounds must satisfy lo <= hi");
  if (max_iter < 1) throw py::value_error("max_iter must be at least 1");
  PowerLawOptions opt;
  opt.alpha_lo = alpha_lo;
  opt.alpha_hi = alpha_hi;
  opt.beta_lo = beta_lo;
  opt.beta_hi = beta_hi;
  opt.grid_alpha = grid_alpha;
  opt.grid_beta = grid_beta;
  opt.n_candidates = n_candidates;
  opt.scan_grid = scan_grid;
  opt.max_iter = max_iter;
  opt.gtol = gtol;
  py::array_t<double> c(np), alpha(np), sigma(np), beta(np), nll(np), alpha_se(np), beta_se(np);
  py::array_t<std::int64_t> n_iter(np);
  py::array_t<std::int8_t> status(np);
  PowerLawResult res{c.mutable_data(),     alpha.mutable_data(), sigma.mutable_data(),
                     beta.mutable_data(),  nll.mutable_data(),   alpha_se.mutable_data(),
                     beta_se.mutable_data(), n_iter.mutable_data(), status.mutable_data()};
  const auto* o = offsets.data();
  const double* lk = logk.data();
  const double* dl = delta.data();
  const double* st = starts.data();
  const idx ns = starts.shape(0);
  {
    py::gil_scoped_release release;
    fit_powerlaw_batch(o, np, lk, dl, st, ns, opt, res);
  }
  py::dict d;
  d["c"] = c;
  d["alpha"] = alpha;
  d["sigma"] = sigma;
  d["beta"] = beta;
  d["nll"] = nll;
  d["alpha_se"] = alpha_se;
  d["beta_se"] = beta_se;
  d["n_iter"] = n_iter;
  d["status"] = status;
  return d;
}

py::tuple profile_powerlaw_py(i64 offsets, f64 logk, f64 delta, f64 alpha, f64 beta) {
  const idx np = check_groups(offsets, logk, delta);
  if (alpha.ndim() != 1 || beta.ndim() != 1 || alpha.shape(0) != np || beta.shape(0) != np)
    throw py::value_error("alpha and beta must have one entry per point");
  py::array_t<double> c(np), sigma(np), nll(np);
  double *cp = c.mutable_data(), *sp = sigma.mutable_data(), *np_ = nll.mutable_data();
  const auto* o = offsets.data();
  const double *lk = logk.data(), *dl = delta.data(), *a = alpha.data(), *b = beta.data();
  {
    py::gil_scoped_release release;
    profile_powerlaw_batch(o, np, lk, dl, a, b, cp, sp, np_);
  }
  return py::make_tuple(c, sigma, nll);
}

}  // namespace

void bind_powerlaw(py::module_& m) {
  m.def("fit_powerlaw", &fit_powerlaw_py, py::arg("offsets"), py::arg("logk"), py::arg("delta"),
        py::arg("starts"), py::arg("alpha_lo"), py::arg("alpha_hi"), py::arg("beta_lo"),
        py::arg("beta_hi"), py::arg("grid_alpha"), py::arg("grid_beta"), py::arg("n_candidates"),
        py::arg("scan_grid"), py::arg("max_iter"), py::arg("gtol"),
        "Batched profile-likelihood fits of Δ ~ Normal(c k^-α, σ² k^-β), grouped by offsets.");
  m.def("profile_powerlaw", &profile_powerlaw_py, py::arg("offsets"), py::arg("logk"),
        py::arg("delta"), py::arg("alpha"), py::arg("beta"),
        "Profile NLL, c and σ of each point at given (α, β): (c, sigma, nll).");
}

}  // namespace pointvalue::bindings
