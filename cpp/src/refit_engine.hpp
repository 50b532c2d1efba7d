// The refit engine: least-squares and logistic fits of a base set D and the updates that give
// D ∪ {z} (Woodbury / chord iterations), with the validation loss. Internal to the refit family:
// included by refit_tasks.cpp only (its helpers have internal linkage).
#pragma once
#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>
#include "pointvalue/parallel.hpp"
#include "pointvalue/random.hpp"
#include "small_gram.hpp"
#include "pointvalue/refit.hpp"
#include "matrix_map.hpp"

namespace pointvalue::refit {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;
using detail::RowMatrixXd;
using detail::padded_width;
using detail::small_gram;
using i64 = std::int64_t;

constexpr double kRcondMin = 1e-12;   // equilibrated Gram / Hessian: below this it is singular
constexpr double kWoodburyRcond = 1e-10;
constexpr double kNullFix = 1.0;      // multinomial: γ/2 (Σ_a θ_ja)² pins the softmax null space
constexpr idx kInitRows = 1024;       // rows of the pool fit that warm-starts every base fit
constexpr idx kLazyHessian = 128;     // base fits with at least this many parameters reuse Hessians
constexpr double kReuseStep = 0.05;   // ... once the Newton steps are below this (step_norm)

// Per-target status codes as stored in the int32 status arrays.
constexpr std::int32_t kOk = std::int32_t(Status::Ok);
constexpr std::int32_t kSingular = std::int32_t(Status::Singular);
constexpr std::int32_t kNotConverged = std::int32_t(Status::NotConverged);
constexpr std::int32_t kMissingClass = std::int32_t(Status::MissingClass);
constexpr std::int32_t kBadIndex = std::int32_t(Status::BadIndex);

// ---------------------------------------------------------------------------------------------
// Numerically safe scalar pieces of the logistic model.

// Σ_i log(a_i) for a_i in [1, 2]: the log of products of 64 factors (≤ 2⁶⁴, no overflow), one
// logarithm per 64 terms instead of one per term (the logarithm dominated the validation loss).
inline double sum_log_1to2(const Eigen::ArrayXd& a) {
  constexpr Eigen::Index kBlock = 64;
  double s = 0;
  Eigen::Index i = 0;
  for (; i + kBlock <= a.size(); i += kBlock) s += std::log(a.segment(i, kBlock).prod());
  if (i < a.size()) s += std::log(a.tail(a.size() - i).prod());
  return s;
}

// Σ_i softplus(e_i) = Σ max(e_i, 0) + log(1 + exp(−|e_i|)).
template <class Arr>
inline double sum_softplus(const Arr& e) {
  return e.max(0.0).sum() + sum_log_1to2((1.0 + (-e.abs()).exp()).eval());
}

// σ(e) elementwise (vectorized; exp(−e) overflows to inf for e ≪ 0, giving exactly 0).
template <class Arr>
inline auto sigmoid_array(const Arr& e) {
  return (1.0 + (-e).exp()).inverse();
}

inline double sigmoid(double t) {
  if (t >= 0) return 1.0 / (1.0 + std::exp(-t));
  const double e = std::exp(t);
  return e / (1.0 + e);
}

// ---------------------------------------------------------------------------------------------
// A fitted subset: rows gathered (with the intercept column), θ, the factorized Gram / Hessian.

struct Fit {
  idx n = 0;             // rows
  MatrixXd Xs;           // n × q (column q−1 is 1), capacity may exceed n
  std::vector<i64> rows; // pool indices
  VectorXd theta;        // p = q · nk (column-major (q × nk))
  VectorXd equil;        // p: the factorization is of diag(equil) H diag(equil)
  Eigen::LLT<MatrixXd> llt;
  VectorXd gres;         // ∇F_S(θ): ~0 at convergence (logistic)
  double objective = 0;
  int status = kOk;
  // least squares: validation gradient at θ (S_v θ − r_v)
  VectorXd gval;
  std::vector<std::int64_t> class_count;  // logistic: points per class
  VectorXd ylab;                          // binary logistic: labels as 0/1
  std::vector<std::int64_t> yint;         // multinomial: labels
  VectorXd solve(const VectorXd& v) const {
    VectorXd t = equil.cwiseProduct(v);
    t = llt.solve(t);
    return equil.cwiseProduct(t);
  }
  void solve_in_place(Eigen::Ref<MatrixXd> V) const {
    V = equil.asDiagonal() * V;
    llt.solveInPlace(V);
    V = equil.asDiagonal() * V;
  }
  // Batched solves: with more right-hand sides than unknowns in all, through the explicit
  // inverse (one matrix product is 2–4× faster than two triangular solves with many right-hand
  // sides at these sizes; the matrix is equilibrated and its rcond checked, so the inverse is as
  // accurate as the solves); otherwise by the triangular solves.
  MatrixXd inv;  // empty: not computed
  void prepare_solves(idx expected_rhs) {
    if (expected_rhs < llt.rows()) {
      inv.resize(0, 0);
      return;
    }
    inv = MatrixXd::Identity(llt.rows(), llt.rows());
    llt.solveInPlace(inv);
    inv = equil.asDiagonal() * inv * equil.asDiagonal();
  }
  void solve_many(const MatrixXd& B, MatrixXd& out) const {
    if (inv.size()) {
      out.noalias() = inv * B;
    } else {
      out = B;
      solve_in_place(out);
    }
  }
};

struct Mod {
  i64 index;
  double sign;  // +1 add, −1 remove
};

// The fixed-point iteration θ ← θ + f, f = −P⁻¹∇F(θ), of an updated fit: Anderson acceleration
// (depth 3), stall detection, and the stopping rule. The chord map contracts linearly at a rate
// ρ ~ the leverage of the modified points; after a step f the distance to the solution is about
// ρ/(1 − ρ)·|f|. The rate is estimated from successive steps (times 2: the first ratio
// sees half the curvature change), and θ + f is accepted once that distance is below tol, as
// is any step below tol itself.
struct Chord {
  static constexpr int kDepth = 3;
  static constexpr double kRateSafety = 2.0;
  MatrixXd dTh, dF;
  VectorXd f_prev, th_prev;
  int hist = 0, head = 0, worse = 0, iter = 0;
  double prev_grad = std::numeric_limits<double>::infinity();
  double last_step = 0, rate = 0;

  // True when the gradient norm failed to decrease three times in a row (give up).
  bool stalled(const VectorXd& G) {
    const double gn = G.cwiseAbs().maxCoeff();
    worse = gn >= prev_grad ? worse + 1 : 0;
    prev_grad = gn;
    return worse >= 3;
  }

  // Called with the scaled size of the step about to be taken: true if θ + f is converged.
  bool accept(double step, double tol) {
    if (step <= tol) return true;
    if (iter > 0 && last_step > 0) rate = std::max(rate, step / last_step);
    last_step = step;
    const double r = kRateSafety * rate;
    return iter > 0 && r < 0.5 && step * r / (1.0 - r) <= tol;
  }

  // θ ← the Anderson-accelerated θ + f.
  void advance(Eigen::Ref<VectorXd> theta, const VectorXd& f) {
    VectorXd next = theta + f;
    if (iter > 0) {
      if (dTh.cols() != kDepth || dTh.rows() != theta.size()) {
        dTh.resize(theta.size(), kDepth);
        dF.resize(theta.size(), kDepth);
      }
      dTh.col(head) = theta - th_prev;
      dF.col(head) = f - f_prev;
      head = (head + 1) % kDepth;
      hist = std::min(hist + 1, kDepth);
      const auto Fh = dF.leftCols(hist);
      Eigen::ColPivHouseholderQR<MatrixXd> qr(Fh);
      if (qr.rank() == hist) {
        const VectorXd gamma = qr.solve(f);
        next.noalias() -= (dTh.leftCols(hist) + Fh) * gamma;
      } else {
        hist = 0;
        head = 0;
      }
    }
    th_prev = theta;
    f_prev = f;
    theta = next;
    ++iter;
  }
};

class Engine {
 public:
  // Logistic base fits start from the fit of a strided pool sample, made once per call. Always,
  // not only for calls with many base sets: the start moves Δ in its last digits, and a Δ must
  // not depend on how many tasks share its call (the progress chunks, resume, dask ranges).
  explicit Engine(const Problem& p) : p_(p) {
    d_ = p.X.cols;
    q_ = d_ + 1;
    nk_ = (p.model == Model::Logistic && p.n_classes > 2) ? p.n_classes : 1;
    np_ = q_ * nk_;
    scale_ = VectorXd::Ones(q_);
    if (p.model == Model::Logistic) {  // the pool's column rms (least squares needs none)
      visit_matrix(p.X, [&](const auto& M) {
        const VectorXd rms = (M.colwise().squaredNorm().transpose() / double(p.X.rows)).cwiseSqrt();
        for (idx j = 0; j < d_; ++j) scale_[j] = rms[j] > 0 ? rms[j] : 1.0;
      });
    }
    mv_ = p.Xv.rows;
    if (p.model == Model::LeastSquares) {
      // validation sufficient statistics S_v = X̃ᵀX̃, r_v = X̃ᵀy from one rank-k update of the
      // augmented rows [x, 1, y]
      RowMatrixXd Zv = RowMatrixXd::Zero(mv_, padded_width(q_ + 1));
      visit_matrix(p.Xv, [&](const auto& M) { Zv.leftCols(d_) = M; });
      Zv.col(d_).setOnes();
      Zv.col(q_) = Eigen::Map<const VectorXd>(p.yv, mv_);
      const MatrixXd G = small_gram(Zv, mv_, q_ + 1);
      Sv_ = G.topLeftCorner(q_, q_);
      rv_ = G.row(q_).head(q_).transpose();
    } else {
      // validation rows with the intercept column, row-major m × q
      Xv_.resize(mv_, q_);
      visit_matrix(p.Xv, [&](const auto& M) { Xv_.leftCols(d_) = M; });
      Xv_.col(d_).setOnes();
      if (nk_ == 1) {
        yv_.resize(mv_);
        for (idx i = 0; i < mv_; ++i) yv_[i] = double(p.label_v[i]);
      }
    }
    theta_init_ = VectorXd::Zero(np_);
    if (p.model == Model::Logistic) {
      // A starting point for every base fit: the fit of an evenly strided (deterministic) sample
      // of the pool. Saves Newton iterations; zero if that fit fails.
      const idx n = p.X.rows, s = std::min<idx>(n, kInitRows);
      std::vector<i64> rows(s);
      for (idx i = 0; i < s; ++i) rows[i] = i64(i * n / s);
      Fit f;
      gather(f, rows.data(), s);
      MatrixXd E;
      fit_logistic(f, E, false);
      if (f.status == kOk) theta_init_ = f.theta;
    }
  }

  idx q() const { return q_; }
  idx nk() const { return nk_; }
  idx np() const { return np_; }

  // ------------------------------------------------------------------ gathering
  void gather(Fit& f, const i64* idx_begin, idx n) const {
    f.n = n;
    if (f.Xs.rows() < n || f.Xs.cols() != q_) f.Xs.resize(std::max<idx>(n, 1), q_);
    f.rows.assign(idx_begin, idx_begin + n);
    visit_matrix(p_.X, [&](const auto& M) {
      for (idx r = 0; r < n; ++r) f.Xs.row(r).head(d_) = M.row(idx_begin[r]);
    });
    f.Xs.col(d_).head(n).setOnes();
    if (p_.model == Model::Logistic) {
      if (nk_ == 1) {
        if (f.ylab.size() < n) f.ylab.resize(n);
        for (idx r = 0; r < n; ++r) f.ylab[r] = double(p_.label[idx_begin[r]]);
      } else {
        f.yint.resize(n);
        for (idx r = 0; r < n; ++r) f.yint[r] = p_.label[idx_begin[r]];
      }
    }
  }

  VectorXd row(i64 i) const {
    VectorXd x(q_);
    visit_matrix(p_.X, [&](const auto& M) { x.head(d_) = M.row(i).transpose(); });
    x[d_] = 1.0;
    return x;
  }

  // ------------------------------------------------------------------ least squares
  // Fits the rows by least squares. One pass gathers the augmented rows [x, 1, y] (row-major,
  // contiguous copies) and one symmetric rank-k update gives XᵀX and Xᵀy together.
  void fit_ls(Fit& f, const i64* rows, idx n, RowMatrixXd& Z) const {
    f.n = n;
    const idx P = padded_width(q_ + 1);
    if (Z.rows() < n || Z.cols() != P) Z = RowMatrixXd::Zero(n, P);  // padding stays zero
    visit_matrix(p_.X, [&](const auto& M) {
      for (idx r = 0; r < n; ++r) Z.row(r).head(d_) = M.row(rows[r]);
    });
    Z.col(d_).head(n).setOnes();
    for (idx r = 0; r < n; ++r) Z(r, q_) = p_.y[rows[r]];
    const MatrixXd G = small_gram(Z, n, q_ + 1);
    MatrixXd A = G.topLeftCorner(q_, q_);
    for (idx j = 0; j < d_; ++j) A(j, j) += p_.l2;
    const VectorXd b = G.row(q_).head(q_).transpose();
    factor(f, A);
    if (f.status != kOk) return;
    f.theta = f.solve(b);
    f.gval = Sv_ * f.theta - rv_;
  }

  // Δ for adding each of T points z to a least-squares base, batched (one multi-right-hand-side
  // solve and one product with S_v): u = A⁻¹x, θ moves by δ = c·u with c = (y − xᵀθ)/(1 + xᵀu),
  // Δ = −(2δᵀg + δᵀS_vδ)/m. `ok[t]` is false where 1 + xᵀu vanishes.
  void ls_add(const Fit& base, const std::vector<i64>& zs, MatrixXd& Xt, MatrixXd& U,
              MatrixXd& SU, VectorXd& delta, std::vector<char>& ok) const {
    const idx T = idx(zs.size());
    Xt.resize(q_, T);
    visit_matrix(p_.X, [&](const auto& M) {
      for (idx t = 0; t < T; ++t) Xt.col(t).head(d_) = M.row(zs[t]).transpose();
    });
    Xt.row(d_).setOnes();
    base.solve_many(Xt, U);
    SU.noalias() = Sv_ * U;
    const VectorXd fitted = Xt.transpose() * base.theta, ug = U.transpose() * base.gval;
    delta.resize(T);
    ok.assign(T, 1);
    for (idx t = 0; t < T; ++t) {
      const double den = 1.0 + Xt.col(t).dot(U.col(t));
      if (!(den > 1e-12)) {
        ok[t] = 0;
        continue;
      }
      const double c = (p_.y[zs[t]] - fitted[t]) / den;
      delta[t] = -(2.0 * c * ug[t] + c * c * U.col(t).dot(SU.col(t))) / double(mv_);
    }
  }

  // Change of validation MSE when θ moves by δ from the base: (2 δᵀ g + δᵀ S_v δ) / m.
  double ls_dloss(const Fit& base, const VectorXd& delta) const {
    return (2.0 * delta.dot(base.gval) + delta.dot(Sv_ * delta)) / double(mv_);
  }

  // θ_S − θ_base for S = base ± mods, exact (Woodbury). Returns false if S is singular.
  bool ls_delta(const Fit& base, const std::vector<Mod>& mods, VectorXd& delta) const {
    const idx r = idx(mods.size());
    MatrixXd U(q_, r);
    VectorXd sr(r);
    for (idx t = 0; t < r; ++t) {
      U.col(t) = row(mods[t].index);
      sr[t] = mods[t].sign * (p_.y[mods[t].index] - U.col(t).dot(base.theta));
    }
    MatrixXd V = U;
    base.solve_in_place(V);
    MatrixXd M = MatrixXd::Identity(r, r);
    for (idx t = 0; t < r; ++t) M.row(t) += mods[t].sign * (U.col(t).transpose() * V);
    Eigen::PartialPivLU<MatrixXd> lu(M);
    if (!(lu.rcond() > kWoodburyRcond)) return false;
    delta = V * lu.solve(sr);
    return true;
  }

  // ------------------------------------------------------------------ logistic pieces
  // Data part of F and ∇F over the rows of f at θ; G is overwritten. With want_f false the
  // objective is not evaluated (returns 0). Transcendentals run as vectorized Eigen array ops.
  double data_grad(const Fit& f, const VectorXd& theta, VectorXd& G, MatrixXd& E,
                   bool want_f = true) const {
    // Row blocks small enough to stay in cache between X·θ and Xᵀr: one pass over memory.
    const idx n = f.n, blk = std::max<idx>(32, (idx(1) << 14) / q_);
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    G.setZero(np_);
    Eigen::Map<MatrixXd> Gm(G.data(), q_, nk_);
    double F = 0;
    for (idx r0 = 0; r0 < n; r0 += blk) {
      const idx len = std::min(blk, n - r0);
      const auto Xb = f.Xs.middleRows(r0, len);
      E.noalias() = Xb * Th;
      if (nk_ == 1) {
        auto e = E.col(0).array();
        const auto y = f.ylab.segment(r0, len).array();
        if (want_f) F += sum_softplus(e) - (y * e).sum();
        e = sigmoid_array(e) - y;
      } else {
        const Eigen::ArrayXd mx = E.rowwise().maxCoeff().array();
        if (want_f)
          for (idx i = 0; i < len; ++i) F -= E(i, f.yint[r0 + i]);
        E.array().colwise() -= mx;
        E.array() = E.array().exp();
        const Eigen::ArrayXd sum = E.rowwise().sum().array();
        if (want_f) F += (mx + sum.log()).sum();
        E.array().colwise() /= sum;
        for (idx i = 0; i < len; ++i) E(i, f.yint[r0 + i]) -= 1.0;
      }
      Gm.noalias() += Xb.transpose() * E;
    }
    return F;
  }

  // Penalty (l2/2)‖w‖² and the multinomial null-space pin, added to F and G.
  double add_penalty(const VectorXd& theta, VectorXd& G) const {
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    Eigen::Map<MatrixXd> Gm(G.data(), q_, nk_);
    double F = 0.5 * p_.l2 * Th.topRows(d_).squaredNorm();
    Gm.topRows(d_) += p_.l2 * Th.topRows(d_);
    if (nk_ > 1) {
      const idx j0 = p_.l2 > 0 ? d_ : 0;  // pinned rows: intercept, and all when unpenalized
      for (idx j = j0; j < q_; ++j) {
        const double s = Th.row(j).sum();
        F += 0.5 * kNullFix * s * s;
        Gm.row(j).array() += kNullFix * s;
      }
    }
    return F;
  }

  // Per-point linear predictor, gradient factor r (nk) and curvature W (nk × nk) at θ.
  void point_terms(const VectorXd& x, i64 label, const VectorXd& theta, VectorXd& r,
                   MatrixXd& W) const {
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    VectorXd e = Th.transpose() * x;
    if (nk_ == 1) {
      const double pr = sigmoid(e[0]);
      r.resize(1);
      r[0] = pr - double(label);
      W.resize(1, 1);
      W(0, 0) = pr * (1 - pr);
    } else {
      const double mx = e.maxCoeff();
      VectorXd pi = (e.array() - mx).exp();
      pi /= pi.sum();
      r = pi;
      r[label] -= 1.0;
      W = -pi * pi.transpose();
      W.diagonal() += pi;
    }
  }

  // Hessian of F_S at θ (data + penalty + pin), full symmetric p × p.
  MatrixXd hessian(const Fit& f, const VectorXd& theta) const {
    const idx n = f.n;
    const auto X = f.Xs.topRows(n);
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    MatrixXd H = MatrixXd::Zero(np_, np_);
    if (nk_ == 1) {
      const Eigen::ArrayXd pr = sigmoid_array((X * Th.col(0)).array());
      const VectorXd w = (pr * (1.0 - pr)).sqrt().matrix();
      RowMatrixXd Y = RowMatrixXd::Zero(n, padded_width(q_));
      Y.leftCols(q_) = w.asDiagonal() * X;
      H = small_gram(Y, n, q_);
    } else {
      MatrixXd P = X * Th;  // n × nk → probabilities
      for (idx i = 0; i < n; ++i) {
        auto e = P.row(i);
        const double mx = e.maxCoeff();
        e = (e.array() - mx).exp();
        e /= e.sum();
      }
      std::vector<MatrixXd> Y(nk_);
      for (idx a = 0; a < nk_; ++a) Y[a] = P.col(a).asDiagonal() * X;
      for (idx a = 0; a < nk_; ++a) {
        auto Haa = H.block(a * q_, a * q_, q_, q_);
        Haa.noalias() = X.transpose() * Y[a];
        Haa.noalias() -= Y[a].transpose() * Y[a];
        for (idx b = 0; b < a; ++b)
          H.block(a * q_, b * q_, q_, q_).noalias() = -Y[a].transpose() * Y[b];
      }
    }
    H = H.selfadjointView<Eigen::Lower>();
    for (idx a = 0; a < nk_; ++a)
      for (idx j = 0; j < d_; ++j) H(a * q_ + j, a * q_ + j) += p_.l2;
    if (nk_ > 1) {
      const idx j0 = p_.l2 > 0 ? d_ : 0;
      for (idx j = j0; j < q_; ++j)
        for (idx a = 0; a < nk_; ++a)
          for (idx b = 0; b < nk_; ++b) H(a * q_ + j, b * q_ + j) += kNullFix;
    }
    return H;
  }

  void factor(Fit& f, const MatrixXd& H) const {
    f.equil.resize(H.rows());
    for (idx j = 0; j < H.rows(); ++j) f.equil[j] = H(j, j) > 0 ? 1.0 / std::sqrt(H(j, j)) : 1.0;
    MatrixXd He = f.equil.asDiagonal() * H * f.equil.asDiagonal();
    f.llt.compute(He);
    if (f.llt.info() != Eigen::Success || !(f.llt.rcond() > kRcondMin)) f.status = kSingular;
  }

  // Gradient already negligible (at most 1e-2 · tol · |S| · rms(x_j) in every entry).
  bool converged(const VectorXd& G, idx n) const {
    Eigen::Map<const MatrixXd> Gm(G.data(), q_, nk_);
    const double lim = 1e-2 * p_.tol * double(std::max<idx>(n, 1));
    for (idx a = 0; a < nk_; ++a)
      for (idx j = 0; j < q_; ++j)
        if (!(std::abs(Gm(j, a)) <= lim * scale_[j])) return false;
    return true;
  }

  // The size of a step in the stopping rules: max_ja |s_ja| · rms(x_j), the largest change of a
  // linear predictor per unit-rms feature. A fit is converged when the estimated distance to the
  // solution in this norm is below tol (Newton: from quadratic, chord: from linear convergence).
  double step_norm(const VectorXd& s) const {
    Eigen::Map<const MatrixXd> Sm(s.data(), q_, nk_);
    double m = 0;
    for (idx a = 0; a < nk_; ++a)
      for (idx j = 0; j < q_; ++j) m = std::max(m, std::abs(Sm(j, a)) * scale_[j]);
    return m;
  }

  // Counts the classes of f's rows; false if one is absent (its intercept would diverge).
  bool count_classes(Fit& f) const {
    f.class_count.assign(p_.n_classes, 0);
    for (idx i = 0; i < f.n; ++i) ++f.class_count[p_.label[f.rows[i]]];
    for (auto c : f.class_count)
      if (c <= 0) return false;
    return true;
  }
  bool classes_present(const Fit& base, const std::vector<Mod>& mods) const {
    for (i64 c = 0; c < p_.n_classes; ++c) {
      i64 n = base.class_count[c];
      for (const auto& m : mods)
        if (p_.label[m.index] == c) n += m.sign > 0 ? 1 : -1;
      if (n <= 0) return false;
    }
    return true;
  }

  // Unpenalized logistic fits exist only without complete separation: true when every point of
  // f's rows (minus removed, plus added mods) is classified correctly by θ (the MLE diverges).
  bool separated(const Fit& f, const std::vector<Mod>* mods, const VectorXd& theta) const {
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    auto correct = [&](const auto& eta, i64 y) {
      if (nk_ == 1) return y == 1 ? eta[0] > 0 : eta[0] < 0;
      for (idx a = 0; a < nk_; ++a)
        if (a != y && !(eta[y] > eta[a])) return false;
      return true;
    };
    const MatrixXd Eta = f.Xs.topRows(f.n) * Th;
    for (idx i = 0; i < f.n; ++i) {
      bool removed = false;
      if (mods)
        for (const auto& m : *mods) removed |= m.sign < 0 && m.index == f.rows[i];
      if (!removed && !correct(Eta.row(i), p_.label[f.rows[i]])) return false;
    }
    if (mods)
      for (const auto& m : *mods)
        if (m.sign > 0) {
          const VectorXd eta = Th.transpose() * row(m.index);
          if (!correct(eta, p_.label[m.index])) return false;
        }
    return true;
  }

  // Damped Newton on the gathered subset, from f.theta (or the engine's start). With many
  // parameters (np ≥ kLazyHessian) a Hessian costs tens of gradient passes, so once the steps
  // are small the factorization is kept and the iteration continues as a chord iteration
  // (linear convergence at a rate ~ the distance travelled since), refreshed when it contracts
  // poorly. On return f holds θ, the factorized Hessian at (or, below kLazyHessian, one Newton
  // step before) the solution, and the residual gradient.
  void fit_logistic(Fit& f, MatrixXd& E, bool warm) const {
    if (!count_classes(f)) {
      f.status = kMissingClass;
      return;
    }
    if (!warm || f.theta.size() != np_) f.theta = theta_init_;
    const bool lazy = np_ >= kLazyHessian;
    VectorXd G, Gt, step, th;
    double F = data_grad(f, f.theta, G, E) + add_penalty(f.theta, G);
    bool have_h = false, last_newton = false;  // last_newton: the factorization is one step old
    double prev_step = 0;  // size of the previous step if it was a full step, else 0
    double rate = 0;       // chord phase: largest observed contraction of the steps
    auto finish = [&]() {
      if (lazy && !last_newton) {  // the targets' iterations want the Hessian at the solution
        factor(f, hessian(f, f.theta));
        if (f.status != kOk) return;
      }
      f.gres = G;
      f.objective = F;
      if (p_.l2 == 0 && separated(f, nullptr, f.theta)) f.status = kNotConverged;
    };
    for (int it = 0; it < p_.max_iter; ++it) {
      if (converged(G, f.n)) {
        if (!have_h) {
          factor(f, hessian(f, f.theta));
          if (f.status != kOk) return;
          last_newton = true;
        }
        return finish();
      }
      f.status = kOk;
      const bool refresh = !have_h || !lazy || prev_step == 0 || prev_step > kReuseStep ||
                           (!last_newton && 2.0 * rate > 0.5);
      if (refresh) {
        factor(f, hessian(f, f.theta));
        if (f.status != kOk) return;
        have_h = true;
        rate = 0;
      }
      const bool newton = refresh;
      step = -f.solve(G);
      const double slope = G.dot(step);
      double t = 1.0, Ft = 0;
      for (int ls = 0; ls < 60; ++ls) {
        th = f.theta + t * step;
        Ft = data_grad(f, th, Gt, E) + add_penalty(th, Gt);
        // Armijo, with a slack at the rounding level of F: near the optimum the predicted
        // decrease is below F's rounding error and the full Newton step must be taken
        if (Ft <= F + 1e-4 * t * slope + 1e-12 * (std::abs(F) + 1.0)) break;
        t *= 0.5;
      }
      f.theta = th;
      F = Ft;
      G = Gt;
      // Converged when the full step was below tol, or when the predicted distance to the
      // solution is: Newton, next step ≈ C·|step|² (C from the last two full steps); chord,
      // ρ/(1 − ρ)·|step| with ρ the observed contraction — both times 2 for safety.
      const double sn = t == 1.0 ? step_norm(step) : std::numeric_limits<double>::infinity();
      bool done = sn <= p_.tol;
      if (newton) {
        done |= prev_step > 0 && sn < 0.5 * prev_step &&
                2.0 * (sn / (prev_step * prev_step)) * sn * sn <= p_.tol;
      } else if (prev_step > 0 && t == 1.0) {
        rate = std::max(rate, sn / prev_step);
        const double r = 2.0 * rate;
        done |= r < 0.5 && sn * r / (1.0 - r) <= p_.tol;
      }
      last_newton = newton;
      prev_step = t == 1.0 ? sn : 0.0;
      if (done) return finish();
    }
    f.status = kNotConverged;
  }

  double val_loss(const VectorXd& theta) const {
    Eigen::Map<const MatrixXd> Th(theta.data(), q_, nk_);
    MatrixXd E = Xv_ * Th;
    return val_loss_of(E);
  }

  // Validation losses of the T parameter vectors stored as the columns of Theta (np × T): one
  // matrix product for all of them.
  void val_losses(const MatrixXd& Theta, MatrixXd& E, double* out) const {
    const idx T = Theta.cols();
    E.noalias() = Xv_ * Eigen::Map<const MatrixXd>(Theta.data(), q_, nk_ * T);
    for (idx t = 0; t < T; ++t) out[t] = val_loss_of(E.middleCols(t * nk_, nk_));
  }

  // Validation loss (or error rate) from the m × nk linear predictors E (overwritten).
  double val_loss_of(Eigen::Ref<MatrixXd> E) const {
    if (p_.metric == Metric::Accuracy) {
      i64 wrong = 0;
      for (idx i = 0; i < mv_; ++i) {
        i64 pred;
        if (nk_ == 1) {
          pred = E(i, 0) > 0 ? 1 : 0;
        } else {
          Eigen::Index a;
          E.row(i).maxCoeff(&a);
          pred = a;
        }
        wrong += pred != p_.label_v[i];
      }
      return double(wrong) / double(mv_);
    }
    double s = 0;
    if (nk_ == 1) {
      const auto e = E.col(0).array();
      s = sum_softplus(e) - (yv_.array() * e).sum();
    } else {
      const Eigen::ArrayXd mx = E.rowwise().maxCoeff().array();
      for (idx i = 0; i < mv_; ++i) s -= E(i, p_.label_v[i]);
      E.array().colwise() -= mx;
      s += (mx + E.array().exp().rowwise().sum().log()).sum();
    }
    return s / double(mv_);
  }

  // Data part of ∇F over the rows of f for the T parameter vectors in the columns of Theta
  // (np × T), into the columns of G: the two passes over the rows are matrix products.
  void data_grads(const Fit& f, const MatrixXd& Theta, MatrixXd& G, MatrixXd& E) const {
    const idx n = f.n, T = Theta.cols(), cols = nk_ * T;
    const idx blk = std::max<idx>(32, (idx(1) << 15) / std::max(q_, cols));
    Eigen::Map<const MatrixXd> Th(Theta.data(), q_, cols);
    G.setZero(np_, T);
    Eigen::Map<MatrixXd> Gm(G.data(), q_, cols);
    for (idx r0 = 0; r0 < n; r0 += blk) {
      const idx len = std::min(blk, n - r0);
      const auto Xb = f.Xs.middleRows(r0, len);
      E.noalias() = Xb * Th;
      if (nk_ == 1) {
        E.array() = sigmoid_array(E.array());
        E.colwise() -= f.ylab.segment(r0, len);
      } else {
        for (idx t = 0; t < T; ++t) {
          auto Et = E.middleCols(t * nk_, nk_);
          const Eigen::ArrayXd mx = Et.rowwise().maxCoeff().array();
          Et.array().colwise() -= mx;
          Et.array() = Et.array().exp();
          const Eigen::ArrayXd sum = Et.rowwise().sum().array();
          Et.array().colwise() /= sum;
          for (idx i = 0; i < len; ++i) Et(i, f.yint[r0 + i]) -= 1.0;
        }
      }
      Gm.noalias() += Xb.transpose() * E;
    }
  }

  // Per-target state of the batched chord iteration (one added point z).
  struct AddState {
    VectorXd x;            // z's row with the intercept
    i64 label = 0;
    MatrixXd V, Wb;        // V = H⁻¹U (np × nk), Wb = z's curvature at θ_D0 (nk × nk)
    Eigen::PartialPivLU<MatrixXd> lu;  // of I + Wb UᵀV
    Chord chord;
    int state = 0;         // 0 iterating, 1 done, −1 left to the one-by-one solver
  };

  // Solves D0 + z for every z in zs (none in D0) by the chord iteration of solve_modified, all
  // targets together so that each pass over D0's rows is one matrix product. Theta receives
  // the solutions (np × T); state[t] is 1 where target t converged, −1 where its iteration
  // stalled (the caller then solves it alone, with the Newton fallback), and status its code.
  void logistic_add(const Fit& base, const std::vector<i64>& zs, std::vector<AddState>& st,
                    MatrixXd& Theta, MatrixXd& G, MatrixXd& Y, MatrixXd& E,
                    std::vector<std::int32_t>& status) const {
    const idx T = idx(zs.size());
    st.resize(T);
    status.assign(T, kOk);
    // U_t has z's row in each class block; V = H⁻¹U for all targets in one product
    G.setZero(np_, nk_ * T);
    for (idx t = 0; t < T; ++t) {
      st[t] = AddState{};
      st[t].x = row(zs[t]);
      st[t].label = p_.label[zs[t]];
      for (idx a = 0; a < nk_; ++a) G.block(a * q_, t * nk_ + a, q_, 1) = st[t].x;
    }
    base.solve_many(G, Y);
    Theta = base.theta.replicate(1, T);
    G.resize(np_, T);
    VectorXd rr;
    MatrixXd W;
    for (idx t = 0; t < T; ++t) {
      AddState& s = st[t];
      s.V = Y.middleCols(t * nk_, nk_);
      point_terms(s.x, s.label, base.theta, rr, W);
      s.Wb = W;
      MatrixXd C = MatrixXd::Identity(nk_, nk_);
      C.noalias() += s.Wb * u_t(s.x, s.V);
      s.lu.compute(C);
      if (!(s.lu.rcond() > kWoodburyRcond)) s.state = -1;
      G.col(t) = base.gres;
      Eigen::Map<MatrixXd>(G.col(t).data(), q_, nk_).noalias() += s.x * rr.transpose();
    }
    const idx nS = base.n + 1;
    std::vector<idx> active;
    MatrixXd Th_act, G_act;
    for (int it = 0; it < (p_.one_step ? 1 : p_.max_iter); ++it) {
      // convergence and stall checks on the gradients at the current points
      active.clear();
      for (idx t = 0; t < T; ++t) {
        AddState& s = st[t];
        if (s.state != 0) continue;
        if (!p_.one_step) {
          if (converged(G.col(t), nS)) {
            finish_target(base, zs[t], Theta.col(t), s, status[t]);
            continue;
          }
          if (s.chord.stalled(G.col(t))) {
            s.state = -1;
            continue;
          }
        }
        active.push_back(t);
      }
      if (active.empty()) break;
      // chord steps f = −P⁻¹∇F for the active targets (one matrix product)
      const idx A = idx(active.size());
      G_act.resize(np_, A);
      for (idx j = 0; j < A; ++j) G_act.col(j) = G.col(active[j]);
      base.solve_many(G_act, Y);
      std::vector<idx> moving;
      for (idx j = 0; j < A; ++j) {
        const idx t = active[j];
        AddState& s = st[t];
        VectorXd f = -Y.col(j);
        f.noalias() += s.V * s.lu.solve(s.Wb * ut_times(s.x, Y.col(j)));
        if (p_.one_step) {  // approximate: the result is treated as converged
          Theta.col(t) += f;
          s.state = 1;
          continue;
        }
        if (s.chord.accept(step_norm(f), p_.tol)) {
          Theta.col(t) += f;
          finish_target(base, zs[t], Theta.col(t), s, status[t]);
          continue;
        }
        s.chord.advance(Theta.col(t), f);
        moving.push_back(t);
      }
      if (moving.empty()) break;
      // gradients at the new points: one pass over D0 for all
      const idx M = idx(moving.size());
      Th_act.resize(np_, M);
      for (idx j = 0; j < M; ++j) Th_act.col(j) = Theta.col(moving[j]);
      data_grads(base, Th_act, G_act, E);
      for (idx j = 0; j < M; ++j) {
        const idx t = moving[j];
        VectorXd g = G_act.col(j);
        add_penalty(Theta.col(t), g);
        point_terms(st[t].x, st[t].label, Theta.col(t), rr, W);
        Eigen::Map<MatrixXd>(g.data(), q_, nk_).noalias() += st[t].x * rr.transpose();
        G.col(t) = g;
      }
    }
    for (auto& s : st)
      if (s.state == 0) s.state = -1;  // out of iterations: the one-by-one solver decides
  }

  // UᵀV for a single added point: (x · V_block(a), b) over class blocks a.
  MatrixXd u_t(const VectorXd& x, const MatrixXd& V) const {
    MatrixXd R(nk_, nk_);
    for (idx a = 0; a < nk_; ++a) R.row(a) = x.transpose() * V.middleRows(a * q_, q_);
    return R;
  }
  VectorXd ut_times(const VectorXd& x, const Eigen::Ref<const VectorXd>& y) const {
    VectorXd r(nk_);
    for (idx a = 0; a < nk_; ++a) r[a] = x.dot(y.segment(a * q_, q_));
    return r;
  }

  // A converged target: unpenalized fits must not separate D0 + z (the MLE would not exist).
  void finish_target(const Fit& base, i64 z, const Eigen::Ref<const VectorXd>& theta,
                     AddState& s, std::int32_t& status) const {
    s.state = 1;
    if (p_.l2 == 0) {
      const std::vector<Mod> mods{Mod{z, +1.0}};
      if (separated(base, &mods, theta)) status = kNotConverged;
    }
  }

  // Solve S = D0 + mods (logistic) from `start` (a fitted set S' with S = S' ± `extra`): chord
  // iterations θ ← θ − P⁻¹∇F_S(θ) with P = H_{D0}(θ_{D0}) + Σ ± W_i x̃_i x̃_iᵀ (Woodbury).
  // Falls back to a full Newton fit of S if the iteration does not contract.
  int solve_modified(const Fit& base, const std::vector<Mod>& mods, const Fit& start,
                     const std::vector<Mod>& extra, VectorXd& theta, VectorXd& gres, Fit& scratch,
                     MatrixXd& E, bool need_gres = false) const {
    if (!classes_present(base, mods)) return kMissingClass;
    const idx nm = idx(mods.size()), r = nm * nk_;
    idx nS = base.n;
    for (const auto& m : mods) nS += m.sign > 0 ? 1 : -1;
    // Woodbury pieces: P = H_{D0}(θ_D0) + U Wb Uᵀ with the modified points' curvature Wb at the
    // start point; V = H⁻¹U.
    MatrixXd U = MatrixXd::Zero(np_, r), Wb = MatrixXd::Zero(r, r);
    std::vector<VectorXd> xs(nm);
    VectorXd rr;
    MatrixXd W;
    for (idx t = 0; t < nm; ++t) {
      xs[t] = row(mods[t].index);
      for (idx a = 0; a < nk_; ++a) U.block(a * q_, t * nk_ + a, q_, 1) = xs[t];
    }
    MatrixXd V = U;
    base.solve_in_place(V);
    const MatrixXd UtV = U.transpose() * V;
    Eigen::PartialPivLU<MatrixXd> lu;
    // adds the modified points' gradient terms at th to G and sets Wb, lu at th
    bool first = true;  // P is fixed after the first evaluation (a fixed map suits the acceleration)
    auto mods_terms = [&](const VectorXd& th, VectorXd* G) {
      for (idx t = 0; t < nm; ++t) {
        point_terms(xs[t], p_.label[mods[t].index], th, rr, W);
        if (first) Wb.block(t * nk_, t * nk_, nk_, nk_) = mods[t].sign * W;
        if (G) Eigen::Map<MatrixXd>(G->data(), q_, nk_).noalias() += mods[t].sign * xs[t] * rr.transpose();
      }
      if (!first) return true;
      first = false;
      MatrixXd C = MatrixXd::Identity(r, r);
      C.noalias() += Wb * UtV;
      lu.compute(C);
      return lu.rcond() > kWoodburyRcond;
    };
    auto apply = [&](const VectorXd& g) {
      VectorXd t = base.solve(g);
      if (r) t.noalias() -= V * lu.solve(Wb * (U.transpose() * t));
      return t;
    };
    // gradient of F_S at the start: start's residual ± the extra points
    theta = start.theta;
    VectorXd G = start.gres;
    {
      Eigen::Map<MatrixXd> Gm(G.data(), q_, nk_);
      for (const auto& m : extra) {
        const VectorXd x = row(m.index);
        point_terms(x, p_.label[m.index], theta, rr, W);
        Gm.noalias() += m.sign * x * rr.transpose();
      }
    }
    bool wood_ok = mods_terms(theta, nullptr);
    if (wood_ok) {
      if (p_.one_step) {  // approximate: the result is treated as converged (residual 0)
        theta -= apply(G);
        gres = VectorXd::Zero(np_);
        return kOk;
      }
      Chord chord;
      VectorXd f;
      for (int it = 0; it < p_.max_iter && wood_ok; ++it) {
        if (converged(G, nS)) {
          gres = G;
          return p_.l2 == 0 && separated(base, &mods, theta) ? kNotConverged : kOk;
        }
        if (chord.stalled(G)) break;
        f = -apply(G);
        if (chord.accept(step_norm(f), p_.tol)) {
          theta += f;
          if (need_gres) {
            data_grad(base, theta, G, E, false);
            add_penalty(theta, G);
            mods_terms(theta, &G);
            gres = G;
          } else {
            gres = VectorXd::Zero(np_);
          }
          return p_.l2 == 0 && separated(base, &mods, theta) ? kNotConverged : kOk;
        }
        chord.advance(theta, f);
        data_grad(base, theta, G, E, false);
        add_penalty(theta, G);
        wood_ok = mods_terms(theta, &G);
      }
    }
    // fallback: a full Newton fit of S, warm-started at the start point
    std::vector<i64> rows;
    rows.reserve(nS);
    std::vector<i64> removed;
    for (const auto& m : mods)
      if (m.sign < 0) removed.push_back(m.index);
    for (idx i = 0; i < base.n; ++i)
      if (std::find(removed.begin(), removed.end(), base.rows[i]) == removed.end())
        rows.push_back(base.rows[i]);
    for (const auto& m : mods)
      if (m.sign > 0) rows.push_back(m.index);
    gather(scratch, rows.data(), idx(rows.size()));
    scratch.theta = start.theta;
    scratch.status = kOk;
    fit_logistic(scratch, E, true);
    theta = scratch.theta;
    gres = scratch.gres;
    return scratch.status;
  }

  const Problem& p_;
  idx d_, q_, nk_, np_, mv_;
  VectorXd scale_;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xv_;
  MatrixXd Sv_;
  VectorXd rv_, yv_, theta_init_;
};

}  // namespace
}  // namespace pointvalue::refit
