// pointvalue._core.semivalues: permutation walks and subset evaluations of a model's score.
#include <new>
#include <optional>
#include <string>

#include "array_checks.hpp"
#include "pointvalue/semivalues.hpp"

namespace pointvalue::bindings {
namespace {

namespace sv = pointvalue::semivalues;
using f64 = py::array_t<double, py::array::c_style>;
using i64 = py::array_t<std::int64_t, py::array::c_style>;

struct WalkResult {
  py::array_t<double> marginals;
  py::array_t<std::int64_t> evaluations, truncated_at;
  py::array_t<std::int32_t> status;
};

struct SubsetResult {
  py::array_t<double> score, score_plus;
  py::array_t<std::int32_t> status;
};

sv::Data make_data(const py::array& X, const f64& y, const py::array& X_val, const f64& y_val) {
  sv::Data d;
  d.X = matrix_view(X, "X");
  d.Xv = matrix_view(X_val, "X_val");
  if (d.X.cols != d.Xv.cols) throw py::value_error("X and X_val must have the same columns");
  if (y.ndim() != 1 || y.shape(0) != d.X.rows) throw py::value_error("y must have one entry per row of X");
  if (y_val.ndim() != 1 || y_val.shape(0) != d.Xv.rows || d.Xv.rows == 0)
    throw py::value_error("y_val must have one entry per row of X_val (at least one)");
  d.y = y.data();
  d.yv = y_val.data();
  return d;
}

void check_options(const sv::Options& o, idx n) {
  if (!o.size_weights.empty() && static_cast<idx>(o.size_weights.size()) != n)
    throw py::value_error("size_weights must be empty or hold one weight per pool row");
  if (o.max_iter < 1) throw py::value_error("max_iter must be at least 1");
  if (!(o.tol > 0)) throw py::value_error("tol must be positive");
}

WalkResult walk_permutations_py(py::array X, f64 y, py::array X_val, f64 y_val,
                                const sv::Options& opt, i64 permutations) {
  const sv::Data d = make_data(X, y, X_val, y_val);
  check_options(opt, d.X.rows);
  if (permutations.ndim() != 2 || permutations.shape(1) != d.X.rows)
    throw py::value_error("permutations must be (n_permutations, n) with n the pool size");
  const idx P = permutations.shape(0), n = d.X.rows;
  WalkResult r{py::array_t<double>({P, n}), py::array_t<std::int64_t>(P),
               py::array_t<std::int64_t>(P), py::array_t<std::int32_t>(P)};
  double* mg = r.marginals.mutable_data();
  std::int64_t *ev = r.evaluations.mutable_data(), *tr = r.truncated_at.mutable_data();
  std::int32_t* st = r.status.mutable_data();
  const std::int64_t* pi = permutations.data();
  {
    py::gil_scoped_release release;
    sv::walk_permutations(d, opt, pi, P, mg, ev, tr, st);
  }
  return r;
}

SubsetResult evaluate_subsets_py(py::array X, f64 y, py::array X_val, f64 y_val,
                                 const sv::Options& opt, i64 subset_ptr, i64 subset_idx,
                                 std::optional<i64> targets) {
  const sv::Data d = make_data(X, y, X_val, y_val);
  check_options(opt, d.X.rows);
  if (subset_ptr.ndim() != 1 || subset_ptr.shape(0) < 1 || subset_idx.ndim() != 1)
    throw py::value_error("subset_ptr and subset_idx must be 1-D (CSR offsets and indices)");
  const idx T = subset_ptr.shape(0) - 1;
  const std::int64_t* o = subset_ptr.data();
  if (o[0] != 0 || o[T] != subset_idx.shape(0))
    throw py::value_error("subset_ptr must start at 0 and end at len(subset_idx)");
  for (idx t = 0; t < T; ++t)
    if (o[t + 1] < o[t]) throw py::value_error("subset_ptr must be non-decreasing");
  if (targets && (targets->ndim() != 1 || targets->shape(0) != T))
    throw py::value_error("targets must hold one index per subset");
  SubsetResult r{py::array_t<double>(T), py::array_t<double>(targets ? T : 0),
                 py::array_t<std::int32_t>(T)};
  double *sc = r.score.mutable_data(), *sp = targets ? r.score_plus.mutable_data() : nullptr;
  std::int32_t* st = r.status.mutable_data();
  const std::int64_t* ix = subset_idx.data();
  const std::int64_t* tg = targets ? targets->data() : nullptr;
  {
    py::gil_scoped_release release;
    sv::evaluate_subsets(d, opt, o, ix, T, tg, sc, sp, st);
  }
  return r;
}

double zero_model_score_py(py::array X, f64 y, py::array X_val, f64 y_val, const sv::Options& opt) {
  return sv::zero_model_score(make_data(X, y, X_val, y_val), opt);
}

}  // namespace

void bind_semivalues(py::module_& parent) {
  py::module_ m = parent.def_submodule("semivalues", "Semivalues of a model's validation score.");
  py::enum_<sv::Model>(m, "Model", py::module_local())
      .value("least_squares", sv::Model::LeastSquares)
      .value("logistic", sv::Model::Logistic);
  py::enum_<sv::Metric>(m, "Metric", py::module_local())
      .value("loss", sv::Metric::Loss)
      .value("accuracy", sv::Metric::Accuracy)
      .value("r2", sv::Metric::R2);
  py::enum_<sv::Status>(m, "Status", py::module_local())
      .value("ok", sv::kOk)
      .value("singular", sv::kSingular)
      .value("not_converged", sv::kNotConverged)
      .value("bad_index", sv::kBadIndex);
  py::class_<sv::Options>(m, "Options", py::module_local(), "Settings of one call (model, score, truncation, weights).")
      .def(py::init<>())
      .def_readwrite("model", &sv::Options::model)
      .def_readwrite("metric", &sv::Options::metric)
      .def_readwrite("l2", &sv::Options::l2)
      .def_readwrite("tol", &sv::Options::tol)
      .def_readwrite("max_iter", &sv::Options::max_iter)
      .def_readwrite("empty_score", &sv::Options::empty_score)
      .def_readwrite("truncation", &sv::Options::truncation)
      .def_readwrite("total_score", &sv::Options::total_score)
      .def_readwrite("size_weights", &sv::Options::size_weights)
      .def_readwrite("refresh", &sv::Options::refresh)
      .def_readwrite("n_threads", &sv::Options::n_threads);
  py::class_<WalkResult>(m, "WalkResult", py::module_local(), "Weighted marginals of permutation walks.")
      .def_readonly("marginals", &WalkResult::marginals)
      .def_readonly("evaluations", &WalkResult::evaluations)
      .def_readonly("truncated_at", &WalkResult::truncated_at)
      .def_readonly("status", &WalkResult::status);
  py::class_<SubsetResult>(m, "SubsetResult", py::module_local(), "Scores u(S) (and u(S ∪ {target})) of subsets.")
      .def_readonly("score", &SubsetResult::score)
      .def_readonly("score_plus", &SubsetResult::score_plus)
      .def_readonly("status", &SubsetResult::status);
  m.def("walk_permutations", &walk_permutations_py, py::arg("X"), py::arg("y"), py::arg("X_val"),
        py::arg("y_val"), py::arg("options"), py::arg("permutations"),
        "Marginals of every player along each permutation (one row per permutation).");
  m.def("evaluate_subsets", &evaluate_subsets_py, py::arg("X"), py::arg("y"), py::arg("X_val"),
        py::arg("y_val"), py::arg("options"), py::arg("subset_ptr"), py::arg("subset_idx"),
        py::arg("targets") = py::none(), "u(S) for CSR subsets, and u(S ∪ {t}) with targets.");
  m.def("zero_model_score", &zero_model_score_py, py::arg("X"), py::arg("y"), py::arg("X_val"),
        py::arg("y_val"), py::arg("options"), "Score of the all-zero model (θ = 0).");
}

}  // namespace pointvalue::bindings
