#include <optional>

#include "array_checks.hpp"
#include "pointvalue/glm.hpp"

namespace pointvalue::bindings {
namespace {

using cvec = py::array_t<double, py::array::c_style>;

const double* vec_ptr(const py::array& a, py::ssize_t n, const char* name) {
  if (!py::isinstance<cvec>(a) || !(a.flags() & py::array::c_style) || a.ndim() != 1)
    throw py::type_error(std::string(name) + " must be a contiguous 1-D float64 array");
  if (a.shape(0) != n)
    throw py::value_error(std::string(name) + " has " + std::to_string(a.shape(0)) +
                          " entries, expected " + std::to_string(n));
  return static_cast<const double*>(a.data());
}

GlmModel to_model(int m) {
  if (m < 0 || m > 3) throw py::value_error("model code out of range");
  return static_cast<GlmModel>(m);
}

// X as the kernels take it: float32 is read in place (float64 arithmetic), anything else must be
// float64. `view` always carries the shape; its data pointer is null for float32 input.
struct DesignView {
  bool f32;
  MatrixView<double> view;
  MatrixView<float> view32;
};

MatrixView<float> float32_view(const py::array& a, const char* name);

DesignView design_view(const py::array& X) {
  if (py::isinstance<py::array_t<float>>(X) && X.ndim() == 2) {
    const MatrixView<float> v32 = float32_view(X, "X");
    return {true, {nullptr, v32.rows, v32.cols, v32.row_major}, v32};
  }
  return {false, matrix_view(X, "X"), {nullptr, 0, 0, true}};
}

py::dict fit_glm_py(py::array X, py::array y, std::optional<py::array> w, int model, double l2,
                    double tau, bool fit_intercept, double tol, int max_iter) {
  const auto [f32, view, view32] = design_view(X);
  const double* yp = vec_ptr(y, view.rows, "y");
  const double* wp = w ? vec_ptr(*w, view.rows, "weights") : nullptr;
  GlmOptions opt;
  opt.model = to_model(model);
  opt.l2 = l2;
  opt.tau = tau;
  opt.fit_intercept = fit_intercept;
  opt.tol = tol;
  opt.max_iter = max_iter;
  GlmResult r;
  {
    py::gil_scoped_release release;
    r = f32 ? fit_glm(view32, yp, wp, opt) : fit_glm(view, yp, wp, opt);
  }
  py::array_t<double> coef(view.cols);
  std::copy(r.coef.data(), r.coef.data() + r.coef.size(), coef.mutable_data());
  py::dict out;
  out["coef"] = coef;
  out["intercept"] = r.intercept;
  out["n_iter"] = r.n_iter;
  out["converged"] = r.converged;
  out["objective"] = r.objective;
  out["grad_norm"] = r.grad_norm;
  out["max_abs_eta"] = r.max_abs_eta;
  out["rank"] = r.rank;
  out["lstsq_fallback"] = r.lstsq_fallback;
  out["status"] = static_cast<int>(r.status);
  return out;
}

double glm_objective_py(py::array X, py::array y, std::optional<py::array> w, py::array coef,
                        double intercept, int model, double l2, double tau, bool fit_intercept) {
  const auto view = matrix_view(X, "X");
  const double* yp = vec_ptr(y, view.rows, "y");
  const double* wp = w ? vec_ptr(*w, view.rows, "weights") : nullptr;
  const double* cp = vec_ptr(coef, view.cols, "coef");
  GlmOptions opt;
  opt.model = to_model(model);
  opt.l2 = l2;
  opt.tau = tau;
  opt.fit_intercept = fit_intercept;
  py::gil_scoped_release release;
  return glm_objective(view, yp, wp, cp, intercept, opt);
}

MatrixView<float> float32_view(const py::array& a, const char* name) {
  const bool c = a.flags() & py::array::c_style, f = a.flags() & py::array::f_style;
  if (!c && !f) throw py::value_error(std::string(name) + " must be C- or F-contiguous");
  return {static_cast<const float*>(a.data()), a.shape(0), a.shape(1), c};
}

py::tuple influence_py(py::array X, py::array y, py::array coef, std::optional<py::array> w,
                       int model, int target, int approx, double tau, double l2,
                       bool has_intercept, double intercept, py::ssize_t rank,
                       std::optional<py::array> signs,
                       std::optional<py::array_t<std::int64_t, py::array::c_style>> rows,
                       int log2N) {
  const auto [f32, view, view32] = design_view(X);
  const double* yp = vec_ptr(y, view.rows, "y");
  const double* cp = vec_ptr(coef, view.cols, "coef");
  const double* wp = w ? vec_ptr(*w, view.rows, "weights") : nullptr;
  InfluenceOptions opt;
  opt.model = to_model(model);
  if (target < 0 || target > 1) throw py::value_error("target code out of range");
  if (approx < 0 || approx > 3) throw py::value_error("approx code out of range");
  opt.target = static_cast<InfluenceTarget>(target);
  opt.approx = static_cast<InfluenceApprox>(approx);
  opt.tau = tau;
  opt.l2 = l2;
  opt.has_intercept = has_intercept;
  opt.intercept = intercept;
  opt.rank = rank;
  if (opt.approx == InfluenceApprox::LowRank || opt.approx == InfluenceApprox::Sketch) {
    if (!signs || !rows) throw py::value_error("sketch approximations need signs and rows");
    opt.signs = vec_ptr(*signs, view.rows, "signs");
    if (rows->ndim() != 1) throw py::value_error("rows must be 1-D");
    opt.rows = rows->data();
    opt.sketch_rows = rows->shape(0);
    opt.log2N = log2N;
    const std::int64_t N = std::int64_t(1) << log2N;
    if (N < view.rows) throw py::value_error("padded length is smaller than the number of rows");
    for (py::ssize_t k = 0; k < opt.sketch_rows; ++k)
      if (opt.rows[k] < 0 || opt.rows[k] >= N)
        throw py::value_error("sampled row index out of range");
  }
  py::array_t<double> out(view.rows);
  double* o = out.mutable_data();
  InfluenceInfo info;
  {
    py::gil_scoped_release release;
    info = f32 ? influence_norms(view32, yp, cp, wp, opt, o) : influence_norms(view, yp, cp, wp, opt, o);
  }
  return py::make_tuple(out, info.status, info.rank, info.cond);
}

}  // namespace

void bind_glm(py::module_& parent) {
  auto m = parent.def_submodule("glm", "Weighted GLM solvers and influence scores.");
  m.def("fit_glm", &fit_glm_py, py::arg("X"), py::arg("y"), py::arg("w"), py::arg("model"),
        py::arg("l2"), py::arg("tau"), py::arg("fit_intercept"), py::arg("tol"),
        py::arg("max_iter"), "Weighted GLM / quantile fit: a dict of results.");
  m.def("glm_objective", &glm_objective_py, py::arg("X"), py::arg("y"), py::arg("w"),
        py::arg("coef"), py::arg("intercept"), py::arg("model"), py::arg("l2"), py::arg("tau"),
        py::arg("fit_intercept"), "Penalized objective Σ w loss + l2/2 ‖coef‖².");
  m.def("influence_scores", &influence_py, py::arg("X"), py::arg("y"), py::arg("coef"),
        py::arg("w"), py::arg("model"), py::arg("target"), py::arg("approx"), py::arg("tau"),
        py::arg("l2"), py::arg("has_intercept"), py::arg("intercept"), py::arg("rank"),
        py::arg("signs"), py::arg("rows"), py::arg("log2N"),
        "Influence norms ‖ψ_i‖: (scores, status, rank, cond).");
}

}  // namespace pointvalue::bindings
