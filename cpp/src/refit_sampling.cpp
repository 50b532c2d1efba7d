// Sampling of the (z, D) pairs of marginal_contributions, and draw_plan (the draws alone).
#include "refit_sampling.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace pointvalue::refit {
namespace sampling {

// ---------------------------------------------------------------------------------------------
// Sampling

i64 draw_k(const Sampler& s, Rng& rng) {
  const double u = rng.uniform();
  const double* it = std::upper_bound(s.k_cdf, s.k_cdf + s.n_k, u);
  idx j = idx(it - s.k_cdf);
  if (j >= s.n_k) j = s.n_k - 1;
  return s.k_values[j];
}

// Draw D0 (into w.d0, marked with a new stamp) and the next element e_c of every stratum.
void draw_base(const Sampler& s, Rng& rng, Draw& w, i64 k) {
  w.counts.resize(s.n_strata);
  stratum_counts(s, k, w.counts.data());
  w.d0.clear();
  w.extras.assign(s.n_strata, -1);
  ++w.stamp;
  for (int c = 0; c < s.n_strata; ++c) {
    const i64 b = s.strata_ptr[c], nc = s.strata_ptr[c + 1] - b;
    const i64 take = std::min<i64>(w.counts[c] + 1, nc);
    i64* a = w.perm.data() + b;
    w.swaps.clear();
    for (i64 i = 0; i < take; ++i) {
      const i64 j = i + i64(rng.below(std::uint64_t(nc - i)));
      std::swap(a[i], a[j]);
      w.swaps.push_back(j);
    }
    for (i64 i = 0; i < std::min<i64>(w.counts[c], take); ++i) {
      w.d0.push_back(a[i]);
      w.mark[a[i]] = w.stamp;
    }
    if (take > w.counts[c]) w.extras[c] = a[w.counts[c]];
    for (i64 i = take - 1; i >= 0; --i) std::swap(a[i], a[w.swaps[i]]);  // restore
  }
}

void group_perms(const Sampler& s, idx m, idx group, i64 r0, i64 r1, std::vector<i64>& out) {
  const i64 nr = r1 - r0;
  out.resize(std::size_t(nr) * std::size_t(m));
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static)
#endif
  for (i64 r = 0; r < nr; ++r) {
    i64* a = out.data() + r * m;
    for (idx j = 0; j < m; ++j) a[j] = j;
    if (group > 1 && group < m) {
      Rng rng = task_stream(s.key, r0 + r, kGroupStream);
      for (idx j = m - 1; j > 0; --j) std::swap(a[j], a[rng.below(std::uint64_t(j + 1))]);
    }
  }
}

void init_sampler_work(const Sampler& s, Draw& w, idx n_pool) {
  w.perm.assign(s.strata_idx, s.strata_idx + s.strata_ptr[s.n_strata]);
  w.mark.assign(n_pool, 0);
  w.stamp = 0;
}

}  // namespace sampling

using namespace sampling;

// -----------------------------------------------------------------------------------------------

void stratum_counts(const Sampler& s, std::int64_t k, std::int64_t* counts) {
  if (k < 0) throw std::invalid_argument("k must be non-negative");
  const int S = s.n_strata;
  if (S == 1) {
    counts[0] = k;
    return;
  }
  if (s.balanced) {
    for (int c = 0; c < S; ++c) counts[c] = k / S + (c < k % S ? 1 : 0);
    return;
  }
  const i64 n = s.strata_ptr[S] - s.strata_ptr[0];
  const i64 base = k >= S ? 1 : 0;
  const i64 R = k - base * S;
  i64 used = 0;
  std::vector<std::pair<i64, int>> rem(S);
  for (int c = 0; c < S; ++c) {
    const i64 nc = s.strata_ptr[c + 1] - s.strata_ptr[c];
    const __int128 num = (__int128)R * nc;
    counts[c] = base + i64(num / n);
    used += i64(num / n);
    rem[c] = {i64(num % n), c};
  }
  std::stable_sort(rem.begin(), rem.end(), [](auto a, auto b) { return a.first > b.first; });
  for (i64 t = 0; t < R - used; ++t) ++counts[rem[t].second];
}

Plan draw_plan(const Sampler& smp, idx n_pool, const std::int64_t* points, idx m,
               std::int64_t r0, std::int64_t r1) {
  check_sampler(smp, n_pool);
  check_rounds(points, m, n_pool, r0, r1);
  Plan plan;
  const idx group = std::max<idx>(1, std::min<idx>(smp.group, m));
  const idx n_groups = (m + group - 1) / group;
  const i64 nr = r1 - r0;
  std::vector<i64> perms;
  group_perms(smp, m, group, r0, r1, perms);
  Draw w;
  init_sampler_work(smp, w, n_pool);
  const i64 n_tasks = nr * n_groups;
  plan.base_ptr.push_back(0);
  plan.row_task.assign(std::size_t(nr * m), -1);
  plan.row_in_base.assign(std::size_t(nr * m), 0);
  for (i64 task = 0; task < n_tasks; ++task) {
    const i64 r = task / n_groups, g = task % n_groups;
    Rng rng = task_stream(smp.key, r0 + r, std::uint64_t(g));
    const i64 k = draw_k(smp, rng);
    draw_base(smp, rng, w, k);
    plan.task_k.push_back(k);
    plan.base_idx.insert(plan.base_idx.end(), w.d0.begin(), w.d0.end());
    plan.base_ptr.push_back(i64(plan.base_idx.size()));
    plan.extra.insert(plan.extra.end(), w.extras.begin(), w.extras.end());
    const i64* perm = perms.data() + r * m;
    for (idx j = g * group; j < std::min<idx>(m, (g + 1) * group); ++j) {
      const i64 row = r * m + perm[j];
      plan.row_task[row] = task;
      plan.row_in_base[row] = w.mark[points[perm[j]]] == w.stamp;
    }
  }
  return plan;
}

}  // namespace pointvalue::refit
