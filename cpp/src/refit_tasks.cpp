// The tasks of the refit family: one base set and its targets per task (run_task), run in
// parallel by evaluate_contributions (given subsets) and marginal_contributions (sampled ones).
#include <exception>
#include <limits>
#include <new>
#include <vector>

#include "refit_engine.hpp"
#include "refit_sampling.hpp"

namespace pointvalue::refit {

using namespace sampling;

namespace {

// ---------------------------------------------------------------------------------------------
// One base set and its targets: fits D0 once, then every target by an update.

struct Target {
  i64 point;
  i64 extra;     // −1: z ∉ D0 (add z); else e_c (D_z = D0 + e_c − z); −2: invalid
  double* delta;
  std::int32_t* status;
};

struct Work : Draw {  // the sampler state (Draw) and the engine's buffers of one thread
  Fit base, scratch;
  MatrixXd E;
  RowMatrixXd Z;                 // least squares: augmented rows [x, 1, y] of the base set
  MatrixXd Xt, U, SU;            // batched targets: their rows and solves
  VectorXd batch_delta;
  std::vector<char> batch_ok;
  std::vector<i64> batch_z;
  std::vector<std::size_t> batch_pos;
  std::vector<char> handled;
  std::vector<Engine::AddState> add_state;  // logistic
  std::vector<std::int32_t> batch_status;
  MatrixXd Theta, G, Th_done;
  std::vector<double> losses;
  std::vector<Fit> plus;       // D0 + e_c, per distinct e_c in the task
  std::vector<i64> plus_key;
  std::vector<double> plus_loss;
  std::vector<int> plus_status;
};

// The targets outside D0 of a least-squares task, all at once (w.batch_*).
void solve_batch_least_squares(const Engine& eng, Work& w, std::vector<Target>& targets) {
  eng.ls_add(w.base, w.batch_z, w.Xt, w.U, w.SU, w.batch_delta, w.batch_ok);
  for (std::size_t j = 0; j < w.batch_pos.size(); ++j) {
    const Target& t = targets[w.batch_pos[j]];
    *t.status = w.batch_ok[j] ? kOk : kSingular;
    *t.delta = w.batch_ok[j] ? w.batch_delta[j] : std::numeric_limits<double>::quiet_NaN();
    w.handled[w.batch_pos[j]] = 1;
  }
}

// The targets outside D0 of a logistic task, iterated together; their validation losses in one
// product. Targets whose iteration stalled stay unhandled (solved one by one by the caller).
void solve_batch_logistic(const Engine& eng, Work& w, double L0, std::vector<Target>& targets) {
  eng.logistic_add(w.base, w.batch_z, w.add_state, w.Theta, w.G, w.U, w.E, w.batch_status);
  std::vector<std::size_t> done;
  for (std::size_t j = 0; j < w.batch_pos.size(); ++j)
    if (w.add_state[j].state == 1) done.push_back(j);
  if (done.empty()) return;
  w.Th_done.resize(eng.np(), idx(done.size()));
  for (std::size_t i = 0; i < done.size(); ++i) w.Th_done.col(idx(i)) = w.Theta.col(idx(done[i]));
  w.losses.resize(done.size());
  eng.val_losses(w.Th_done, w.E, w.losses.data());
  for (std::size_t i = 0; i < done.size(); ++i) {
    const std::size_t j = done[i];
    const Target& t = targets[w.batch_pos[j]];
    *t.status = w.batch_status[j];
    *t.delta = w.batch_status[j] == kOk ? L0 - w.losses[i] : std::numeric_limits<double>::quiet_NaN();
    w.handled[w.batch_pos[j]] = 1;
  }
}

// Buffers of the one-by-one solves of a task.
struct Scratch {
  std::vector<Mod> mods;
  VectorXd theta, gres, delta, delta1;
};

void fail_all(std::vector<Target>& targets, std::int32_t st) {
  for (auto& t : targets) {
    *t.delta = std::numeric_limits<double>::quiet_NaN();
    *t.status = st;
  }
}

// Fits D0 into w.base; L0 is its validation loss (logistic). The status of the fit.
std::int32_t fit_base(const Engine& eng, bool ls, Work& w, const i64* d0, idx k, double& L0) {
  Fit& base = w.base;
  base.status = kOk;
  L0 = 0;
  if (ls) {
    eng.fit_ls(base, d0, k, w.Z);
  } else {
    eng.gather(base, d0, k);
    eng.fit_logistic(base, w.E, false);
    if (base.status == kOk) L0 = eng.val_loss(base.theta);
  }
  return base.status;
}

// Targets outside D0 (D_z = D0 + z) share the base factorization: batched (w.handled marks them).
void solve_outside_batch(const Engine& eng, bool ls, Work& w, double L0,
                         std::vector<Target>& targets) {
  w.batch_z.clear();
  w.batch_pos.clear();
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (targets[i].extra == -1) {
      w.batch_z.push_back(targets[i].point);
      w.batch_pos.push_back(i);
    }
  w.handled.assign(targets.size(), 0);
  if (w.batch_z.empty()) return;
  // least squares: one solve per target; logistic: about three chord steps per target
  w.base.prepare_solves(idx(w.batch_z.size()) * (ls ? 1 : 3) * eng.nk());
  if (ls) {
    solve_batch_least_squares(eng, w, targets);
  } else {
    solve_batch_logistic(eng, w, L0, targets);
  }
}

// A target z ∉ D0 whose batched iteration stalled: alone, with the Newton fallback.
std::int32_t solve_outside(const Engine& eng, Work& w, const Target& t, double L0, Scratch& s,
                           double& dl) {
  s.mods.assign({Mod{t.point, +1.0}});
  const std::int32_t st = eng.solve_modified(w.base, s.mods, w.base, s.mods, s.theta, s.gres,
                                             w.scratch, w.E);
  if (st == kOk) dl = L0 - eng.val_loss(s.theta);
  return st;
}

// The slot of D0 + e_c in w.plus: fitted once per task and e_c (least squares: stored as the
// change δ from θ_D0), with its validation loss and status.
std::size_t plus_slot(const Engine& eng, bool ls, Work& w, i64 extra, Scratch& s) {
  std::size_t slot = 0;
  while (slot < w.plus_key.size() && w.plus_key[slot] != extra) ++slot;
  if (slot < w.plus_key.size()) return slot;
  w.plus_key.push_back(extra);
  if (w.plus.size() < w.plus_key.size()) w.plus.emplace_back();
  if (w.plus_loss.size() < w.plus_key.size()) {
    w.plus_loss.push_back(0);
    w.plus_status.push_back(0);
  }
  Fit& f1 = w.plus[slot];
  s.mods.assign({Mod{extra, +1.0}});
  int s1 = kOk;
  if (ls) {
    if (eng.ls_delta(w.base, s.mods, s.delta1)) {
      f1.theta = s.delta1;
      w.plus_loss[slot] = eng.ls_dloss(w.base, s.delta1);
    } else {
      s1 = kSingular;
    }
  } else {
    s1 = eng.solve_modified(w.base, s.mods, w.base, s.mods, f1.theta, f1.gres, w.scratch, w.E,
                            true);
    if (s1 == kOk) w.plus_loss[slot] = eng.val_loss(f1.theta);
  }
  w.plus_status[slot] = s1;
  return slot;
}

// A target z ∈ D0: D_z = D0 + e_c − z, Δ = L(D0 + e_c − z) − L(D0 + e_c).
std::int32_t solve_inside(const Engine& eng, bool ls, Work& w, const Target& t, Scratch& s,
                          double& dl) {
  const std::size_t slot = plus_slot(eng, ls, w, t.extra, s);
  std::int32_t st = w.plus_status[slot];
  if (st != kOk) return st;
  const Fit& f1 = w.plus[slot];
  s.mods.assign({Mod{t.extra, +1.0}, Mod{t.point, -1.0}});
  if (ls) {
    if (!eng.ls_delta(w.base, s.mods, s.delta)) return kSingular;
    dl = eng.ls_dloss(w.base, s.delta) - w.plus_loss[slot];
    return kOk;
  }
  const std::vector<Mod> rm{Mod{t.point, -1.0}};
  st = eng.solve_modified(w.base, s.mods, f1, rm, s.theta, s.gres, w.scratch, w.E);
  if (st == kOk) dl = eng.val_loss(s.theta) - w.plus_loss[slot];
  return st;
}

// Δ and status of one target not handled by the batch.
void solve_one(const Engine& eng, bool ls, Work& w, Target& t, double L0, Scratch& s) {
  std::int32_t st = kOk;
  double dl = std::numeric_limits<double>::quiet_NaN();
  try {
    if (t.extra == -2) st = kBadIndex;
    else if (t.extra < 0) st = solve_outside(eng, w, t, L0, s, dl);
    else st = solve_inside(eng, ls, w, t, s, dl);
  } catch (const std::bad_alloc&) {
    throw;  // out of memory is an error of the call, not a property of this subset
  } catch (const std::exception&) {
    st = kSingular;
  }
  *t.delta = st == kOk ? dl : std::numeric_limits<double>::quiet_NaN();
  *t.status = st;
}

// One base set D0 and its targets: fit D0, the targets outside D0 batched, the rest one by one.
void run_task(const Engine& eng, const Problem& p, Work& w, const i64* d0, idx k,
              std::vector<Target>& targets) {
  const bool ls = p.model == Model::LeastSquares;
  double L0 = 0;
  const std::int32_t st = fit_base(eng, ls, w, d0, k, L0);
  if (st != kOk) return fail_all(targets, st);
  solve_outside_batch(eng, ls, w, L0, targets);
  w.plus_key.clear();
  Scratch s;
  for (std::size_t i = 0; i < targets.size(); ++i)
    if (!w.handled[i]) solve_one(eng, ls, w, targets[i], L0, s);
}

// run_task inside a parallel region: an allocation failure propagates (to the region's
// ParallelErrors, rethrown by the caller after the region), any other failure marks the task's
// targets singular.
void run_guarded(const Engine& eng, const Problem& p, Work& w, const i64* d0, idx k,
                 std::vector<Target>& targets) {
  try {
    run_task(eng, p, w, d0, k, targets);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
    for (auto& tg : targets) *tg.status = kSingular;
  }
}

}  // namespace

void evaluate_contributions(const Problem& p, const std::int64_t* sub_ptr,
                            const std::int64_t* sub_idx, idx n_sub, idx n_sub_idx,
                            const std::int64_t* tgt_ptr, const std::int64_t* tgt_idx, idx n_tgt,
                            double* delta, std::int32_t* status) {
  check_problem(p);
  check_subsets(sub_ptr, sub_idx, n_sub, n_sub_idx, tgt_ptr, tgt_idx, n_tgt, p.X.rows);
  const Engine eng(p);
  const idx n_pool = p.X.rows;
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel num_threads(std::max(1, p.n_threads))
#endif
  {
    Work w;
    errors.run([&] { w.mark.assign(n_pool, 0); });
    std::vector<Target> targets;
#if defined(PV_HAVE_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
    for (idx t = 0; t < n_sub; ++t) errors.run([&] {
      ++w.stamp;
      const i64* d0 = sub_idx + sub_ptr[t];
      const idx k = idx(sub_ptr[t + 1] - sub_ptr[t]);
      bool repeats = false;
      for (idx i = 0; i < k; ++i) {
        repeats |= w.mark[d0[i]] == w.stamp;
        w.mark[d0[i]] = w.stamp;
      }
      targets.clear();
      for (i64 j = tgt_ptr[t]; j < tgt_ptr[t + 1]; ++j) {
        if (repeats || w.mark[tgt_idx[j]] == w.stamp) {
          delta[j] = std::numeric_limits<double>::quiet_NaN();
          status[j] = kBadIndex;
          continue;
        }
        targets.push_back(Target{tgt_idx[j], -1, delta + j, status + j});
      }
      run_guarded(eng, p, w, d0, k, targets);
    });
  }
  errors.rethrow();
}

void marginal_contributions(const Problem& p, const Sampler& smp, const std::int64_t* points,
                            idx m, std::int64_t r0, std::int64_t r1, std::int64_t* k_out,
                            double* delta_out, std::int32_t* status) {
  const idx n_pool = p.X.rows;
  check_problem(p);
  check_sampler(smp, n_pool);
  check_rounds(points, m, n_pool, r0, r1);
  const idx group = std::max<idx>(1, std::min<idx>(smp.group, m));
  const idx n_groups = (m + group - 1) / group;
  const i64 nr = r1 - r0;
  std::vector<i64> perms;
  group_perms(smp, m, group, r0, r1, perms);
  const i64 n_tasks = nr * n_groups;
  const Engine eng(p);
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel num_threads(std::max(1, p.n_threads))
#endif
  {
    Work w;
    errors.run([&] { init_sampler_work(smp, w, n_pool); });
    std::vector<Target> targets;
#if defined(PV_HAVE_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
    for (i64 task = 0; task < n_tasks; ++task) errors.run([&] {
      const i64 r = task / n_groups, g = task % n_groups;
      Rng rng = task_stream(smp.key, r0 + r, std::uint64_t(g));
      const i64 k = draw_k(smp, rng);
      draw_base(smp, rng, w, k);
      targets.clear();
      const i64* perm = perms.data() + r * m;
      for (idx j = g * group; j < std::min<idx>(m, (g + 1) * group); ++j) {
        const i64 pj = perm[j], z = points[pj], row = r * m + pj;
        k_out[row] = k;
        const i64 c = smp.stratum[z];
        const bool in_base = w.mark[z] == w.stamp;
        const i64 extra = in_base ? (w.extras[c] >= 0 ? w.extras[c] : -2) : -1;
        targets.push_back(Target{z, extra, delta_out + row, status + row});
      }
      run_guarded(eng, p, w, w.d0.data(), idx(w.d0.size()), targets);
    });
  }
  errors.rethrow();
}

}  // namespace pointvalue::refit
