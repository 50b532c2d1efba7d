// Bindings of the refit family: convert and check arrays, release the GIL, call the kernels.
#include <optional>

#include "array_checks.hpp"
#include "pointvalue/refit.hpp"

namespace pointvalue::bindings {
namespace {

using namespace pointvalue::refit;
using i64 = std::int64_t;
using ci64 = py::array_t<i64, py::array::c_style>;
using cf64 = py::array_t<double, py::array::c_style>;

void check_len(const py::array& a, py::ssize_t n, const char* name) {
  if (a.ndim() != 1 || a.shape(0) != n)
    throw py::value_error(std::string(name) + " must be 1-D of length " + std::to_string(n));
}

void check_range(const ci64& a, i64 lo, i64 hi, const char* name) {
  const i64* p = a.data();
  for (py::ssize_t i = 0; i < a.size(); ++i)
    if (p[i] < lo || p[i] >= hi)
      throw py::value_error(std::string(name) + " holds a value outside [" + std::to_string(lo) +
                            ", " + std::to_string(hi) + ")");
}

// Arrays of the problem, kept alive for the duration of a call.
struct ProblemArrays {
  py::array X, Xv;
  std::optional<cf64> y, yv;
  std::optional<ci64> label, label_v;
  Problem p;
};

ProblemArrays make_problem(py::array X, std::optional<cf64> y, std::optional<ci64> label,
                           py::array Xv, std::optional<cf64> yv, std::optional<ci64> label_v,
                           int n_classes, int model, int metric, double l2, double tol,
                           int max_iter, bool one_step) {
  ProblemArrays a{X, Xv, y, yv, label, label_v, Problem{}};
  Problem& p = a.p;
  p.X = matrix_view(X, "X");
  p.Xv = matrix_view(Xv, "X_val");
  if (p.Xv.cols != p.X.cols) throw py::value_error("X_val must have as many columns as X");
  if (p.Xv.rows < 1) throw py::value_error("X_val is empty");
  if (model != 0 && model != 1) throw py::value_error("model must be 0 (least squares) or 1");
  if (metric != 0 && metric != 1) throw py::value_error("metric must be 0 (loss) or 1 (accuracy)");
  p.model = Model(model);
  p.metric = Metric(metric);
  if (!(l2 >= 0) || !(tol > 0) || max_iter < 1) throw py::value_error("bad l2, tol or max_iter");
  p.l2 = l2;
  p.tol = tol;
  p.max_iter = max_iter;
  p.one_step = one_step;
  if (p.model == Model::LeastSquares) {
    if (!y || !yv) throw py::value_error("least squares needs y and y_val");
    check_len(*y, p.X.rows, "y");
    check_len(*yv, p.Xv.rows, "y_val");
    p.y = y->data();
    p.yv = yv->data();
    if (p.metric != Metric::Loss) throw py::value_error("least squares supports the loss metric");
  } else {
    if (!label || !label_v) throw py::value_error("logistic needs integer labels");
    if (n_classes < 2) throw py::value_error("n_classes must be at least 2");
    check_len(*label, p.X.rows, "y");
    check_len(*label_v, p.Xv.rows, "y_val");
    check_range(*label, 0, n_classes, "y");
    check_range(*label_v, 0, n_classes, "y_val");
    p.label = label->data();
    p.label_v = label_v->data();
    p.n_classes = n_classes;
  }
  return a;
}

struct SamplerArrays {
  ci64 stratum, strata_ptr, strata_idx, k_values;
  cf64 k_cdf;
  Sampler s;
};

SamplerArrays make_sampler(ci64 stratum, ci64 strata_ptr, ci64 strata_idx, bool balanced,
                           ci64 k_values, cf64 k_cdf, std::uint64_t seed, i64 n_pool) {
  SamplerArrays a{stratum, strata_ptr, strata_idx, k_values, k_cdf, Sampler{}};
  check_len(stratum, n_pool, "stratum");
  if (strata_ptr.ndim() != 1 || strata_ptr.shape(0) < 2)
    throw py::value_error("strata_ptr must be 1-D with at least 2 entries");
  const int S = int(strata_ptr.shape(0) - 1);
  const i64* sp = strata_ptr.data();
  if (sp[0] != 0 || sp[S] != strata_idx.shape(0)) throw py::value_error("strata_ptr is inconsistent");
  for (int c = 0; c < S; ++c)
    if (sp[c + 1] <= sp[c]) throw py::value_error("every stratum must be non-empty");
  check_range(stratum, 0, S, "stratum");
  check_range(strata_idx, 0, n_pool, "strata_idx");
  if (k_values.ndim() != 1 || k_values.shape(0) < 1 || k_cdf.ndim() != 1 ||
      k_cdf.shape(0) != k_values.shape(0))
    throw py::value_error("k_values and k_cdf must be 1-D of equal, positive length");
  check_range(k_values, 1, n_pool + 1, "k_values");
  Sampler& s = a.s;
  s.stratum = stratum.data();
  s.strata_ptr = sp;
  s.strata_idx = strata_idx.data();
  s.n_strata = S;
  s.balanced = balanced;
  s.k_values = k_values.data();
  s.k_cdf = k_cdf.data();
  s.n_k = k_values.shape(0);
  s.seed = seed;
  return a;
}

py::tuple evaluate_py(py::array X, std::optional<cf64> y, std::optional<ci64> label, py::array Xv,
                      std::optional<cf64> yv, std::optional<ci64> label_v, int n_classes,
                      int model, int metric, double l2, double tol, int max_iter, bool one_step,
                      ci64 sub_ptr, ci64 sub_idx, ci64 tgt_ptr, ci64 tgt_idx,
                      int n_threads) {
  auto pa = make_problem(X, y, label, Xv, yv, label_v, n_classes, model, metric, l2, tol,
                         max_iter, one_step);
  const i64 n = pa.p.X.rows;
  if (sub_ptr.ndim() != 1 || sub_ptr.shape(0) < 1 || tgt_ptr.ndim() != 1 ||
      tgt_ptr.shape(0) != sub_ptr.shape(0))
    throw py::value_error("sub_ptr and tgt_ptr must be 1-D of equal length ≥ 1");
  const idx n_sub = sub_ptr.shape(0) - 1;
  const i64 *sp = sub_ptr.data(), *tp = tgt_ptr.data();
  if (sp[0] != 0 || sp[n_sub] != sub_idx.shape(0) || tp[0] != 0 || tp[n_sub] != tgt_idx.shape(0))
    throw py::value_error("sub_ptr / tgt_ptr are inconsistent with the index arrays");
  for (idx t = 0; t < n_sub; ++t)
    if (sp[t + 1] <= sp[t] || tp[t + 1] < tp[t])
      throw py::value_error("subsets must be non-empty and pointers non-decreasing");
  check_range(sub_idx, 0, n, "subsets");
  check_range(tgt_idx, 0, n, "points");
  py::array_t<double> delta(tgt_idx.shape(0));
  py::array_t<std::int32_t> status(tgt_idx.shape(0));
  double* dp = delta.mutable_data();
  std::int32_t* st = status.mutable_data();
  {
    py::gil_scoped_release release;
    evaluate(pa.p, sp, sub_idx.data(), n_sub, tp, tgt_idx.data(), dp, st, n_threads);
  }
  return py::make_tuple(delta, status);
}

py::tuple sample_py(py::array X, std::optional<cf64> y, std::optional<ci64> label, py::array Xv,
                    std::optional<cf64> yv, std::optional<ci64> label_v, int n_classes, int model,
                    int metric, double l2, double tol, int max_iter, bool one_step,
                    ci64 stratum, ci64 strata_ptr, ci64 strata_idx,
                    bool balanced, ci64 k_values, cf64 k_cdf, std::uint64_t seed, ci64 points,
                    i64 group, i64 r0, i64 r1, int n_threads) {
  auto pa = make_problem(X, y, label, Xv, yv, label_v, n_classes, model, metric, l2, tol,
                         max_iter, one_step);
  const i64 n = pa.p.X.rows;
  auto sa = make_sampler(stratum, strata_ptr, strata_idx, balanced, k_values, k_cdf, seed, n);
  if (points.ndim() != 1 || points.shape(0) < 1) throw py::value_error("points must be 1-D, non-empty");
  check_range(points, 0, n, "points");
  if (group < 1 || r0 < 0 || r1 < r0) throw py::value_error("bad group or round range");
  const idx m = points.shape(0);
  const py::ssize_t rows = py::ssize_t((r1 - r0) * m);
  py::array_t<i64> k(rows);
  py::array_t<double> delta(rows);
  py::array_t<std::int32_t> status(rows);
  i64* kp = k.mutable_data();
  double* dp = delta.mutable_data();
  std::int32_t* st = status.mutable_data();
  const i64* pp = points.data();
  {
    py::gil_scoped_release release;
    marginal_sample(pa.p, sa.s, pp, m, group, r0, r1, kp, dp, st, n_threads);
  }
  return py::make_tuple(k, delta, status);
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> a(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::dict plan_py(ci64 stratum, ci64 strata_ptr, ci64 strata_idx, bool balanced, ci64 k_values,
                 cf64 k_cdf, std::uint64_t seed, ci64 points, i64 group, i64 r0, i64 r1) {
  const i64 n = stratum.shape(0);
  auto sa = make_sampler(stratum, strata_ptr, strata_idx, balanced, k_values, k_cdf, seed, n);
  if (points.ndim() != 1 || points.shape(0) < 1) throw py::value_error("points must be 1-D, non-empty");
  check_range(points, 0, n, "points");
  if (group < 1 || r0 < 0 || r1 < r0) throw py::value_error("bad group or round range");
  Plan plan;
  const i64* pp = points.data();
  const idx m = points.shape(0);
  {
    py::gil_scoped_release release;
    plan = draw_plan(sa.s, pp, m, group, r0, r1);
  }
  py::dict d;
  d["task_k"] = to_array(plan.task_k);
  d["base_ptr"] = to_array(plan.base_ptr);
  d["base_idx"] = to_array(plan.base_idx);
  d["extra"] = to_array(plan.extra);
  d["row_task"] = to_array(plan.row_task);
  d["row_in_base"] = to_array(plan.row_in_base);
  return d;
}

py::array_t<i64> stratum_counts_py(ci64 strata_ptr, bool balanced, i64 k) {
  if (strata_ptr.ndim() != 1 || strata_ptr.shape(0) < 2)
    throw py::value_error("strata_ptr must be 1-D with at least 2 entries");
  if (k < 0) throw py::value_error("k must be non-negative");
  Sampler s;
  s.strata_ptr = strata_ptr.data();
  s.n_strata = int(strata_ptr.shape(0) - 1);
  s.balanced = balanced;
  py::array_t<i64> out(s.n_strata);
  stratum_counts(s, k, out.mutable_data());
  return out;
}

}  // namespace

void bind_refit(py::module_& parent) {
  auto m = parent.def_submodule("refit", "Marginal contributions by incremental refits.");
  m.def("evaluate_contributions", &evaluate_py, py::arg("X"), py::arg("y"), py::arg("label"),
        py::arg("X_val"), py::arg("y_val"), py::arg("label_val"), py::arg("n_classes"),
        py::arg("model"), py::arg("metric"), py::arg("l2"), py::arg("tol"), py::arg("max_iter"),
        py::arg("one_step"), py::arg("sub_ptr"), py::arg("sub_idx"),
        py::arg("tgt_ptr"), py::arg("tgt_idx"), py::arg("n_threads"),
        "Δ(z, D) for caller-given subsets (CSR) and targets: (delta, status).");
  m.def("marginal_contributions", &sample_py, py::arg("X"), py::arg("y"), py::arg("label"),
        py::arg("X_val"), py::arg("y_val"), py::arg("label_val"), py::arg("n_classes"),
        py::arg("model"), py::arg("metric"), py::arg("l2"), py::arg("tol"), py::arg("max_iter"),
        py::arg("one_step"), py::arg("stratum"), py::arg("strata_ptr"),
        py::arg("strata_idx"), py::arg("balanced"), py::arg("k_values"), py::arg("k_cdf"),
        py::arg("seed"), py::arg("points"), py::arg("group"), py::arg("r0"), py::arg("r1"),
        py::arg("n_threads"),
        "Sampled Δ for rounds [r0, r1): (k, delta, status), row (s − r0)·m + j for points[j].");
  m.def("draw_plan", &plan_py, py::arg("stratum"), py::arg("strata_ptr"), py::arg("strata_idx"),
        py::arg("balanced"), py::arg("k_values"), py::arg("k_cdf"), py::arg("seed"),
        py::arg("points"), py::arg("group"), py::arg("r0"), py::arg("r1"),
        "The draws of marginal_contributions without evaluating them.");
  m.def("stratum_counts", &stratum_counts_py, py::arg("strata_ptr"), py::arg("balanced"),
        py::arg("k"), "Points per stratum of a base set of size k.");
}

}  // namespace pointvalue::bindings
