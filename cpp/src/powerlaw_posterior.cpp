// Grid posterior of per-point scaling laws: see powerlaw.hpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "pointvalue/parallel.hpp"
#include "pointvalue/powerlaw.hpp"

namespace pointvalue {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLog2PiPlus1 = 2.8378770664093453;  // log(2π) + 1

void check_grid(const PowerLawGrid& g) {
  if (!(g.alpha_step > 0) || g.n_alpha < 1 || g.beta_ratio < 1 || g.n_beta < 1)
    throw std::invalid_argument("grid: alpha_step > 0, n_alpha ≥ 1, beta_ratio ≥ 1, n_beta ≥ 1");
  if (!(g.k_ref > 0) || !(g.value_lo >= 1) || !(g.value_hi > g.value_lo))
    throw std::invalid_argument("grid: k_ref > 0 and 1 ≤ value_lo < value_hi");
}

// mean over integer k in [lo, hi) of (k/k_ref)^−α, for every α node.
std::vector<double> value_factors(const PowerLawGrid& g) {
  const long lo = long(std::ceil(g.value_lo)), hi = long(std::ceil(g.value_hi));
  std::vector<double> a(g.n_alpha, 0.0);
  for (int i = 0; i < g.n_alpha; ++i) {
    const double alpha = i * g.alpha_step;
    double s = 0;
    for (long k = lo; k < hi; ++k) s += std::exp(-alpha * std::log(double(k) / g.k_ref));
    a[i] = s / double(hi - lo);
  }
  return a;
}

struct Workspace {
  std::vector<double> u, q, p, ds, t0, t1, t2, log_t0, lp, val, cvar;
};

// Power sums T_r[l] = Σ Δ^r e^{(l_min + l) h u} for r = 0, 1, 2, by repeated multiplication.
void power_sums(const double* d, idx n, int lmin, int L, double h, Workspace& w) {
  for (idx s = 0; s < n; ++s) {
    w.q[s] = std::exp(h * w.u[s]);
    w.p[s] = std::exp(lmin * h * w.u[s]);
  }
  for (int l = 0; l < L; ++l) {
    double a0 = 0, a1 = 0, a2 = 0;
#pragma omp simd reduction(+ : a0, a1, a2)
    for (idx s = 0; s < n; ++s) {
      const double p = w.p[s], dp = d[s] * p;
      a0 += p;
      a1 += dp;
      a2 += d[s] * dp;
      w.p[s] = p * w.q[s];
    }
    w.t0[l] = a0;
    w.t1[l] = a1;
    w.t2[l] = a2;
  }
}

struct Node {
  double v, rss, sxx, lml;
};

// Node (i, j) of the lattice from the power sums; log S_xx comes precomputed per exponent.
inline Node node(const Workspace& w, const PowerLawGrid& g, int i, int j, int lmin, double su,
                 idx n) {
  const int jb = j * g.beta_ratio;
  const int lxx = jb - 2 * i - lmin;
  const double sxx = w.t0[lxx], sxd = w.t1[jb - i - lmin], sdd = w.t2[jb - lmin];
  const double v = sxd / sxx;
  const double rss = std::max(sdd - sxd * v, 1e-14 * sdd);
  const double beta = jb * g.alpha_step;
  return {v, rss, sxx,
          0.5 * beta * su - 0.5 * w.log_t0[lxx] - 0.5 * double(n - 1) * std::log(rss)};
}

void fill_nan(const PowerLawPosterior& o, idx j) {
  for (double* a : {o.c, o.alpha, o.sigma, o.beta, o.nll, o.alpha_mean, o.alpha_sd, o.beta_mean,
                    o.beta_sd, o.value_mean, o.value_sd, o.log_evidence})
    a[j] = kNaN;
}

void one_point(const double* logk, const double* d, idx n, const PowerLawGrid& g,
               const double* log_prior, const std::vector<double>& afac, Workspace& w,
               const PowerLawPosterior& o, idx j, double* lm_row) {
  const int G = g.n_alpha * g.n_beta;
  o.status[j] = screen_samples(logk, d, n);
  if (o.status[j] != kPowerLawOk) {
    fill_nan(o, j);
    if (o.status[j] == kPowerLawAllZero) o.c[j] = o.value_mean[j] = o.sigma[j] = 0.0;
    if (lm_row) std::fill(lm_row, lm_row + G, 0.0);  // uninformative: no pull on the prior
    return;
  }
  const int lmin = -2 * (g.n_alpha - 1), L = (g.n_beta - 1) * g.beta_ratio - lmin + 1;
  if (idx(w.u.size()) < n) w.u.resize(n), w.q.resize(n), w.p.resize(n), w.ds.resize(n);
  w.t0.resize(L), w.t1.resize(L), w.t2.resize(L), w.log_t0.resize(L);
  w.lp.resize(G), w.val.resize(G), w.cvar.resize(G);
  // Δ scaled by its largest magnitude so that no power sum overflows; v, c, σ and V are scaled
  // back at the end.
  double amax = 0;
  for (idx s = 0; s < n; ++s) amax = std::max(amax, std::abs(d[s]));
  for (idx s = 0; s < n; ++s) w.ds[s] = d[s] / amax;
  const double lkref = std::log(g.k_ref);
  double su = 0;
  for (idx s = 0; s < n; ++s) su += (w.u[s] = logk[s] - lkref);
  power_sums(w.ds.data(), n, lmin, L, g.alpha_step, w);
  for (int l = 0; l < L; ++l) w.log_t0[l] = std::log(w.t0[l]);
  // One pass over the nodes: log posterior, and the value's conditional mean and variance
  // (Student-t with n − 1 dof around v̂·A(α)).
  double best = -kInf;
  int arg = 0;
  for (int i = 0; i < g.n_alpha; ++i)
    for (int jj = 0; jj < g.n_beta; ++jj) {
      const int t = i * g.n_beta + jj;
      const Node nd = node(w, g, i, jj, lmin, su, n);
      if (lm_row) lm_row[t] = nd.lml;
      w.lp[t] = nd.lml + (log_prior ? log_prior[t] : 0.0);
      w.val[t] = nd.v * afac[i];
      w.cvar[t] = n > 3 ? nd.rss / (double(n - 3) * nd.sxx) * afac[i] * afac[i] : kInf;
      if (w.lp[t] > best) best = w.lp[t], arg = t;
    }
  double z = 0, ma = 0, ma2 = 0, mb = 0, mb2 = 0, mv = 0, mv2 = 0;
  for (int i = 0; i < g.n_alpha; ++i)
    for (int jj = 0; jj < g.n_beta; ++jj) {
      const int t = i * g.n_beta + jj;
      const double e = w.lp[t] - best;
      if (e < -40) continue;  // weight below 4e-18 of the mode's: no visible contribution
      const double wt = std::exp(e);
      const double a = i * g.alpha_step, b = jj * g.beta_ratio * g.alpha_step;
      z += wt;
      ma += wt * a, ma2 += wt * a * a, mb += wt * b, mb2 += wt * b * b;
      mv += wt * w.val[t], mv2 += wt * (w.val[t] * w.val[t] + w.cvar[t]);
    }
  ma /= z, ma2 /= z, mb /= z, mb2 /= z, mv /= z, mv2 /= z;
  o.alpha_mean[j] = ma, o.alpha_sd[j] = std::sqrt(std::max(ma2 - ma * ma, 0.0));
  o.beta_mean[j] = mb, o.beta_sd[j] = std::sqrt(std::max(mb2 - mb * mb, 0.0));
  o.value_mean[j] = mv * amax;
  o.value_sd[j] = std::sqrt(std::max(mv2 - mv * mv, 0.0)) * amax;
  o.log_evidence[j] = best + std::log(z);
  const int ia = arg / g.n_beta, jb = arg % g.n_beta;
  const Node nd = node(w, g, ia, jb, lmin, su, n);
  const double a = ia * g.alpha_step, b = jb * g.beta_ratio * g.alpha_step;
  const double s2 = nd.rss / double(n);  // ML σ² in (k/k_ref) units of the scaled Δ
  o.alpha[j] = a, o.beta[j] = b;
  o.c[j] = nd.v * amax * std::exp(a * lkref);
  o.sigma[j] = std::sqrt(s2) * amax * std::exp(0.5 * b * lkref);
  o.nll[j] = 0.5 * double(n) * (kLog2PiPlus1 + std::log(s2) + 2 * std::log(amax)) - 0.5 * b * su;
}

}  // namespace

int grid_size(const PowerLawGrid& grid) { return grid.n_alpha * grid.n_beta; }

void powerlaw_posterior_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                              const double* delta, const PowerLawGrid& grid,
                              const double* log_prior, const PowerLawPosterior& out,
                              double* log_marginal) {
  check_grid(grid);
  const std::vector<double> afac = value_factors(grid);
  const idx G = grid_size(grid);
  ParallelErrors errors;  // one_point sizes the workspace
#pragma omp parallel if (n_points > 64)
  {
    Workspace w;
#pragma omp for schedule(dynamic, 16)
    for (idx j = 0; j < n_points; ++j) errors.run([&] {
      const idx b = offsets[j], n = offsets[j + 1] - offsets[j];
      one_point(logk + b, delta + b, n, grid, log_prior, afac, w, out, j,
                log_marginal ? log_marginal + j * G : nullptr);
    });
  }
  errors.rethrow();
}

}  // namespace pointvalue
