#include "pointvalue/powerlaw.hpp"

#include "pointvalue/parallel.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace pointvalue {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxCandidates = 8;
constexpr double kLog2PiPlus1 = 2.8378770664093453;  // log(2π) + 1

struct Eval {
  double f = kInf;      // ½ log S
  double g[2] = {0, 0};  // ∂f/∂(α, β)
  double H[2][2] = {{0, 0}, {0, 0}};
  double c = kNaN;      // closed-form c in centered, scaled units
  double S = kNaN;      // weighted residual mean square (centered, scaled units)
  bool floored = false;  // S hit its floor: a (numerically) exact fit, H is not informative
};

// One point's samples, centered (v = log k − ū) and scaled (d = Δ / s), plus work buffers.
class PointProblem {
 public:
  void load(const double* logk, const double* delta, idx n) {
    n_ = n;
    if (v_.size() < n) {
      v_.resize(n);
      d_.resize(n);
      e1_.resize(n);
      e2_.resize(n);
    }
    double ubar = 0;
    for (idx i = 0; i < n; ++i) ubar += logk[i];
    ubar /= double(n);
    // RMS of Δ without overflow or underflow (Δ may be ~1e-300 or ~1e200).
    double amax = 0;
    for (idx i = 0; i < n; ++i) amax = std::max(amax, std::abs(delta[i]));
    double ss = 0;
    if (amax > 0)
      for (idx i = 0; i < n; ++i) ss += (delta[i] / amax) * (delta[i] / amax);
    scale_ = amax * std::sqrt(ss / double(n));
    ubar_ = ubar;
    for (idx i = 0; i < n; ++i) {
      v_[i] = logk[i] - ubar;
      d_[i] = scale_ > 0 ? delta[i] / scale_ : 0.0;
    }
  }

  double ubar() const { return ubar_; }
  double scale() const { return scale_; }
  idx n() const { return n_; }

  Eval evaluate(double alpha, double beta) {
    Eval ev;
    const idx n = n_;
    Eigen::Map<const Eigen::ArrayXd> v(v_.data(), n);
    Eigen::Map<Eigen::ArrayXd> e1(e1_.data(), n), e2(e2_.data(), n);
    e1 = (beta * v).exp();
    e2 = (-alpha * v).exp();
    const double* vp = v_.data();
    const double* dp = d_.data();
    const double* p1 = e1_.data();
    const double* p2 = e2_.data();
    double A0 = 0, B0 = 0, C0 = 0;
#pragma omp simd reduction(+ : A0, B0, C0)
    for (idx i = 0; i < n; ++i) {
      const double di = dp[i], a = p1[i], b = p2[i];
      A0 += di * di * a;
      B0 += di * a * b;
      C0 += a * b * b;
    }
    const double inv_n = 1.0 / double(n);
    A0 *= inv_n;
    B0 *= inv_n;
    C0 *= inv_n;
    if (!(C0 > 0) || !std::isfinite(C0) || !std::isfinite(A0) || !std::isfinite(B0))
      return ev;  // f = +inf: overflow at an extreme (α, β)
    const double c = B0 / C0;
    // Everything else from the residuals r = d − c m (w = e1 = k^β, m = e2 = k^−α, centered):
    // no cancellation even when the fit is nearly exact. S(θ) = min_c φ(θ, c) with
    // φ = mean(w r²); by the envelope theorem S_θ = φ_θ and S_θθ = φ_θθ − φ_θc φ_cθ / φ_cc.
    double R0 = 0, R1 = 0, R2 = 0, Q1 = 0, Q2 = 0, C1 = 0, C2 = 0;
#pragma omp simd reduction(+ : R0, R1, R2, Q1, Q2, C1, C2)
    for (idx i = 0; i < n; ++i) {
      const double vi = vp[i], w = p1[i], m = p2[i];
      const double r = dp[i] - c * m;
      const double wr = w * r, wm = w * m;
      R0 += wr * r;
      R1 += vi * wr * r;
      R2 += vi * vi * wr * r;
      Q1 += vi * wr * m;
      Q2 += vi * vi * wr * m;
      C1 += vi * wm * m;
      C2 += vi * vi * wm * m;
    }
    R0 *= inv_n; R1 *= inv_n; R2 *= inv_n;
    Q1 *= inv_n; Q2 *= inv_n; C1 *= inv_n; C2 *= inv_n;
    ev.c = c;
    const double floor = A0 * 1e-24;
    if (!(R0 > floor) || !std::isfinite(R2) || !std::isfinite(Q2) || !std::isfinite(C2)) {
      if (!std::isfinite(R2) || !std::isfinite(Q2) || !std::isfinite(C2)) return ev;
      // (Numerically) exact fit: f is flat at its floor.
      ev.S = floor > 0 ? floor : 0.0;
      ev.f = floor > 0 ? 0.5 * std::log(floor) : -kInf;
      ev.H[0][0] = ev.H[1][1] = 1.0;
      ev.floored = true;
      return ev;
    }
    const double S = R0;
    const double Sx[2] = {2.0 * c * Q1, R1};
    const double paa = 2.0 * c * (c * C2 - Q2), pab = 2.0 * c * Q2, pbb = R2;
    const double pc[2] = {2.0 * (Q1 - c * C1), -2.0 * Q1};
    const double pcc = 2.0 * C0;
    const double Sxy[2][2] = {{paa - pc[0] * pc[0] / pcc, pab - pc[0] * pc[1] / pcc},
                              {pab - pc[0] * pc[1] / pcc, pbb - pc[1] * pc[1] / pcc}};
    ev.S = S;
    ev.f = 0.5 * std::log(S);
    for (int x = 0; x < 2; ++x) {
      ev.g[x] = 0.5 * Sx[x] / S;
      for (int y = 0; y < 2; ++y) ev.H[x][y] = 0.5 * (Sxy[x][y] / S - Sx[x] * Sx[y] / (S * S));
    }
    return ev;
  }

  // Screens the box on a uniform (α, β) grid and writes up to `max_cand` starts (α, β) to `cand`:
  // the grid's local minima (8-neighbourhood), best first. Powers come by recurrence (two exp
  // passes) and the profile's sums over samples for all pairs are two small matrix products.
  int screen(const PowerLawOptions& opt, double* cand, int max_cand) {
    const idx n = n_;
    const int ga = opt.alpha_lo < opt.alpha_hi ? std::max(opt.grid_alpha, 2) : 1;
    const int gb = opt.beta_lo < opt.beta_hi ? std::max(opt.grid_beta, 2) : 1;
    const double ha = ga > 1 ? (opt.alpha_hi - opt.alpha_lo) / (ga - 1) : 0.0;
    const double hb = gb > 1 ? (opt.beta_hi - opt.beta_lo) / (gb - 1) : 0.0;
    E2_.resize(n, ga);
    E1_.resize(n, gb);
    Eigen::Map<const Eigen::VectorXd> v(v_.data(), n);
    Eigen::Map<const Eigen::VectorXd> d(d_.data(), n);
    E2_.col(0) = (-opt.alpha_lo * v.array()).exp().matrix();
    if (ga > 1) {
      Eigen::Map<Eigen::ArrayXd> q(e2_.data(), n);
      q = (-ha * v.array()).exp();
      for (int a = 1; a < ga; ++a) E2_.col(a) = (E2_.col(a - 1).array() * q).matrix();
    }
    E1_.col(0) = (opt.beta_lo * v.array()).exp().matrix();
    if (gb > 1) {
      Eigen::Map<Eigen::ArrayXd> q(e1_.data(), n);
      q = (hb * v.array()).exp();
      for (int b = 1; b < gb; ++b) E1_.col(b) = (E1_.col(b - 1).array() * q).matrix();
    }
    U_ = E1_.array().colwise() * d.array();
    Eigen::VectorXd A = U_.transpose() * d;  // (gb)
    Bm_.noalias() = U_.transpose() * E2_;    // (gb × ga)
    U_ = E2_.array().square();
    Cm_.noalias() = E1_.transpose() * U_;
    F_.resize(gb, ga);
    for (int a = 0; a < ga; ++a)
      for (int b = 0; b < gb; ++b) {
        const double B = Bm_(b, a), C = Cm_(b, a);
        double f = kInf;
        if (C > 0 && std::isfinite(A[b]) && std::isfinite(B) && std::isfinite(C))
          f = std::max(A[b] - B * B / C, A[b] * 1e-24);  // S: same order as f = ½ log S
        F_(b, a) = f;
      }
    // Local minima (ties broken toward the lower index), best first.
    order_.clear();
    for (int a = 0; a < ga; ++a)
      for (int b = 0; b < gb; ++b) {
        const double f = F_(b, a);
        if (!(f < kInf)) continue;
        bool is_min = true;
        for (int da = -1; da <= 1 && is_min; ++da)
          for (int db = -1; db <= 1; ++db) {
            const int a2 = a + da, b2 = b + db;
            if ((da == 0 && db == 0) || a2 < 0 || a2 >= ga || b2 < 0 || b2 >= gb) continue;
            const double f2 = F_(b2, a2);
            const bool earlier = a2 < a || (a2 == a && b2 < b);
            if (earlier ? f2 <= f : f2 < f) {
              is_min = false;
              break;
            }
          }
        if (is_min) order_.push_back(a * gb + b);
      }
    std::sort(order_.begin(), order_.end(),
              [&](int x, int y) { return F_(x % gb, x / gb) < F_(y % gb, y / gb); });
    int count = 0;
    for (int ab : order_) {
      if (count >= max_cand) break;
      cand[2 * count] = opt.alpha_lo + (ab / gb) * ha;
      cand[2 * count + 1] = opt.beta_lo + (ab % gb) * hb;
      ++count;
    }
    return count;
  }

  // Verification scans through (a_ref, b_ref): the profile on a fine uniform grid of α with β =
  // b_ref, and of β with α = a_ref. Writes each scan's argmin and its f minus f(a_ref, b_ref),
  // both from the same (moment) formula so that the comparison is like for like. The sums for
  // all grid values are matrix-vector products over powers built by recurrence; the two scans
  // share their exp passes (four in all, fewer when a bound is 0).
  void scan_both(double a_ref, double b_ref, int grid, const PowerLawOptions& opt, double* xa,
                 double* gain_a, double* xb, double* gain_b) {
    const idx n = n_;
    Eigen::Map<const Eigen::ArrayXd> v(v_.data(), n), d(d_.data(), n);
    Eigen::Map<Eigen::ArrayXd> w(e1_.data(), n), m(e2_.data(), n);
    w = (b_ref * v).exp();
    m = (-a_ref * v).exp();
    const double ha = grid > 1 ? (opt.alpha_hi - opt.alpha_lo) / (grid - 1) : 0.0;
    const double hb = grid > 1 ? (opt.beta_hi - opt.beta_lo) / (grid - 1) : 0.0;
    auto best_of = [&](const auto& A, const auto& B, const auto& C, double lo, double h, double* x) {
      double s_best = kInf, s_ref = kInf;
      *x = lo;
      for (int i = 0; i <= grid; ++i) {
        double S = kInf;
        if (C(i) > 0 && std::isfinite(A(i)) && std::isfinite(B(i)) && std::isfinite(C(i)))
          S = std::max(A(i) - B(i) * B(i) / C(i), A(i) * 1e-24);
        if (i == grid) {
          s_ref = S;
        } else if (S < s_best) {
          s_best = S;
          *x = lo + i * h;
        }
      }
      return (s_best < kInf && s_ref < kInf) ? 0.5 * std::log(s_best / s_ref) : 0.0;
    };
    // α scan: columns m_i = e^{−α_i v} (last column: m at a_ref); B_i = Σ w d m_i, C_i = Σ w m_i².
    P_.resize(n, grid + 1);
    if (opt.alpha_lo == 0.0)
      P_.col(0).setOnes();
    else
      P_.col(0) = (-opt.alpha_lo * v).exp().matrix();
    q_ = (-ha * v).exp();
    for (int i = 1; i < grid; ++i) P_.col(i) = (P_.col(i - 1).array() * q_).matrix();
    P_.col(grid) = m.matrix();
    R3_.resize(n, 2);
    R3_.col(0) = (w * d).matrix();
    R3_.col(1) = w.matrix();
    const double A = (w * d.square()).sum();
    S3_.resize(grid + 1, 2);
    S3_.col(0).noalias() = P_.transpose() * R3_.col(0);
    P_ = P_.array().square();
    S3_.col(1).noalias() = P_.transpose() * R3_.col(1);
    *gain_a = best_of([&](int) { return A; }, [&](int i) { return S3_(i, 0); },
                      [&](int i) { return S3_(i, 1); }, opt.alpha_lo, ha, xa);
    // β scan: columns w_i = e^{β_i v} (last column: w at b_ref); A_i, B_i, C_i against
    // [d², d m, m²] at a_ref.
    if (opt.beta_lo == 0.0)
      P_.col(0).setOnes();
    else
      P_.col(0) = (opt.beta_lo * v).exp().matrix();
    if (hb == ha)
      q_ = q_.inverse();
    else
      q_ = (hb * v).exp();
    for (int i = 1; i < grid; ++i) P_.col(i) = (P_.col(i - 1).array() * q_).matrix();
    P_.col(grid) = w.matrix();
    R3_.resize(n, 3);
    R3_.col(0) = d.square().matrix();
    R3_.col(1) = (d * m).matrix();
    R3_.col(2) = m.square().matrix();
    S3_.noalias() = P_.transpose() * R3_;
    *gain_b = best_of([&](int i) { return S3_(i, 0); }, [&](int i) { return S3_(i, 1); },
                      [&](int i) { return S3_(i, 2); }, opt.beta_lo, hb, xb);
  }

 private:
  Eigen::MatrixXd E1_, E2_, U_, Bm_, Cm_, F_;
  Eigen::MatrixXd P_, R3_, S3_;
  Eigen::ArrayXd q_;
  std::vector<int> order_;
  idx n_ = 0;
  double ubar_ = 0, scale_ = 1;
  // Eigen arrays: 64-byte aligned, so vectorized reductions sum in the same order whatever the
  // thread (bitwise identical results for any thread count).
  Eigen::ArrayXd v_, d_, e1_, e2_;
};

struct StartResult {
  double alpha, beta;
  Eval ev;
  int iters;
  bool converged;
};

// Projected Newton with an eigenvalue-modified Hessian and Armijo backtracking on the box.
StartResult newton(PointProblem& prob, double a0, double b0, const PowerLawOptions& opt) {
  const double lo[2] = {opt.alpha_lo, opt.beta_lo}, hi[2] = {opt.alpha_hi, opt.beta_hi};
  double x[2] = {std::clamp(a0, lo[0], hi[0]), std::clamp(b0, lo[1], hi[1])};
  Eval ev = prob.evaluate(x[0], x[1]);
  StartResult res{x[0], x[1], ev, 0, false};
  if (!std::isfinite(ev.f)) {
    // Pull an infeasible (overflowing) start toward the box centre.
    for (int t = 0; t < 30 && !std::isfinite(ev.f); ++t) {
      for (int j = 0; j < 2; ++j) x[j] = 0.5 * (x[j] + 0.5 * (lo[j] + hi[j]));
      ev = prob.evaluate(x[0], x[1]);
    }
    if (!std::isfinite(ev.f)) return res;
  }
  constexpr double kMaxStep = 2.0;
  int it = 0;
  bool converged = false;
  for (; it < opt.max_iter; ++it) {
    bool free_[2];
    double pg = 0;
    for (int j = 0; j < 2; ++j) {
      free_[j] = !((x[j] <= lo[j] && ev.g[j] > 0) || (x[j] >= hi[j] && ev.g[j] < 0));
      if (free_[j]) pg = std::max(pg, std::abs(ev.g[j]));
    }
    if (pg <= opt.gtol) {
      converged = true;
      break;
    }
    double d[2] = {0, 0};
    if (free_[0] && free_[1]) {
      const double a = ev.H[0][0], b = ev.H[0][1], e = ev.H[1][1];
      const double mean = 0.5 * (a + e), rad = std::hypot(0.5 * (a - e), b);
      double l1 = mean + rad, l2 = mean - rad;  // l1 ≥ l2
      // Eigenvector of l1.
      double q0, q1;
      if (std::abs(b) > 1e-300) {
        q0 = l1 - e;
        q1 = b;
      } else if (a >= e) {
        q0 = 1;
        q1 = 0;
      } else {
        q0 = 0;
        q1 = 1;
      }
      const double qn = std::hypot(q0, q1);
      q0 /= qn;
      q1 /= qn;
      const double delta = 1e-8 * std::max({std::abs(l1), std::abs(l2), 1e-8});
      l1 = std::max(std::abs(l1), delta);
      l2 = std::max(std::abs(l2), delta);
      // d = −(l1⁻¹ q qᵀ + l2⁻¹ p pᵀ) g, p ⟂ q.
      const double gq = ev.g[0] * q0 + ev.g[1] * q1;
      const double gp = -ev.g[0] * q1 + ev.g[1] * q0;
      d[0] = -(gq / l1 * q0 - gp / l2 * q1);
      d[1] = -(gq / l1 * q1 + gp / l2 * q0);
    } else {
      const int j = free_[0] ? 0 : 1;
      const double h = ev.H[j][j];
      const double hm = std::max(std::abs(h), 1e-8);
      d[j] = -ev.g[j] / hm;
    }
    const double dn = std::max(std::abs(d[0]), std::abs(d[1]));
    if (!(dn > 0) || !std::isfinite(dn)) break;
    // Newton decrement: the predicted decrease of f (O(1), precise to ~1e-16) is negligible, or
    // the step is below the resolution of (α, β).
    const double predicted = -0.5 * (ev.g[0] * d[0] + ev.g[1] * d[1]);
    if (predicted <= 4.5e-16 * (1.0 + std::abs(ev.f)) ||
        dn <= 1e-12 * (1.0 + std::max(std::abs(x[0]), std::abs(x[1])))) {
      converged = true;
      break;
    }
    if (dn > kMaxStep) {
      d[0] *= kMaxStep / dn;
      d[1] *= kMaxStep / dn;
    }
    double t = 1.0;
    bool accepted = false;
    for (int ls = 0; ls < 50; ++ls, t *= 0.5) {
      const double xt[2] = {std::clamp(x[0] + t * d[0], lo[0], hi[0]),
                            std::clamp(x[1] + t * d[1], lo[1], hi[1])};
      const double s0 = xt[0] - x[0], s1 = xt[1] - x[1];
      if (s0 == 0 && s1 == 0) break;
      const Eval et = prob.evaluate(xt[0], xt[1]);
      const double decrease = ev.g[0] * s0 + ev.g[1] * s1;  // < 0
      if (et.f <= ev.f + 1e-4 * decrease) {
        const double step = std::max(std::abs(s0), std::abs(s1));
        x[0] = xt[0];
        x[1] = xt[1];
        ev = et;
        accepted = true;
        if (step <= 1e-15 * (1.0 + std::max(std::abs(x[0]), std::abs(x[1])))) {
          converged = true;
        }
        break;
      }
    }
    if (!accepted) {
      // No decrease is possible at working precision: accept if (nearly) stationary.
      converged = pg <= 1e-6;
      break;
    }
    if (converged) {
      ++it;
      break;
    }
  }
  res.alpha = x[0];
  res.beta = x[1];
  res.ev = ev;
  res.iters = it;
  res.converged = converged;
  return res;
}

// Back to the original units: c, σ, NLL.
void finish(const PointProblem& prob, double alpha, double beta, const Eval& ev, double* c,
            double* sigma, double* nll) {
  const double s = prob.scale(), ub = prob.ubar();
  const double n = double(prob.n());
  *c = ev.c * s * std::exp(alpha * ub);
  // S·s² is the centered residual mean square in Δ units; kept factored (s may be ~1e-300).
  *sigma = s * std::sqrt(ev.S * std::exp(beta * ub));
  *nll = 0.5 * n * (kLog2PiPlus1 + std::log(ev.S) + 2.0 * std::log(s));
}

}  // namespace

PowerLawStatus screen_samples(const double* logk, const double* delta, idx n) {
  bool all_zero = true;
  double kmin = kInf, kmax = -kInf;
  for (idx i = 0; i < n; ++i) {
    if (!std::isfinite(delta[i]) || !std::isfinite(logk[i])) return kPowerLawNonFinite;
    all_zero = all_zero && delta[i] == 0.0;
    kmin = std::min(kmin, logk[i]);
    kmax = std::max(kmax, logk[i]);
  }
  if (n == 0 || !(kmax > kmin)) return kPowerLawTooFewK;
  if (all_zero) return kPowerLawAllZero;
  return kPowerLawOk;
}

void check_options(const PowerLawOptions& opt, idx n_starts) {
  if (opt.n_candidates < 0 || opt.n_candidates > kMaxCandidates)
    throw std::invalid_argument("options.n_candidates must be in [0, 8]");
  if (opt.n_candidates > 0 && (opt.grid_alpha < 2 || opt.grid_beta < 2))
    throw std::invalid_argument("options.grid_alpha and options.grid_beta must be at least 2");
  if (opt.n_candidates == 0 && n_starts == 0)
    throw std::invalid_argument("give starts or options.n_candidates > 0");
  if (!(opt.alpha_lo <= opt.alpha_hi) || !(opt.beta_lo <= opt.beta_hi))
    throw std::invalid_argument("options: bounds must satisfy lo <= hi");
  if (opt.max_iter < 1) throw std::invalid_argument("options.max_iter must be at least 1");
  if (opt.scan_grid < 0) throw std::invalid_argument("options.scan_grid must be >= 0");
}

void fit_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                        const double* delta, const double* starts, idx n_starts,
                        const PowerLawOptions& opt, const PowerLawResult& out) {
  check_options(opt, n_starts);
  ParallelErrors errors;  // PointProblem::load allocates
#pragma omp parallel
  {
    PointProblem prob;
#pragma omp for schedule(dynamic, 256)
    for (idx j = 0; j < n_points; ++j) errors.run([&] {
      const idx b = offsets[j], n = offsets[j + 1] - offsets[j];
      const double* lk = logk + b;
      const double* dl = delta + b;
      out.n_iter[j] = 0;
      const PowerLawStatus chk = screen_samples(lk, dl, n);
      out.alpha_se[j] = out.beta_se[j] = kNaN;
      if (chk != kPowerLawOk) {
        out.alpha[j] = out.beta[j] = out.nll[j] = kNaN;
        out.c[j] = out.sigma[j] = chk == kPowerLawAllZero ? 0.0 : kNaN;
        out.status[j] = chk;
        return;
      }
      prob.load(lk, dl, n);
      StartResult best{kNaN, kNaN, Eval{}, 0, false};
      std::int64_t iters = 0;
      double cand[2 * kMaxCandidates];
      const int nc = opt.n_candidates > 0
                         ? prob.screen(opt, cand, std::min(opt.n_candidates, kMaxCandidates))
                         : 0;
      for (idx s = 0; s < nc + n_starts; ++s) {
        const double* st = s < nc ? cand + 2 * s : starts + 2 * (s - nc);
        const StartResult r = newton(prob, st[0], st[1], opt);
        iters += r.iters;
        if (r.ev.f < best.ev.f) best = r;
      }
      // Verification: fine scans along α and β through the optimum; a lower grid value means
      // another basin, so restart Newton there (repeat while it improves).
      for (int round = 0; round < 4 && opt.scan_grid > 1 && best.ev.f < kInf; ++round) {
        double xa, ga, xb, gb;
        prob.scan_both(best.alpha, best.beta, opt.scan_grid, opt, &xa, &ga, &xb, &gb);
        const double thr = -1e-11 * (1.0 + std::abs(best.ev.f));
        const StartResult ref = best;
        bool improved = false;
        for (int dim = 0; dim < 2; ++dim) {
          if (!((dim == 0 ? ga : gb) < thr)) continue;
          const StartResult r = dim == 0 ? newton(prob, xa, ref.beta, opt)
                                         : newton(prob, ref.alpha, xb, opt);
          iters += r.iters;
          if (r.ev.f < best.ev.f) {
            best = r;
            improved = true;
          }
        }
        if (!improved) break;
      }
      out.n_iter[j] = iters;
      if (!(best.ev.f < kInf)) {
        out.alpha[j] = out.beta[j] = out.nll[j] = out.c[j] = out.sigma[j] = kNaN;
        out.status[j] = kPowerLawNotConverged;
        return;
      }
      out.alpha[j] = best.alpha;
      out.beta[j] = best.beta;
      {
        // Observed information of (α, β): n · ∇²f (f = NLL / n up to a constant).
        const double nn = double(n), a = nn * best.ev.H[0][0], b = nn * best.ev.H[0][1],
                     e = nn * best.ev.H[1][1], det = a * e - b * b;
        const bool pd = a > 0 && e > 0 && det > 0 && std::isfinite(det) && !best.ev.floored;
        out.alpha_se[j] = pd ? std::sqrt(e / det) : kNaN;
        out.beta_se[j] = pd ? std::sqrt(a / det) : kNaN;
      }
      finish(prob, best.alpha, best.beta, best.ev, out.c + j, out.sigma + j, out.nll + j);
      out.status[j] = best.converged ? kPowerLawOk : kPowerLawNotConverged;
    });
  }
  errors.rethrow();
}

void profile_powerlaw_batch(const std::int64_t* offsets, idx n_points, const double* logk,
                            const double* delta, const double* alpha, const double* beta,
                            double* c, double* sigma, double* nll) {
  ParallelErrors errors;
#pragma omp parallel
  {
    PointProblem prob;
#pragma omp for schedule(dynamic, 256)
    for (idx j = 0; j < n_points; ++j) errors.run([&] {
      const idx b = offsets[j], n = offsets[j + 1] - offsets[j];
      if (screen_samples(logk + b, delta + b, n) != kPowerLawOk || !std::isfinite(alpha[j]) ||
          !std::isfinite(beta[j])) {
        c[j] = sigma[j] = nll[j] = kNaN;
        return;
      }
      prob.load(logk + b, delta + b, n);
      const Eval ev = prob.evaluate(alpha[j], beta[j]);
      if (!std::isfinite(ev.f)) {
        c[j] = sigma[j] = nll[j] = kNaN;
        return;
      }
      finish(prob, alpha[j], beta[j], ev, c + j, sigma + j, nll + j);
    });
  }
  errors.rethrow();
}

}  // namespace pointvalue
