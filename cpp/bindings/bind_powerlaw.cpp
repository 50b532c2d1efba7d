#include <optional>

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

// What powerlaw.posterior returns: one array per field of PowerLawPosterior (read-only).
struct PosteriorArrays {
  py::array_t<double> c, alpha, sigma, beta, nll, alpha_mean, alpha_sd, beta_mean, beta_sd,
      value_mean, value_sd, log_evidence;
  py::array_t<std::int8_t> status;
  py::object log_marginal = py::none();
};

PosteriorArrays posterior_py(i64 offsets, f64 logk, f64 delta, const PowerLawGrid& grid,
                             std::optional<f64> log_prior, bool return_log_marginal) {
  const idx np = check_groups(offsets, logk, delta);
  const idx G = grid_size(grid);
  if (log_prior && (log_prior->ndim() != 1 || log_prior->shape(0) != G))
    throw py::value_error("log_prior must have one entry per grid node");
  PosteriorArrays r;
  for (auto* a : {&r.c, &r.alpha, &r.sigma, &r.beta, &r.nll, &r.alpha_mean, &r.alpha_sd,
                  &r.beta_mean, &r.beta_sd, &r.value_mean, &r.value_sd, &r.log_evidence})
    *a = py::array_t<double>(np);
  r.status = py::array_t<std::int8_t>(np);
  py::array_t<double> lm;
  if (return_log_marginal) lm = py::array_t<double>({np, G});
  PowerLawPosterior out{r.c.mutable_data(),          r.alpha.mutable_data(),
                        r.sigma.mutable_data(),      r.beta.mutable_data(),
                        r.nll.mutable_data(),        r.alpha_mean.mutable_data(),
                        r.alpha_sd.mutable_data(),   r.beta_mean.mutable_data(),
                        r.beta_sd.mutable_data(),    r.value_mean.mutable_data(),
                        r.value_sd.mutable_data(),   r.log_evidence.mutable_data(),
                        r.status.mutable_data()};
  const double* lp = log_prior ? log_prior->data() : nullptr;
  double* lmp = return_log_marginal ? lm.mutable_data() : nullptr;
  {
    py::gil_scoped_release release;
    powerlaw_posterior_batch(offsets.data(), np, logk.data(), delta.data(), grid, lp, out, lmp);
  }
  if (return_log_marginal) r.log_marginal = lm;
  return r;
}

void bind_posterior(py::module_ m) {
  py::class_<PowerLawGrid>(m, "PowerLawGrid",
                           "The (α, β) lattice of the grid posterior and the value's k range.")
      .def(py::init<>())
      .def_readwrite("alpha_step", &PowerLawGrid::alpha_step)
      .def_readwrite("n_alpha", &PowerLawGrid::n_alpha)
      .def_readwrite("beta_ratio", &PowerLawGrid::beta_ratio)
      .def_readwrite("n_beta", &PowerLawGrid::n_beta)
      .def_readwrite("k_ref", &PowerLawGrid::k_ref)
      .def_readwrite("value_lo", &PowerLawGrid::value_lo)
      .def_readwrite("value_hi", &PowerLawGrid::value_hi)
      .def_property_readonly("size", &grid_size);
  py::class_<PosteriorArrays>(m, "Posterior", "Per-point posterior summaries (read-only arrays).")
      .def_readonly("c", &PosteriorArrays::c)
      .def_readonly("alpha", &PosteriorArrays::alpha)
      .def_readonly("sigma", &PosteriorArrays::sigma)
      .def_readonly("beta", &PosteriorArrays::beta)
      .def_readonly("nll", &PosteriorArrays::nll)
      .def_readonly("alpha_mean", &PosteriorArrays::alpha_mean)
      .def_readonly("alpha_sd", &PosteriorArrays::alpha_sd)
      .def_readonly("beta_mean", &PosteriorArrays::beta_mean)
      .def_readonly("beta_sd", &PosteriorArrays::beta_sd)
      .def_readonly("value_mean", &PosteriorArrays::value_mean)
      .def_readonly("value_sd", &PosteriorArrays::value_sd)
      .def_readonly("log_evidence", &PosteriorArrays::log_evidence)
      .def_readonly("status", &PosteriorArrays::status)
      .def_readonly("log_marginal", &PosteriorArrays::log_marginal);
  m.def("posterior", &posterior_py, py::arg("offsets"), py::arg("logk"), py::arg("delta"),
        py::arg("grid"), py::arg("log_prior") = py::none(), py::arg("return_log_marginal") = false,
        "Grid posterior of each point's law under a log prior over the nodes (None: flat).");
}

}  // namespace

void bind_powerlaw(py::module_& m) {
  bind_posterior(m.def_submodule("powerlaw", "Scaling-law kernels (typed interface)."));
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
