// Argument checks of the refit entry points: the Python layer validates first and names the
// user's argument; these guard the kernels against any caller that did not (a ValueError through
// pybind11 instead of memory corruption).
#include <stdexcept>
#include <string>

#include "pointvalue/refit.hpp"

namespace pointvalue::refit {
namespace {

using i64 = std::int64_t;

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument(what); }

void check_range(const i64* a, idx n, i64 lo, i64 hi, const char* name) {
  for (idx i = 0; i < n; ++i)
    if (a[i] < lo || a[i] >= hi)
      invalid(std::string(name) + " holds a value outside [" + std::to_string(lo) + ", " +
              std::to_string(hi) + ")");
}

void check_least_squares(const Problem& p) {
  if (!p.y || !p.yv) invalid("least squares needs y and y_val");
  if (p.metric != Metric::Loss) invalid("least squares supports the loss metric");
}

void check_logistic(const Problem& p) {
  if (!p.label || !p.label_v) invalid("logistic needs integer labels");
  if (p.n_classes < 2) invalid("n_classes must be at least 2");
  check_range(p.label, p.X.rows, 0, p.n_classes, "y");
  check_range(p.label_v, p.Xv.rows, 0, p.n_classes, "y_val");
}

}  // namespace

void check_problem(const Problem& p) {
  if (p.Xv.cols != p.X.cols) invalid("X_val must have as many columns as X");
  if (p.Xv.rows < 1) invalid("X_val is empty");
  if (!(p.l2 >= 0) || !(p.tol > 0) || p.max_iter < 1) invalid("bad l2, tol or max_iter");
  if (p.model == Model::LeastSquares) check_least_squares(p);
  else check_logistic(p);
}

void check_sampler(const Sampler& s, idx n_pool) {
  const idx n_strata_idx = s.n_strata_idx;
  if (s.n_stratum != n_pool) invalid("stratum must have one entry per pool point");
  if (s.n_strata < 1) invalid("strata_ptr must be 1-D with at least 2 entries");
  const i64* sp = s.strata_ptr;
  if (sp[0] != 0 || sp[s.n_strata] != n_strata_idx) invalid("strata_ptr is inconsistent");
  for (int c = 0; c < s.n_strata; ++c)
    if (sp[c + 1] <= sp[c]) invalid("every stratum must be non-empty");
  check_range(s.stratum, n_pool, 0, s.n_strata, "stratum");
  check_range(s.strata_idx, n_strata_idx, 0, n_pool, "strata_idx");
  if (s.n_k < 1 || s.n_cdf != s.n_k) invalid("k_values and k_cdf must be 1-D of equal, positive length");
  check_range(s.k_values, s.n_k, 1, n_pool + 1, "k_values");
  if (s.group < 1) invalid("points_per_subset must be at least 1");
}

void check_rounds(const i64* points, idx m, idx n_pool, i64 r0, i64 r1) {
  if (m < 1) invalid("points must be 1-D, non-empty");
  check_range(points, m, 0, n_pool, "points");
  if (r0 < 0 || r1 < r0) invalid("bad round range");
}

void check_subsets(const i64* sub_ptr, const i64* sub_idx, idx n_sub, idx n_sub_idx,
                   const i64* tgt_ptr, const i64* tgt_idx, idx n_tgt, idx n_pool) {
  if (n_sub < 0) invalid("sub_ptr must have at least one entry");
  if (sub_ptr[0] != 0 || sub_ptr[n_sub] != n_sub_idx || tgt_ptr[0] != 0 || tgt_ptr[n_sub] != n_tgt)
    invalid("sub_ptr / tgt_ptr are inconsistent with the index arrays");
  for (idx t = 0; t < n_sub; ++t)
    if (sub_ptr[t + 1] <= sub_ptr[t] || tgt_ptr[t + 1] < tgt_ptr[t])
      invalid("subsets must be non-empty and pointers non-decreasing");
  check_range(sub_idx, n_sub_idx, 0, n_pool, "subsets");
  check_range(tgt_idx, n_tgt, 0, n_pool, "points");
}

}  // namespace pointvalue::refit
