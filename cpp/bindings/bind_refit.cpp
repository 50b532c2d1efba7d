// Bindings of the refit family: typed options / design / results, arrays converted, GIL released.
// The kernels check their arguments (std::invalid_argument → ValueError).
#include <optional>
#include <utility>

#include "array_checks.hpp"
#include "pointvalue/refit.hpp"

namespace pointvalue::bindings {
namespace {

using namespace pointvalue::refit;
using i64 = std::int64_t;
// Safe casts only (int32 → int64, float32 → float64): never a float truncated to an index.
using ci64 = py::array_t<i64, py::array::c_style>;
using cf64 = py::array_t<double, py::array::c_style>;

ci64 index_array(const py::handle& a, const char* name) {
  auto arr = ci64::ensure(a);
  if (!arr || arr.ndim() != 1) throw py::type_error(std::string(name) + " must be a 1-D integer array");
  return arr;
}

cf64 float_array(const py::handle& a, const char* name) {
  auto arr = cf64::ensure(a);
  if (!arr || arr.ndim() != 1) throw py::type_error(std::string(name) + " must be a 1-D float array");
  return arr;
}

// The sampling design of marginal_contributions: strata (CSR), the distribution of k, the key.
struct Design {
  ci64 stratum, strata_ptr, strata_idx, k_values;
  cf64 k_cdf;
  bool balanced = false;
  std::uint64_t key = 0;
  i64 points_per_subset = 64;

  Sampler sampler() const {
    Sampler s;
    s.stratum = stratum.data();
    s.strata_ptr = strata_ptr.data();
    s.strata_idx = strata_idx.data();
    s.n_strata = int(strata_ptr.shape(0) - 1);
    s.balanced = balanced;
    s.k_values = k_values.data();
    s.k_cdf = k_cdf.data();
    s.n_k = k_values.shape(0);
    s.key = key;
    s.group = points_per_subset;
    s.n_stratum = stratum.shape(0);
    s.n_strata_idx = strata_idx.shape(0);
    s.n_cdf = k_cdf.shape(0);
    return s;
  }
};

Design make_design(py::handle stratum, py::handle strata_ptr, py::handle strata_idx,
                   py::handle k_values, py::handle k_cdf, bool balanced, std::uint64_t key,
                   i64 points_per_subset) {
  auto cdf = float_array(k_cdf, "k_cdf");
  auto ptr = index_array(strata_ptr, "strata_ptr");
  if (ptr.shape(0) < 2) throw py::value_error("strata_ptr must have at least 2 entries");
  return {index_array(stratum, "stratum"), ptr, index_array(strata_idx, "strata_idx"),
          index_array(k_values, "k_values"), cdf, balanced, key, points_per_subset};
}

// Pool and validation arrays, kept alive for the call: y is float64 (least squares) or int64
// class labels (logistic), as options.model says.
struct ProblemArrays {
  py::array X, Xv, y, yv;
  Problem p;
};

ProblemArrays make_problem(py::array X, py::handle y, py::array Xv, py::handle yv,
                           const Options& options) {
  ProblemArrays a;
  a.X = X;
  a.Xv = Xv;
  Problem& p = a.p;
  static_cast<Options&>(p) = options;
  p.X = matrix_view(X, "X");
  p.Xv = matrix_view(Xv, "X_val");
  if (options.model == Model::LeastSquares) {
    a.y = float_array(y, "y");
    a.yv = float_array(yv, "y_val");
    p.y = vector_data(a.y, p.X.rows, "y");
    p.yv = vector_data(a.yv, p.Xv.rows, "y_val");
  } else {
    auto label = index_array(y, "y"), label_v = index_array(yv, "y_val");
    if (label.shape(0) != p.X.rows || label_v.shape(0) != p.Xv.rows)
      throw py::value_error("y and y_val must have one label per row of X and X_val");
    a.y = label;
    a.yv = label_v;
    p.label = label.data();
    p.label_v = label_v.data();
  }
  return a;
}

struct Result {
  py::array_t<i64> k;
  py::array_t<double> delta;
  py::array_t<std::int32_t> status;
};

Result evaluate_contributions_py(py::array X, py::handle y, py::array X_val, py::handle y_val,
                                 py::handle sub_ptr, py::handle sub_idx, py::handle points,
                                 const Options& options) {
  auto pa = make_problem(X, y, X_val, y_val, options);
  auto sp = index_array(sub_ptr, "sub_ptr"), si = index_array(sub_idx, "sub_idx");
  auto tg = ci64::ensure(points);
  if (!tg) throw py::type_error("points must be an integer array");
  if (tg.ndim() != 2 || tg.shape(0) != sp.shape(0) - 1)
    throw py::value_error("points must be 2-D with one row per subset");
  const idx n_sub = sp.shape(0) - 1, per = tg.shape(1);
  std::vector<i64> tgt_ptr(std::size_t(n_sub + 1));
  for (idx t = 0; t <= n_sub; ++t) tgt_ptr[std::size_t(t)] = t * per;
  Result r{py::array_t<i64>(tg.size()), py::array_t<double>(tg.size()),
           py::array_t<std::int32_t>(tg.size())};
  i64* kp = r.k.mutable_data();
  for (idx t = 0; t < n_sub; ++t)
    std::fill(kp + t * per, kp + (t + 1) * per, sp.data()[t + 1] - sp.data()[t]);
  double* dp = r.delta.mutable_data();
  std::int32_t* st = r.status.mutable_data();
  {
    py::gil_scoped_release release;
    evaluate_contributions(pa.p, sp.data(), si.data(), n_sub, si.shape(0), tgt_ptr.data(),
                           tg.data(), tg.size(), dp, st);
  }
  return r;
}

Result marginal_contributions_py(py::array X, py::handle y, py::array X_val, py::handle y_val,
                                 const Design& design, py::handle points,
                                 std::pair<i64, i64> rounds, const Options& options) {
  auto pa = make_problem(X, y, X_val, y_val, options);
  auto pts = index_array(points, "points");
  const Sampler s = design.sampler();
  const idx m = pts.shape(0);
  const py::ssize_t rows = py::ssize_t(std::max<i64>(rounds.second - rounds.first, 0) * m);
  Result r{py::array_t<i64>(rows), py::array_t<double>(rows), py::array_t<std::int32_t>(rows)};
  i64* kp = r.k.mutable_data();
  double* dp = r.delta.mutable_data();
  std::int32_t* st = r.status.mutable_data();
  {
    py::gil_scoped_release release;
    marginal_contributions(pa.p, s, pts.data(), m, rounds.first, rounds.second, kp, dp, st);
  }
  return r;
}

struct PlanArrays {
  py::array_t<i64> task_k, base_ptr, base_idx, extra, row_task;
  py::array_t<std::int8_t> row_in_base;
};

PlanArrays draw_plan_py(const Design& design, py::handle points, std::pair<i64, i64> rounds) {
  auto pts = index_array(points, "points");
  const Sampler s = design.sampler();
  const idx n_pool = design.stratum.shape(0);
  Plan plan;
  {
    py::gil_scoped_release release;
    plan = draw_plan(s, n_pool, pts.data(), pts.shape(0), rounds.first, rounds.second);
  }
  return {to_numpy(plan.task_k), to_numpy(plan.base_ptr), to_numpy(plan.base_idx),
          to_numpy(plan.extra), to_numpy(plan.row_task), to_numpy(plan.row_in_base)};
}

py::array_t<i64> stratum_counts_py(py::handle strata_ptr, bool balanced, i64 k) {
  auto ptr = index_array(strata_ptr, "strata_ptr");
  if (ptr.shape(0) < 2) throw py::value_error("strata_ptr must have at least 2 entries");
  Sampler s;
  s.strata_ptr = ptr.data();
  s.n_strata = int(ptr.shape(0) - 1);
  s.balanced = balanced;
  py::array_t<i64> out(s.n_strata);
  stratum_counts(s, k, out.mutable_data());  // std::invalid_argument for k < 0
  return out;
}

void bind_enums(py::module_& m) {
  py::enum_<Model>(m, "Model", py::module_local(), "Models of the refit family.")
      .value("least_squares", Model::LeastSquares)
      .value("logistic", Model::Logistic);
  py::enum_<Metric>(m, "Metric", py::module_local(), "The validation score L.")
      .value("loss", Metric::Loss)
      .value("accuracy", Metric::Accuracy);
  py::enum_<Status>(m, "Status", py::module_local(), "Per-target outcome (the values of a result's status array).")
      .value("ok", Status::Ok)
      .value("singular", Status::Singular)
      .value("not_converged", Status::NotConverged)
      .value("missing_class", Status::MissingClass)
      .value("bad_index", Status::BadIndex);
}

void bind_types(py::module_& m) {
  py::class_<Options>(m, "Options", py::module_local(), "How Δ is computed (C++ defaults).")
      .def(py::init<>())
      .def_readwrite("model", &Options::model)
      .def_readwrite("metric", &Options::metric)
      .def_readwrite("n_classes", &Options::n_classes)
      .def_readwrite("l2", &Options::l2)
      .def_readwrite("tol", &Options::tol)
      .def_readwrite("max_iter", &Options::max_iter)
      .def_readwrite("one_step", &Options::one_step)
      .def_readwrite("n_threads", &Options::n_threads);
  py::class_<Design>(m, "Design", py::module_local(), "How the (z, D) pairs are drawn (read-only arrays).")
      .def(py::init(&make_design), py::arg("stratum"), py::arg("strata_ptr"),
           py::arg("strata_idx"), py::arg("k_values"), py::arg("k_cdf"),
           py::arg("balanced") = false, py::arg("key") = 0, py::arg("points_per_subset") = 64)
      .def_readonly("stratum", &Design::stratum)
      .def_readonly("strata_ptr", &Design::strata_ptr)
      .def_readonly("strata_idx", &Design::strata_idx)
      .def_readonly("k_values", &Design::k_values)
      .def_readonly("k_cdf", &Design::k_cdf)
      .def_readwrite("balanced", &Design::balanced)
      .def_readwrite("key", &Design::key)
      .def_readwrite("points_per_subset", &Design::points_per_subset);
  py::class_<Result>(m, "Result", py::module_local(), "Δ per target: k, delta, status (read-only attributes).")
      .def_readonly("k", &Result::k)
      .def_readonly("delta", &Result::delta)
      .def_readonly("status", &Result::status);
  py::class_<PlanArrays>(m, "Plan", py::module_local(), "The draws of marginal_contributions (read-only attributes).")
      .def_readonly("task_k", &PlanArrays::task_k)
      .def_readonly("base_ptr", &PlanArrays::base_ptr)
      .def_readonly("base_idx", &PlanArrays::base_idx)
      .def_readonly("extra", &PlanArrays::extra)
      .def_readonly("row_task", &PlanArrays::row_task)
      .def_readonly("row_in_base", &PlanArrays::row_in_base);
}

}  // namespace

void bind_refit(py::module_& parent) {
  auto m = parent.def_submodule("refit", "Marginal contributions by incremental refits.");
  bind_enums(m);
  bind_types(m);
  m.def("evaluate_contributions", &evaluate_contributions_py, py::arg("X"), py::arg("y"),
        py::arg("X_val"), py::arg("y_val"), py::arg("sub_ptr"), py::arg("sub_idx"),
        py::arg("points"), py::arg("options"),
        "Δ(z, D) for caller-given subsets (CSR) and a (n_subsets, m) array of targets.");
  m.def("marginal_contributions", &marginal_contributions_py, py::arg("X"), py::arg("y"),
        py::arg("X_val"), py::arg("y_val"), py::arg("design"), py::arg("points"),
        py::arg("rounds"), py::arg("options"),
        "Sampled Δ for rounds [r0, r1): row (s − r0)·m + j belongs to points[j].");
  m.def("draw_plan", &draw_plan_py, py::arg("design"), py::arg("points"), py::arg("rounds"),
        "The draws of marginal_contributions without evaluating them.");
  m.def("stratum_counts", &stratum_counts_py, py::arg("strata_ptr"), py::arg("balanced"),
        py::arg("k"), "Points per stratum of a base set of size k.");
}

}  // namespace pointvalue::bindings
