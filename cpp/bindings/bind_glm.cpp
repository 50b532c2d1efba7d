// Bindings of the glm family: typed options / results, arrays converted, GIL released.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "array_checks.hpp"
#include "pointvalue/glm.hpp"

namespace pointvalue::bindings {
namespace {

using namespace pointvalue::glm;

// X as the kernels take it: float32 is read in place (float64 arithmetic), anything else must be
// float64. `view` always carries the shape; its data pointer is null for float32 input.
struct DesignView {
  bool f32;
  MatrixView<double> view;
  MatrixView<float> view32;
};

DesignView design_view(const py::array& X) {
  if (py::isinstance<py::array_t<float>>(X) && X.ndim() == 2) {
    const MatrixView<float> v32 = float32_view(X, "X");
    return {true, {nullptr, v32.rows, v32.cols, v32.row_major}, v32};
  }
  return {false, matrix_view(X, "X"), {nullptr, 0, 0, true}};
}

const double* optional_vector(const std::optional<py::array>& a, py::ssize_t n, const char* name) {
  return a ? vector_data(*a, n, name) : nullptr;
}

// A fit with its coefficients as a numpy array.
struct FitResult {
  py::array_t<double> coef;
  Result r;
};

FitResult fit_glm_py(py::array X, py::array y, std::optional<py::array> sample_weight,
                     const Options& options) {
  const auto [f32, view, view32] = design_view(X);
  const double* yp = vector_data(y, view.rows, "y");
  const double* wp = optional_vector(sample_weight, view.rows, "sample_weight");
  Result r;
  {
    py::gil_scoped_release release;
    r = f32 ? fit_glm(view32, yp, wp, options) : fit_glm(view, yp, wp, options);
  }
  return {to_numpy(r.coef), std::move(r)};
}

double glm_objective_py(py::array X, py::array y, std::optional<py::array> sample_weight,
                        py::array coef, double intercept, const Options& options) {
  const auto view = matrix_view(X, "X");
  const double* yp = vector_data(y, view.rows, "y");
  const double* wp = optional_vector(sample_weight, view.rows, "sample_weight");
  const double* cp = vector_data(coef, view.cols, "coef");
  py::gil_scoped_release release;
  return glm_objective(view, yp, wp, cp, intercept, options);
}

struct InfluenceScores {
  py::array_t<double> scores;
  InfluenceResult r;
};

// The arrays of an influence call (X, y, coef, optional weights), converted under the GIL.
struct InfluenceArgs {
  DesignView X;
  const double* y;
  const double* coef;
  const double* w;
};

InfluenceArgs influence_args(const py::array& X, const py::array& y, const py::array& coef,
                             const std::optional<py::array>& sample_weight) {
  InfluenceArgs a{design_view(X), nullptr, nullptr, nullptr};
  a.y = vector_data(y, a.X.view.rows, "y");
  a.coef = vector_data(coef, a.X.view.cols, "coef");
  a.w = optional_vector(sample_weight, a.X.view.rows, "sample_weight");
  return a;
}

// Scores of every row by `kernel(view, out)` (the float64 or float32 view), without the GIL.
template <class Kernel>
InfluenceScores scores_without_gil(const InfluenceArgs& a, Kernel&& kernel) {
  InfluenceScores out{py::array_t<double>(a.X.view.rows), {}};
  double* o = out.scores.mutable_data();
  {
    py::gil_scoped_release release;
    out.r = a.X.f32 ? kernel(a.X.view32, o) : kernel(a.X.view, o);
  }
  return out;
}

InfluenceScores influence_scores_py(py::array X, py::array y, py::array coef,
                                    std::optional<py::array> sample_weight,
                                    const InfluenceOptions& options) {
  const InfluenceArgs a = influence_args(X, y, coef, sample_weight);
  return scores_without_gil(a, [&](const auto& view, double* o) {
    return influence_scores(view, a.y, a.coef, a.w, options, o);
  });
}

// Chunked data: a chunk's moments of Σ (read-only; rebuilt from arrays after a transfer).
// A 2-D float64 array copied row-major into `data` (the seam's layout).
void dense_copy(const py::array& A, const char* name, std::vector<double>& data, idx& rows,
                idx& cols) {
  const auto v = matrix_view(A, name);
  rows = v.rows, cols = v.cols;
  data.resize(std::size_t(v.rows * v.cols));
  for (idx i = 0; i < v.rows; ++i)
    for (idx j = 0; j < v.cols; ++j)
      data[std::size_t(i * v.cols + j)] = v.row_major ? v.data[i * v.cols + j] : v.data[j * v.rows + i];
}

py::array_t<double> dense_numpy(const std::vector<double>& data, idx rows, idx cols) {
  py::array_t<double> a({py::ssize_t(rows), py::ssize_t(cols)});
  std::copy(data.begin(), data.end(), a.mutable_data());
  return a;
}

InfluenceMoments make_moments(double s, py::array mean, py::array C,
                              std::optional<py::array> sketch) {
  const py::ssize_t d = mean.ndim() == 1 ? mean.shape(0) : -1;
  if (d < 0) throw py::value_error("mean must be 1-D");
  const double* mp = vector_data(mean, d, "mean");
  if (!py::isinstance<py::array_t<double>>(C) || C.ndim() != 2 || C.shape(0) != d ||
      (C.shape(1) != d && C.shape(1) != 1))
    throw py::value_error("C must be a float64 array of shape (d, d) or (d, 1), d = len(mean)");
  InfluenceMoments m;
  m.s = s;
  m.mean.assign(mp, mp + d);
  dense_copy(C, "C", m.C, m.C_rows, m.C_cols);
  if (sketch) {
    if (sketch->ndim() != 2 || sketch->shape(1) != d)
      throw py::value_error("sketch must be a float64 array of shape (k, d), d = len(mean)");
    dense_copy(*sketch, "sketch", m.sketch, m.sketch_rows, m.sketch_cols);
  }
  return m;
}

InfluenceMoments influence_moments_py(py::array X, py::array y, py::array coef,
                                      std::optional<py::array> sample_weight,
                                      const InfluenceOptions& options) {
  const InfluenceArgs a = influence_args(X, y, coef, sample_weight);
  py::gil_scoped_release release;
  return a.X.f32 ? influence_moments(a.X.view32, a.y, a.coef, a.w, options)
                 : influence_moments(a.X.view, a.y, a.coef, a.w, options);
}

InfluenceScores influence_scores_given_py(py::array X, py::array y, py::array coef,
                                          std::optional<py::array> sample_weight,
                                          const InfluenceMoments& moments,
                                          const InfluenceOptions& options) {
  const InfluenceArgs a = influence_args(X, y, coef, sample_weight);
  return scores_without_gil(a, [&](const auto& view, double* o) {
    return influence_scores(view, a.y, a.coef, a.w, options, moments, o);
  });
}

void bind_moments(py::module_& m) {
  py::class_<InfluenceMoments>(m, "InfluenceMoments", py::module_local(),
                               "Moments of Σ from a chunk of rows (read-only attributes).")
      .def(py::init(&make_moments), py::arg("s"), py::arg("mean"), py::arg("C"),
           py::arg("sketch") = py::none())
      .def_readonly("s", &InfluenceMoments::s)
      .def_property_readonly("mean", [](const InfluenceMoments& g) { return to_numpy(g.mean); })
      .def_property_readonly(
          "C", [](const InfluenceMoments& g) { return dense_numpy(g.C, g.C_rows, g.C_cols); })
      .def_property_readonly("sketch",
                             [](const InfluenceMoments& g) {
                               return dense_numpy(g.sketch, g.sketch_rows, g.sketch_cols);
                             })
      .def_readonly("status", &InfluenceMoments::status);
  m.def("influence_moments", &influence_moments_py, py::arg("X"), py::arg("y"), py::arg("coef"),
        py::arg("sample_weight"), py::arg("options"),
        "Moments of Σ from the rows of X (approx exact or diag).");
  m.def("merge_influence_moments", &merge_influence_moments, py::arg("a"), py::arg("b"),
        py::arg("options"), "Moments of the union of two disjoint row sets.");
  m.def("influence_scores_given", &influence_scores_given_py, py::arg("X"), py::arg("y"),
        py::arg("coef"), py::arg("sample_weight"), py::arg("moments"), py::arg("options"),
        "Influence norms of the rows of X with Σ from the given (global) moments.");
}

void bind_enums(py::module_& m) {
  py::enum_<Model>(m, "Model", py::module_local(), "The models of the glm family.")
      .value("ols", Model::OLS)
      .value("logistic", Model::Logistic)
      .value("poisson", Model::Poisson)
      .value("quantile", Model::Quantile);
  py::enum_<Status>(m, "Status", py::module_local(), "Outcome of a fit or of an influence computation.")
      .value("ok", Status::Ok)
      .value("max_iter", Status::MaxIter)
      .value("singular", Status::Singular)
      .value("separable", Status::Separable)
      .value("diverged", Status::Diverged)
      .value("non_finite", Status::NonFinite)
      .value("unsupported", Status::Unsupported);
  py::enum_<Target>(m, "Target", py::module_local(), "What the influence is measured on.")
      .value("coef", Target::Coef)
      .value("prediction", Target::Prediction);
  py::enum_<Approx>(m, "Approx", py::module_local(), "How Σ⁻¹ is formed for the influence.")
      .value("exact", Approx::Exact)
      .value("diag", Approx::Diag)
      .value("lowrank", Approx::LowRank)
      .value("sketch", Approx::Sketch);
}

void bind_options(py::module_& m) {
  py::class_<Options>(m, "Options", py::module_local(), "Options of fit_glm / glm_objective (C++ defaults).")
      .def(py::init<>())
      .def_readwrite("model", &Options::model)
      .def_readwrite("l2", &Options::l2)
      .def_readwrite("tau", &Options::tau)
      .def_readwrite("fit_intercept", &Options::fit_intercept)
      .def_readwrite("tol", &Options::tol)
      .def_readwrite("max_iter", &Options::max_iter);
  py::class_<InfluenceOptions>(m, "InfluenceOptions", py::module_local(), "Options of influence_scores.")
      .def(py::init<>())
      .def_readwrite("model", &InfluenceOptions::model)
      .def_readwrite("target", &InfluenceOptions::target)
      .def_readwrite("approx", &InfluenceOptions::approx)
      .def_readwrite("tau", &InfluenceOptions::tau)
      .def_readwrite("l2", &InfluenceOptions::l2)
      .def_readwrite("fit_intercept", &InfluenceOptions::fit_intercept)
      .def_readwrite("intercept", &InfluenceOptions::intercept)
      .def_readwrite("rank", &InfluenceOptions::rank)
      .def_readwrite("sketch_size", &InfluenceOptions::sketch_size)
      .def_readwrite("key", &InfluenceOptions::key);
}

void bind_results(py::module_& m) {
  py::class_<FitResult>(m, "Result", py::module_local(), "A fit (read-only attributes).")
      .def_readonly("coef", &FitResult::coef)
      .def_property_readonly("intercept", [](const FitResult& f) { return f.r.intercept; })
      .def_property_readonly("n_iter", [](const FitResult& f) { return f.r.n_iter; })
      .def_property_readonly("converged", [](const FitResult& f) { return f.r.converged; })
      .def_property_readonly("objective", [](const FitResult& f) { return f.r.objective; })
      .def_property_readonly("grad_norm", [](const FitResult& f) { return f.r.grad_norm; })
      .def_property_readonly("max_abs_eta", [](const FitResult& f) { return f.r.max_abs_eta; })
      .def_property_readonly("rank", [](const FitResult& f) { return f.r.rank; })
      .def_property_readonly("lstsq_fallback", [](const FitResult& f) { return f.r.lstsq_fallback; })
      .def_property_readonly("status", [](const FitResult& f) { return f.r.status; });
  py::class_<InfluenceScores>(m, "InfluenceResult", py::module_local(), "Influence norms ‖ψ_i‖ (read-only attributes).")
      .def_readonly("scores", &InfluenceScores::scores)
      .def_property_readonly("status", [](const InfluenceScores& s) { return s.r.status; })
      .def_property_readonly("rank", [](const InfluenceScores& s) { return s.r.rank; })
      .def_property_readonly("cond", [](const InfluenceScores& s) { return s.r.cond; });
}

}  // namespace

void bind_glm(py::module_& parent) {
  auto m = parent.def_submodule("glm", "Weighted GLM solvers and influence scores.");
  bind_enums(m);
  bind_options(m);
  bind_results(m);
  m.def("fit_glm", &fit_glm_py, py::arg("X"), py::arg("y"), py::arg("sample_weight"),
        py::arg("options"), "Weighted GLM / quantile fit.");
  m.def("glm_objective", &glm_objective_py, py::arg("X"), py::arg("y"), py::arg("sample_weight"),
        py::arg("coef"), py::arg("intercept"), py::arg("options"),
        "Penalized objective Σ w loss + l2/2 ‖coef‖².");
  m.def("influence_scores", &influence_scores_py, py::arg("X"), py::arg("y"), py::arg("coef"),
        py::arg("sample_weight"), py::arg("options"), "Influence norms ‖ψ_i‖ of every row.");
  bind_moments(m);
}

}  // namespace pointvalue::bindings
