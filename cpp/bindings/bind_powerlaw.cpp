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

// What powerlaw.fit returns: one array per field of PowerLawResult (read-only attributes).
struct FitArrays {
  py::array_t<double> c, alpha, sigma, beta, nll, alpha_se, beta_se;
  py::array_t<std::int64_t> n_iter;
  py::array_t<std::int8_t> status;
};

FitArrays fit_py(i64 offsets, f64 logk, f64 delta, const PowerLawOptions& options,
                 std::optional<f64> starts) {
  const idx np = check_groups(offsets, logk, delta);
  if (starts && (starts->ndim() != 2 || starts->shape(1) != 2))
    throw py::value_error("starts must be an (n_starts, 2) array");
  FitArrays r;
  for (auto* a : {&r.c, &r.alpha, &r.sigma, &r.beta, &r.nll, &r.alpha_se, &r.beta_se})
    *a = py::array_t<double>(np);
  r.n_iter = py::array_t<std::int64_t>(np);
  r.status = py::array_t<std::int8_t>(np);
  PowerLawResult out{r.c.mutable_data(),     r.alpha.mutable_data(),   r.sigma.mutable_data(),
                     r.beta.mutable_data(),  r.nll.mutable_data(),     r.alpha_se.mutable_data(),
                     r.beta_se.mutable_data(), r.n_iter.mutable_data(), r.status.mutable_data()};
  const double* st = starts ? starts->data() : nullptr;
  const idx ns = starts ? starts->shape(0) : 0;
  {
    py::gil_scoped_release release;
    fit_powerlaw_batch(offsets.data(), np, logk.data(), delta.data(), st, ns, options, out);
  }
  return r;
}

struct ProfileArrays {
  py::array_t<double> c, sigma, nll;
};

ProfileArrays profile_py(i64 offsets, f64 logk, f64 delta, f64 alpha, f64 beta) {
  const idx np = check_groups(offsets, logk, delta);
  if (alpha.ndim() != 1 || beta.ndim() != 1 || alpha.shape(0) != np || beta.shape(0) != np)
    throw py::value_error("alpha and beta must have one entry per point");
  ProfileArrays r{py::array_t<double>(np), py::array_t<double>(np), py::array_t<double>(np)};
  double *cp = r.c.mutable_data(), *sp = r.sigma.mutable_data(), *lp = r.nll.mutable_data();
  {
    py::gil_scoped_release release;
    profile_powerlaw_batch(offsets.data(), np, logk.data(), delta.data(), alpha.data(),
                           beta.data(), cp, sp, lp);
  }
  return r;
}

void bind_fit(py::module_ m) {
  py::enum_<PowerLawStatus>(m, "Status", py::module_local(), "Why a point has (or lacks) an estimate.")
      .value("ok", kPowerLawOk)
      .value("too_few_k", kPowerLawTooFewK)
      .value("all_zero", kPowerLawAllZero)
      .value("non_finite", kPowerLawNonFinite)
      .value("not_converged", kPowerLawNotConverged);
  py::class_<PowerLawOptions>(m, "Options", py::module_local(), "Box, screening grid and stopping rule of the MLE.")
      .def(py::init<>())
      .def_readwrite("alpha_lo", &PowerLawOptions::alpha_lo)
      .def_readwrite("alpha_hi", &PowerLawOptions::alpha_hi)
      .def_readwrite("beta_lo", &PowerLawOptions::beta_lo)
      .def_readwrite("beta_hi", &PowerLawOptions::beta_hi)
      .def_readwrite("grid_alpha", &PowerLawOptions::grid_alpha)
      .def_readwrite("grid_beta", &PowerLawOptions::grid_beta)
      .def_readwrite("n_candidates", &PowerLawOptions::n_candidates)
      .def_readwrite("scan_grid", &PowerLawOptions::scan_grid)
      .def_readwrite("max_iter", &PowerLawOptions::max_iter)
      .def_readwrite("gtol", &PowerLawOptions::gtol);
  py::class_<FitArrays>(m, "FitResult", py::module_local(), "Per-point MLE (read-only arrays).")
      .def_readonly("c", &FitArrays::c)
      .def_readonly("alpha", &FitArrays::alpha)
      .def_readonly("sigma", &FitArrays::sigma)
      .def_readonly("beta", &FitArrays::beta)
      .def_readonly("nll", &FitArrays::nll)
      .def_readonly("alpha_se", &FitArrays::alpha_se)
      .def_readonly("beta_se", &FitArrays::beta_se)
      .def_readonly("n_iter", &FitArrays::n_iter)
      .def_readonly("status", &FitArrays::status);
  py::class_<ProfileArrays>(m, "ProfileResult", py::module_local(), "Closed-form c, σ and the profile NLL at (α, β).")
      .def_readonly("c", &ProfileArrays::c)
      .def_readonly("sigma", &ProfileArrays::sigma)
      .def_readonly("nll", &ProfileArrays::nll);
  m.def("fit", &fit_py, py::arg("offsets"), py::arg("logk"), py::arg("delta"), py::arg("options"),
        py::arg("starts") = py::none(),
        "Batched profile-likelihood fits of Δ ~ Normal(c k^-α, σ² k^-β), grouped by offsets.");
  m.def("profile", &profile_py, py::arg("offsets"), py::arg("logk"), py::arg("delta"),
        py::arg("alpha"), py::arg("beta"), "Profile NLL, c and σ of each point at given (α, β).");
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
  py::class_<PowerLawGrid>(m, "PowerLawGrid", py::module_local(),
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
  py::class_<PosteriorArrays>(m, "Posterior", py::module_local(), "Per-point posterior summaries (read-only arrays).")
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
  py::module_ sub = m.def_submodule("powerlaw", "Scaling-law kernels: MLE and grid posterior.");
  bind_fit(sub);
  bind_posterior(sub);
}

}  // namespace pointvalue::bindings
