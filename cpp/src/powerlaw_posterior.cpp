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
  std::vector<double> u, q, p, t0, t1, t2, lp;
};

// Power sums T_r[l] = Σ Δ^r e^{(l_min + l) h u} for r = 0, 1, 2, by repeated multiplication.
void power_sums(const double* d, idx n, int lmin, int L, double h, Workspace& w) {
  for (idx s = 0; s < n; ++s) {
    w.q[s] = std::exp(h * w.u[s]);
    w.p[s] = std::exp(lmin * h * w.u[s]);
  }
  for (int l = 0; l < L; ++l) {
    double a0 = 0, a1 = 0, a2 = 0;
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

std::int8_t screen(const double* logk, const double* d, idx n) {
  if (n < 1) return kPowerLawTooFewK;
  double lo = kInf, hi = -kInf;
  bool any = false;
  for (idx s = 0; s < n; ++s) {
    if (!std::isfinite(logk[s]) || !std::isfinite(d[s])) return kPowerLawNonFinite;
    lo = std::min(lo, logk[s]);
    hi = std::max(hi, logk[s]);
    any = any || d[s] != 0;
  }
  if (!(hi > lo)) return kPowerLawTooFewK;
  if (!any) return kPowerLawAllZero;
  return kPowerLawOk;
}

struct Node {
  double v, rss, sxx, lml;
};

Node node(const Workspace& w, const PowerLawGrid& g, int i, int j, int lmin, double su, idx n) {
  const int jb = j * g.beta_ratio;
  const double sxx = w.t0[jb - 2 * i - lmin], sxd = w.t1[jb - i - lmin], sdd = w.t2[jb - lmin];
  const double v = sxd / sxx;
  const double rss = std::max(sdd - sxd * v, 1e-14 * sdd);
  const double beta = jb * g.alpha_step;
  return {v, rss, sxx, 0.5 * beta * su - 0.5 * std::log(sxx) - 0.5 * double(n - 1) * std::log(rss)};
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
  o.status[j] = screen(logk, d, n);
  if (o.status[j] != kPowerLawOk) {
    fill_nan(o, j);
    if (o.status[j] == kPowerLawAllZero) o.c[j] = o.value_mean[j] = o.sigma[j] = 0.0;
    if (lm_row) std::fill(lm_row, lm_row + G, 0.0);  // uninformative: no pull on the prior
    return;
  }
  const int lmin = -2 * (g.n_alpha - 1), L = (g.n_beta - 1) * g.beta_ratio - lmin + 1;
  if (idx(w.u.size()) < n) w.u.resize(n), w.q.resize(n), w.p.resize(n);
  w.t0.resize(L), w.t1.resize(L), w.t2.resize(L), w.lp.resize(G);
  // Δ scaled to unit RMS so that no power sum overflows; v, c, σ and V are scaled back.
  double amax = 0;
  for (idx s = 0; s < n; ++s) amax = std::max(amax, std::abs(d[s]));
  std::vector<double> ds(d, d + n);
  for (double& x : ds) x /= amax;
  const double lkref = std::log(g.k_ref);
  double su = 0;
  for (idx s = 0; s < n; ++s) su += (w.u[s] = logk[s] - lkref);
  power_sums(ds.data(), n, lmin, L, g.alpha_step, w);
  double best = -kInf;
  int arg = 0;
  for (int i = 0; i < g.n_alpha; ++i)
    for (int jj = 0; jj < g.n_beta; ++jj) {
      const int t = i * g.n_beta + jj;
      const double lml = node(w, g, i, jj, lmin, su, n).lml;
      if (lm_row) lm_row[t] = lml;
      w.lp[t] = lml + (log_prior ? log_prior[t] : 0.0);
      if (w.lp[t] > best) best = w.lp[t], arg = t;
    }
  // Posterior moments: weights e^{lp − best}; V | node is Student-t (n − 1 dof) around v̂·A(α).
  double z = 0, ma = 0, ma2 = 0, mb = 0, mb2 = 0, mv = 0, mv2 = 0;
  for (int i = 0; i < g.n_alpha; ++i)
    for (int jj = 0; jj < g.n_beta; ++jj) {
      const int t = i * g.n_beta + jj;
      const double wt = std::exp(w.lp[t] - best);
      if (wt < 1e-300) continue;
      const Node nd = node(w, g, i, jj, lmin, su, n);
      const double a = i * g.alpha_step, b = jj * g.beta_ratio * g.alpha_step;
      const double val = nd.v * afac[i];
      const double cvar = n > 3 ? nd.rss / (double(n - 3) * nd.sxx) * afac[i] * afac[i] : kInf;
      z += wt;
      ma += wt * a, ma2 += wt * a * a, mb += wt * b, mb2 += wt * b * b;
      mv += wt * val, mv2 += wt * (val * val + cvar);
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
#pragma omp parallel if (n_points > 64)
  {
    Workspace w;
#pragma omp for schedule(dynamic, 16)
    for (idx j = 0; j < n_points; ++j) {
      const idx b = offsets[j], n = offsets[j + 1] - offsets[j];
      one_point(logk + b, delta + b, n, grid, log_prior, afac, w, out, j,
                log_marginal ? log_marginal + j * G : nullptr);
    }
  }
}

}  // namespace pointvalue
