#include "pointvalue/glm.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "pointvalue/blocking.hpp"
#include "pointvalue/parallel.hpp"
#include "pointvalue/sketch.hpp"

namespace pointvalue::glm {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

constexpr idx kRowBlock = 512;       // rows per block: X block + centred copy stay in L2
constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kInf = std::numeric_limits<double>::infinity();

inline RowPartition super_blocks(idx n) { return pointvalue::super_blocks(n, kRowBlock); }

inline idx n_blocks(idx n) { return (n + kRowBlock - 1) / kRowBlock; }

// Passes over fewer elements than this run on one thread: forking costs more than it saves, and
// much more when the cores are shared. (Results do not depend on it: the partition is fixed.)
constexpr idx kParallelMinElements = idx(1) << 20;
inline bool go_parallel(idx n, idx d) { return n * std::max<idx>(d, 1) >= kParallelMinElements; }

// ---------------------------------------------------------------------------------------------
// Row-wise model terms.

struct RowTerm {
  double loss;  // loss_i(η)
  double resid; // −d loss/dη  (y − μ for the GLMs and OLS)
  double hess;  // d² loss/dη² (IRLS weight)
};

// `scale` (quantile only): magnitude of the terms summed into η (Σ_j |x_ij θ_j| + |b|), to tell a
// residual at rounding level from a real one.
inline RowTerm row_term(Model m, double eta, double y, double tau, double scale = 0.0) {
  switch (m) {
    case Model::OLS: {
      const double r = y - eta;
      return {0.5 * r * r, r, 1.0};
    }
    case Model::Logistic: {
      const double e = std::exp(-std::abs(eta));
      const double p = eta >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      return {std::max(eta, 0.0) + std::log1p(e) - y * eta, y - p, e / ((1.0 + e) * (1.0 + e))};
    }
    case Model::Poisson: {
      const double mu = std::exp(eta);
      return {mu - y * eta, y - mu, mu};
    }
    case Model::Quantile: {
      // ρ'_τ(r); residuals at the rounding level of y and η (rows on the fitted hyperplane)
      // get the minimum-norm subgradient 0.
      const double r = y - eta;
      const double zero = 16 * kEps * std::max({std::abs(y), std::abs(eta), scale});
      const double psi = r > zero ? tau : (r < -zero ? tau - 1.0 : 0.0);
      return {r >= 0 ? tau * r : (tau - 1.0) * r, psi, 1.0};
    }
  }
  return {0, 0, 0};
}

// ---------------------------------------------------------------------------------------------
// Passes over X.

// A block buffer in the storage order of the block: copying into it is a straight memcpy.
template <class Blk>
using BlockBuf = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                               bool(std::decay_t<Blk>::IsRowMajor) ? Eigen::RowMajor
                                                                    : Eigen::ColMajor>;

// Calls f(block) with the rows of Xb copied (and shifted by `shift` when given) into an aligned
// per-thread buffer. Vectorized reductions peel loops according to the address of their data,
// so working on the caller's array would make the last bits depend on where numpy happened to
// allocate it; on the aligned copy they depend only on the block shape. Shifting by the column
// means also keeps products like x_iᵀθ accurate when |x| ≫ spread of x.
template <class Blk, class F>
inline void with_shift(const Blk& Xb, const VectorXd* shift, F&& f) {
  thread_local BlockBuf<Blk> buf;  // double even for float32 X: the cast happens here
  if (shift)
    buf = Xb.template cast<double>().rowwise() - shift->transpose();
  else
    buf = Xb.template cast<double>();
  f(std::as_const(buf));
}

// eta = (X − 1 shiftᵀ) θ + b.
template <class Map>
void linear_predictor(const Map& X, const VectorXd& theta, double b, const VectorXd* shift,
                      double* eta) {
  const idx n = X.rows(), blocks = n_blocks(n);
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx k = 0; k < blocks; ++k) {
    const idx r0 = k * kRowBlock, len = std::min(kRowBlock, n - r0);
    Eigen::Map<VectorXd> e(eta + r0, len);
    with_shift(X.middleRows(r0, len), shift, [&](const auto& Xb) { e.noalias() = Xb * theta; });
    e.array() += b;
  }
}

// Weighted moments of the rows of X with weights D ≥ 0 (null: all ones):
//   s = Σ D_i, mean = Σ D_i x_i / s, C = Σ D_i (x_i − mean)(x_i − mean)ᵀ when centred,
//   C = Σ D_i x_i x_iᵀ otherwise (diag_only: only the diagonal, in `C.col(0)`),
//   gx = Σ v_i x_i and gsum = Σ v_i when v is given.
// Per-block moments are merged with Chan's update in a fixed order.
struct Moments {
  double s = 0;
  VectorXd mean;
  MatrixXd C;
  VectorXd gx;
  double gsum = 0;
  // Row statistics of a fused GLM pass (see glm_pass_impl).
  double loss = 0;
  double max_abs_eta = 0;
  idx overlap = 0;
};

inline void merge_stats(Moments& a, const Moments& b) {
  a.loss += b.loss;
  a.max_abs_eta = std::max(a.max_abs_eta, b.max_abs_eta);
  a.overlap += b.overlap;
}

struct NoPre {
  template <class Blk>
  void operator()(const Blk&, idx, idx, Moments&) const {}
};

enum class GramKind { None, Full, Diag };

void merge_moments(Moments& a, const Moments& b, bool center, GramKind kind) {
  if (b.gx.size()) {
    a.gx += b.gx;
    a.gsum += b.gsum;
  }
  if (kind == GramKind::None && !center) {
    a.s += b.s;
    return;
  }
  if (b.s <= 0) return;
  if (a.s <= 0) {
    a.s = b.s;
    a.mean = b.mean;
    a.C = b.C;
    return;
  }
  const double s = a.s + b.s;
  if (center) {
    const VectorXd delta = b.mean - a.mean;
    const double f = a.s * b.s / s;
    if (kind == GramKind::Full) {
      a.C += b.C;
      a.C.selfadjointView<Eigen::Lower>().rankUpdate(delta, f);
    } else if (kind == GramKind::Diag) {
      a.C.col(0) += b.C.col(0) + f * delta.cwiseAbs2();
    }
    a.mean += delta * (b.s / s);
  } else if (kind != GramKind::None) {
    a.C += b.C;
  }
  a.s = s;
}

// out[j] = Σ_i sq_i² (x_ij − m_j)² over a block, one sweep in storage order.
template <class Blk>
void diag_block(const Blk& Xb, const VectorXd& sq, const VectorXd* m, double* out) {
  const idx len = Xb.rows(), d = Xb.cols();
  constexpr bool row_major = bool(std::decay_t<Blk>::IsRowMajor);
  if constexpr (row_major) {
    for (idx i = 0; i < len; ++i) {
      const double wi = sq[i] * sq[i];
      if (wi == 0) continue;
      for (idx j = 0; j < d; ++j) {
        const double v = Xb(i, j) - (m ? (*m)[j] : 0.0);
        out[j] += wi * v * v;
      }
    }
  } else {
    for (idx j = 0; j < d; ++j) {
      const double mj = m ? (*m)[j] : 0.0;
      double acc = 0;
      for (idx i = 0; i < len; ++i) {
        const double v = sq[i] * (Xb(i, j) - mj);
        acc += v * v;
      }
      out[j] = acc;
    }
  }
}

// `pre(Xb, r0, len, acc)` runs on each (shifted) block first and may fill D[r0..r0+len) and
// v[r0..r0+len) (fused passes: η, row terms, then the moments while the block is in cache).
template <class Map, class Pre = NoPre>
Moments moments_impl(const Map& X, const double* D, const double* v, bool center, GramKind kind,
                     const VectorXd* shift = nullptr, Pre&& pre = Pre()) {
  const idx d = X.cols();
  const RowPartition part = super_blocks(X.rows());
  std::vector<Moments> partial(part.parts);
  const idx crows = kind == GramKind::None ? 0 : d, ccols = kind == GramKind::Full ? d : 1;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx p = 0; p < part.parts; ++p) {
    Moments acc;
    acc.mean = VectorXd::Zero(d);
    acc.C = MatrixXd::Zero(crows, kind == GramKind::None ? 0 : ccols);
    if (v) acc.gx = VectorXd::Zero(d);
    MatrixXd Y;
    VectorXd sq;
    for (idx r0 = part.begin(p); r0 < part.end(p); r0 += kRowBlock) {
      const idx len = std::min(kRowBlock, part.end(p) - r0);
      Moments blk;
      with_shift(X.middleRows(r0, len), shift, [&](const auto& Xb) {
      pre(Xb, r0, len, acc);
      // Aligned copies of the row weights: reductions must not depend on the caller's address.
      thread_local VectorXd vb, Db;
      if (v) {
        vb = Eigen::Map<const VectorXd>(v + r0, len);
        blk.gx.noalias() = Xb.transpose() * vb;
        blk.gsum = vb.sum();
      }
      if (D) {
        Db = Eigen::Map<const VectorXd>(D + r0, len);
        blk.s = Db.sum();
        sq = Db.cwiseSqrt();
      } else {
        blk.s = double(len);
        sq = VectorXd::Ones(len);
      }
      if (center || kind != GramKind::None) {
        if (center && blk.s > 0) {
          if (D)
            blk.mean.noalias() = Xb.transpose() * Db;
          else
            blk.mean = Xb.colwise().sum().transpose();
          blk.mean /= blk.s;
        } else {
          blk.mean = VectorXd::Zero(d);
        }
        if (kind == GramKind::Full) {
          if (center)
            Y = sq.asDiagonal() * (Xb.rowwise() - blk.mean.transpose());
          else
            Y = sq.asDiagonal() * Xb;
          blk.C = MatrixXd::Zero(d, d);
          blk.C.selfadjointView<Eigen::Lower>().rankUpdate(Y.transpose());
        } else if (kind == GramKind::Diag) {
          blk.C = MatrixXd::Zero(d, 1);
          diag_block(Xb, sq, center ? &blk.mean : nullptr, blk.C.data());
        }
      }
      });
      merge_moments(acc, blk, center, kind);
    }
    partial[p] = std::move(acc);
  }
  Moments out;
  out.mean = VectorXd::Zero(d);
  out.C = MatrixXd::Zero(crows, kind == GramKind::None ? 0 : ccols);
  if (v) out.gx = VectorXd::Zero(d);
  for (const auto& P : partial) {
    merge_moments(out, P, center, kind);
    merge_stats(out, P);
  }
  if (kind == GramKind::Full) out.C = MatrixXd(out.C.selfadjointView<Eigen::Lower>());
  return out;
}

// One fused pass: per block η = (x − shift)ᵀθ + b, the row terms (F_i = fscale·w_i·(−loss'),
// D_i = w_i·loss''), loss / max|η| / class-overlap statistics, then the weighted moments (with
// gx = Σ F_i x_i when `gradient`). `abs_theta` (quantile influence only, no shift): residuals
// within rounding of Σ_j|x_ij θ_j| + |b| count as zero.
template <class Map>
Moments glm_pass_impl(const Map& X, const double* y, const double* w, const VectorXd& theta,
                      double b, const VectorXd* shift, Model model, double tau, double fscale,
                      bool center, GramKind kind, bool gradient, double* F, double* D,
                      const VectorXd* abs_theta) {
  const double abs_b = std::abs(b);
  auto pre = [&](const auto& Xb, idx r0, idx len, Moments& acc) {
    VectorXd eta = Xb * theta;
    VectorXd sc;
    if (abs_theta) sc = Xb.cwiseAbs() * (*abs_theta);
    for (idx i = 0; i < len; ++i) {
      const idx r = r0 + i;
      const double wi = w ? w[r] : 1.0;
      const double e = eta[i] + b;
      const RowTerm t = row_term(model, e, y[r], tau, abs_theta ? sc[i] + abs_b : 0.0);
      F[r] = fscale * wi * t.resid;
      D[r] = wi * t.hess;
      if (wi != 0) {
        acc.loss += wi * t.loss;
        acc.max_abs_eta = std::max(acc.max_abs_eta, std::abs(e));
        if (model == Model::Logistic && ((y[r] > 0.5) == !(e > 0) || e == 0)) ++acc.overlap;
      }
    }
  };
  return moments_impl(X, D, gradient ? F : nullptr, center, kind, shift, pre);
}

template <class T>
Moments glm_pass(const MatrixView<T>& X, const double* y, const double* w,
                 const VectorXd& theta, double b, const VectorXd* shift, Model model, double tau,
                 double fscale, bool center, GramKind kind, bool gradient, double* F, double* D,
                 const VectorXd* abs_theta = nullptr) {
  return visit_matrix(X, [&](const auto& m) {
    return glm_pass_impl(m, y, w, theta, b, shift, model, tau, fscale, center, kind, gradient, F,
                         D, abs_theta);
  });
}

template <class T>
Moments moments(const MatrixView<T>& X, const double* D, const double* v, bool center,
                GramKind kind, const VectorXd* shift = nullptr) {
  return visit_matrix(X,
                      [&](const auto& m) { return moments_impl(m, D, v, center, kind, shift); });
}

template <class T>
void eta_pass(const MatrixView<T>& X, const VectorXd& theta, double b, double* eta,
              const VectorXd* shift = nullptr) {
  visit_matrix(X, [&](const auto& m) { linear_predictor(m, theta, b, shift, eta); });
}

// Σ w_i loss_i at η = Xθ + b, with a deterministic reduction; also the max |η|.
template <class Map>
double loss_impl(const Map& X, const double* y, const double* w, const VectorXd& theta, double b,
                 Model model, double tau, const VectorXd* shift) {
  const RowPartition part = super_blocks(X.rows());
  std::vector<double> partial(part.parts, 0.0);
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx p = 0; p < part.parts; ++p) {
    VectorXd eta;
    double acc = 0;
    for (idx r0 = part.begin(p); r0 < part.end(p); r0 += kRowBlock) {
      const idx len = std::min(kRowBlock, part.end(p) - r0);
      with_shift(X.middleRows(r0, len), shift,
                 [&](const auto& Xb) { eta.noalias() = Xb * theta; });
      for (idx i = 0; i < len; ++i) {
        const double wi = w ? w[r0 + i] : 1.0;
        if (wi == 0) continue;
        acc += wi * row_term(model, eta[i] + b, y[r0 + i], tau).loss;
      }
    }
    partial[p] = acc;
  }
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

template <class T>
double loss_sum(const MatrixView<T>& X, const double* y, const double* w,
                const VectorXd& theta, double b, Model model, double tau,
                const VectorXd* shift = nullptr) {
  return visit_matrix(
      X, [&](const auto& m) { return loss_impl(m, y, w, theta, b, model, tau, shift); });
}

// ---------------------------------------------------------------------------------------------
// Dense d×d algebra.

// Factor of a symmetric positive (semi)definite matrix after diagonal equilibration:
// A = S⁻¹ Â S⁻¹ with S = diag(1/√A_jj), Â = L Lᵀ.
struct SpdFactor {
  VectorXd sc;
  Eigen::LLT<MatrixXd> llt;
  bool ok = false;
  double cond = kInf;

  void compute(const MatrixXd& A) {
    const idx d = A.rows();
    sc.resize(d);
    ok = true;
    for (idx j = 0; j < d; ++j) {
      if (!(A(j, j) > 0) || !std::isfinite(A(j, j))) {
        ok = false;
        sc[j] = 0;
      } else {
        sc[j] = 1.0 / std::sqrt(A(j, j));
      }
    }
    if (!ok) return;
    const MatrixXd Ah = sc.asDiagonal() * A * sc.asDiagonal();
    llt.compute(Ah);
    if (llt.info() != Eigen::Success) {
      ok = false;
      return;
    }
    Eigen::SelfAdjointEigenSolver<MatrixXd> es(Ah, Eigen::EigenvaluesOnly);
    const double lo = es.eigenvalues().minCoeff(), hi = es.eigenvalues().maxCoeff();
    cond = lo > 0 ? hi / lo : kInf;
    if (!(lo > hi * 16.0 * kEps * double(std::max<idx>(d, 1)))) ok = false;
  }
  VectorXd solve(const VectorXd& b) const {
    return sc.asDiagonal() * llt.solve(VectorXd(sc.asDiagonal() * b));
  }
  MatrixXd inverse() const {
    const idx d = sc.size();
    return sc.asDiagonal() * llt.solve(MatrixXd::Identity(d, d)) * sc.asDiagonal();
  }
  // P with P Pᵀ = A⁻¹ (P = S L⁻ᵀ).
  MatrixXd inv_sqrt() const {
    const idx d = sc.size();
    MatrixXd Linv = llt.matrixL().solve(MatrixXd::Identity(d, d));  // L⁻¹
    return sc.asDiagonal() * Linv.transpose();
  }
};

// Newton / normal-equation system of the augmented design [X, 1] with weights D, through the
// centred Schur complement: (C + l2 I) u = g − mean·gb, t = gb/s − meanᵀu.
struct AugSystem {
  bool center = false;
  double s = 0;
  VectorXd mean;
  SpdFactor F;

  bool factor(const Moments& m, double l2, bool intercept) {
    center = intercept;
    s = m.s;
    mean = m.mean;
    MatrixXd A = m.C;
    A.diagonal().array() += l2;
    F.compute(A);
    if (intercept && !(s > 0)) F.ok = false;
    return F.ok;
  }
  void solve(const VectorXd& g, double gb, VectorXd& u, double& t) const {
    if (center) {
      u = F.solve(g - mean * gb);
      t = gb / s - mean.dot(u);
    } else {
      u = F.solve(g);
      t = 0;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Solvers.

double penalty(const VectorXd& theta, double l2) { return 0.5 * l2 * theta.squaredNorm(); }

double weighted_mean(const double* y, const double* w, idx n) {
  double sw = 0, sy = 0;
  for (idx i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    sw += wi;
    sy += wi * y[i];
  }
  return sw > 0 ? sy / sw : 0.0;
}

// Minimum-norm least squares by a complete orthogonal decomposition of a (weighted, centred) copy
// of X: the fallback for ill-conditioned or rank-deficient designs.
template <class Map>
void ols_cod_impl(const Map& X, const double* y, const double* w, const Options& opt,
                  Result& res) {
  const idx n = X.rows(), d = X.cols();
  VectorXd xbar = VectorXd::Zero(d);
  double ybar = 0;
  if (opt.fit_intercept) {
    Moments m = moments_impl(X, w, nullptr, true, GramKind::None);
    xbar = m.mean;
    ybar = weighted_mean(y, w, n);
  }
  const idx extra = opt.l2 > 0 ? d : 0;
  MatrixXd A(n + extra, d);
  VectorXd rhs = VectorXd::Zero(n + extra);
  for (idx i = 0; i < n; ++i) {
    const double sw = w ? std::sqrt(w[i]) : 1.0;
    A.row(i) = sw * (X.row(i).template cast<double>() - xbar.transpose());
    rhs[i] = sw * (y[i] - ybar);
  }
  if (extra) {
    A.bottomRows(d).setZero();
    A.bottomRows(d).diagonal().setConstant(std::sqrt(opt.l2));
  }
  Eigen::CompleteOrthogonalDecomposition<MatrixXd> cod;
  cod.setThreshold(double(std::max(n + extra, d)) * kEps);
  cod.compute(A);
  res.coef = cod.solve(rhs);
  res.rank = cod.rank();
  res.intercept = opt.fit_intercept ? ybar - xbar.dot(res.coef) : 0.0;
  res.lstsq_fallback = true;
}

// Newton / IRLS with Armijo backtracking (OLS: one solve plus iterative refinement).
template <class T>
Result fit_irls(const MatrixView<T>& X, const double* y, const double* w,
                   const Options& opt) {
  const idx n = X.rows, d = X.cols;
  const Model model = opt.model;
  const bool ols = model == Model::OLS;
  const bool icpt = opt.fit_intercept;
  Result res;
  res.rank = d;
  VectorXd theta = VectorXd::Zero(d);
  double b = 0;
  if (icpt) {
    const double ybar = weighted_mean(y, w, n);
    if (model == Model::OLS) b = ybar;
    if (model == Model::Logistic) {
      const double p = std::min(std::max(ybar, 1e-10), 1 - 1e-10);
      b = std::log(p / (1 - p));
    }
    if (model == Model::Poisson) b = ybar > 0 ? std::log(ybar) : 0.0;
  }
  // With an intercept, work in coordinates shifted by the weighted column means: b then is the
  // intercept of the centred design and η = (x − c)ᵀθ + b stays accurate for large column means.
  VectorXd cvec;
  const VectorXd* shift = nullptr;
  if (icpt) {
    cvec = moments(X, w, nullptr, true, GramKind::None).mean;
    shift = &cvec;
  }
  // A last Newton step is kept only if the objective (f before it) does not grow beyond its
  // rounding: in the quadratic regime it takes the gradient to rounding level for one loss pass.
  auto take_final_step = [&](const VectorXd& du, double db, double f) {
    const VectorXd th = theta + du;
    const double ft = loss_sum(X, y, w, th, b + db, model, opt.tau, shift) + penalty(th, opt.l2);
    if (du.allFinite() && std::isfinite(db) && ft <= f + 1e3 * kEps * std::max(std::abs(f), 1.0)) {
      theta = th;
      b += db;
      res.objective = ft;
    }
  };
  std::vector<double> D(n), R(n);
  AugSystem sys;
  bool have_factor = false;
  double g0 = -1;
  int it = 0;
  const int max_refine = 6;
  for (;; ++it) {
    const bool need_hess = !ols || !have_factor;
    Moments m = glm_pass(X, y, w, theta, b, shift, model, opt.tau, 1.0, icpt,
                         need_hess ? GramKind::Full : GramKind::None, true, R.data(), D.data());
    const double f = m.loss + penalty(theta, opt.l2);
    res.objective = f;
    res.max_abs_eta = m.max_abs_eta;
    const idx overlap = m.overlap;
    if (!std::isfinite(f)) {
      res.status = Status::Diverged;
      break;
    }
    VectorXd G = m.gx - opt.l2 * theta;
    const double Gb = icpt ? m.gsum : 0.0;
    const double gnorm = std::max(G.size() ? G.cwiseAbs().maxCoeff() : 0.0, std::abs(Gb));
    res.grad_norm = gnorm;
    if (g0 < 0) g0 = gnorm;
    if (gnorm <= opt.tol * std::max(g0, 1e-300) || gnorm == 0) {
      res.converged = true;
      // Polish: one more Newton step from the Hessian already accumulated at this point costs no
      // extra pass and, in the quadratic regime, takes the gradient to rounding level. It is
      // kept only if the objective does not grow beyond its rounding.
      if (!ols && gnorm > 0 && sys.factor(m, opt.l2, icpt)) {
        VectorXd du;
        double db;
        sys.solve(G, Gb, du, db);
        take_final_step(du, db, f);
      }
      break;
    }
    if (model == Model::Logistic && opt.l2 == 0 && overlap == 0) {
      res.status = Status::Separable;
      break;
    }
    if (it >= (ols ? max_refine : opt.max_iter)) break;
    if (need_hess) {
      if (!sys.factor(m, opt.l2, icpt)) {
        if (ols) {
          visit_matrix(X, [&](const auto& map) { ols_cod_impl(map, y, w, opt, res); });
          res.objective = loss_sum(X, y, w, res.coef, res.intercept, model, opt.tau) +
                          penalty(res.coef, opt.l2);
          res.converged = true;
          res.n_iter = 1;
          return res;
        }
        res.status = Status::Singular;
        break;
      }
      if (ols && sys.F.cond > 1e10) {  // normal equations would lose too many digits
        visit_matrix(X, [&](const auto& map) { ols_cod_impl(map, y, w, opt, res); });
        res.objective =
            loss_sum(X, y, w, res.coef, res.intercept, model, opt.tau) + penalty(res.coef, opt.l2);
        res.converged = true;
        res.n_iter = 1;
        return res;
      }
      have_factor = true;
    }
    VectorXd du;
    double db;
    sys.solve(G, Gb, du, db);
    const double decrement = G.dot(du) + Gb * db;  // ΔᵀHΔ ≥ 0
    if (ols) {
      theta += du;
      b += db;
      // Refinement has converged when the correction is at the rounding level of the answer.
      const double scale = std::max(theta.cwiseAbs().maxCoeff(), 1e-300);
      if (du.cwiseAbs().maxCoeff() <= 64 * kEps * scale &&
          std::abs(db) <= 64 * kEps * std::max(std::abs(b), scale)) {
        res.converged = true;
        ++it;
        break;
      }
      continue;
    }
    if (decrement <= 16 * kEps * std::max(std::abs(f), 1e-300)) {
      res.converged = true;  // remaining decrease is below rounding of the objective
      take_final_step(du, db, f);  // the final (tiny) Newton step, as in the polish above
      break;
    }
    // Armijo backtracking on the objective. Near the optimum (tiny Newton decrement) the change
    // of f is below the rounding of its sum: the full Newton step is then taken as long as f
    // does not grow beyond that rounding (Newton converges quadratically there).
    const double fround = 1e3 * kEps * std::max(std::abs(f), 1.0);
    const bool tiny = decrement <= 1e-8 * std::max(std::abs(f), 1.0);
    double step = 1.0;
    bool accepted = false;
    for (int ls = 0; ls < 40; ++ls) {
      const VectorXd th = theta + step * du;
      const double bt = b + step * db;
      const double ft = loss_sum(X, y, w, th, bt, model, opt.tau, shift) + penalty(th, opt.l2);
      if (std::isfinite(ft) &&
          (ft <= f - 1e-4 * step * decrement || (tiny && step == 1.0 && ft <= f + fround))) {
        theta = th;
        b = bt;
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      // No decrease representable: we are at the optimum to rounding, or stuck.
      res.converged = gnorm <= std::sqrt(opt.tol) * std::max(g0, 1e-300);
      if (!res.converged) res.status = Status::Diverged;
      break;
    }
  }
  res.coef = theta;
  res.intercept = icpt ? b - cvec.dot(theta) : 0.0;
  res.n_iter = it;
  if (res.status == Status::Ok && !res.converged) res.status = Status::MaxIter;
  if (ols) {
    res.objective = loss_sum(X, y, w, theta, b, model, opt.tau, shift) + penalty(theta, opt.l2);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// Quantile regression: Frisch–Newton interior point (Portnoy & Koenker 1997, Koenker's lp_fnm) on
// the dual LP  max yᵀa  s.t. X̃ᵀa = (1−τ)X̃ᵀ1, 0 ≤ a ≤ 1, with row weights folded into the rows
// (w ρ_τ(r) = ρ_τ(w r)), then a crossover to the optimal vertex.

double step_bound(const VectorXd& x, const VectorXd& dx) {
  double b = kInf;
  for (idx i = 0; i < x.size(); ++i)
    if (dx[i] < 0) b = std::min(b, -x[i] / dx[i]);
  return b;
}

template <class Map>
bool quantile_vertex(const Map& X, const double* y, const double* w, const Options& opt,
                     const VectorXd& theta, double b, VectorXd& vtheta, double& vb, bool& optimal) {
  const idx n = X.rows(), d = X.cols();
  const bool icpt = opt.fit_intercept;
  const idx p = d + (icpt ? 1 : 0);
  optimal = false;
  if (n < p) return false;
  // Candidates: the rows with the smallest weighted |residual|.
  std::vector<double> ar(n);
  std::vector<idx> order;
  order.reserve(n);
  for (idx i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    if (wi > 0) {
      ar[i] = std::abs(wi * (y[i] - X.row(i).template cast<double>().dot(theta) - b));
      order.push_back(i);
    }
  }
  if (idx(order.size()) < p) return false;
  const idx ncand = std::min<idx>(idx(order.size()), 4 * p + 8);
  std::nth_element(order.begin(), order.begin() + (ncand - 1), order.end(),
                   [&](idx a, idx c) { return ar[a] < ar[c]; });
  order.resize(ncand);
  std::sort(order.begin(), order.end(), [&](idx a, idx c) { return ar[a] < ar[c]; });
  auto xt = [&](idx i) {
    VectorXd v(p);
    v.head(d) = X.row(i).transpose().template cast<double>();
    if (icpt) v[d] = 1.0;
    return v;
  };
  // Column scales so the independence test is unit-free.
  VectorXd cs = VectorXd::Zero(p);
  for (idx i : order) cs = cs.cwiseMax(xt(i).cwiseAbs());
  for (idx j = 0; j < p; ++j) cs[j] = cs[j] > 0 ? 1.0 / cs[j] : 1.0;
  // Greedy selection by Gram–Schmidt.
  std::vector<idx> basis;
  MatrixXd Qb(p, p);
  for (idx i : order) {
    if (idx(basis.size()) == p) break;
    VectorXd v = cs.cwiseProduct(xt(i));
    const double nv = v.norm();
    for (int rep = 0; rep < 2; ++rep)
      for (idx k = 0; k < idx(basis.size()); ++k) v -= Qb.col(k).dot(v) * Qb.col(k);
    if (v.norm() > 1e-8 * nv) {
      Qb.col(idx(basis.size())) = v / v.norm();
      basis.push_back(i);
    }
  }
  if (idx(basis.size()) < p) return false;
  MatrixXd Xh(p, p);
  VectorXd yh(p);
  for (idx k = 0; k < p; ++k) {
    Xh.row(k) = xt(basis[k]).transpose();
    yh[k] = y[basis[k]];
  }
  Eigen::PartialPivLU<MatrixXd> lu(Xh);
  const VectorXd beta = lu.solve(yh);
  if (!beta.allFinite()) return false;
  vtheta = beta.head(d);
  vb = icpt ? beta[d] : 0.0;
  // Optimality (Koenker 2005, Thm 2.1): ξ solving Σ_h w_i ξ_i x̃_i = −Σ_{i∉h} w_i ψ_τ(r_i) x̃_i
  // must lie in [τ−1, τ].
  std::vector<char> inb(n, 0);
  for (idx i : basis) inb[i] = 1;
  const RowPartition part = super_blocks(n);
  std::vector<VectorXd> partial(part.parts, VectorXd::Zero(p));
  const double tau = opt.tau;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx q = 0; q < part.parts; ++q) {
    VectorXd acc = VectorXd::Zero(p);
    for (idx i = part.begin(q); i < part.end(q); ++i) {
      if (inb[i]) continue;
      const double wi = w ? w[i] : 1.0;
      if (wi == 0) continue;
      const double r = y[i] - X.row(i).template cast<double>().dot(vtheta) - vb;
      const double psi = r > 0 ? tau : (r < 0 ? tau - 1.0 : 0.0);
      acc.head(d) += (wi * psi) * X.row(i).transpose().template cast<double>();
      if (icpt) acc[d] += wi * psi;
    }
    partial[q] = acc;
  }
  VectorXd g = VectorXd::Zero(p);
  for (const auto& v : partial) g += v;
  VectorXd wh(p);
  for (idx k = 0; k < p; ++k) wh[k] = w ? w[basis[k]] : 1.0;
  const VectorXd xi = Xh.transpose().partialPivLu().solve(-g).cwiseQuotient(wh);
  const double slack = 1e-9;
  optimal = xi.allFinite() && (xi.array() >= tau - 1.0 - slack).all() &&
            (xi.array() <= tau + slack).all();
  return true;
}

template <class T>
Result fit_quantile(const MatrixView<T>& X, const double* y, const double* w,
                       const Options& opt) {
  const idx n = X.rows, d = X.cols;
  const bool icpt = opt.fit_intercept;
  const double tau = opt.tau;
  Result res;
  res.rank = d;
  // Row weights folded into the design: Ã column i = w_i x̃_i, c_i = −w_i y_i.
  VectorXd wv = w ? VectorXd(Eigen::Map<const VectorXd>(w, n)) : VectorXd::Ones(n);
  VectorXd c = -(wv.array() * Eigen::Map<const VectorXd>(y, n).array()).matrix();
  const VectorXd u = VectorXd::Ones(n);
  VectorXd x = VectorXd::Constant(n, 1.0 - tau);
  VectorXd s = u - x;
  VectorXd cvec;
  const VectorXd* shift = nullptr;
  if (icpt) {  // shifted coordinates, as in fit_irls
    cvec = moments(X, nullptr, nullptr, true, GramKind::None).mean;
    shift = &cvec;
  }
  // b = Ã x (constant): Σ w_i (1−τ) x̃_i.
  VectorXd tmp = wv * (1.0 - tau);
  Moments mb = moments(X, nullptr, tmp.data(), false, GramKind::None, shift);
  const VectorXd bvec_x = mb.gx;
  const double bvec_1 = mb.gsum;
  // Initial dual point: weighted least squares of c on Ã.
  VectorXd D = wv.cwiseAbs2();
  VectorXd v = wv.cwiseProduct(c);
  AugSystem sys;
  Moments m = moments(X, D.data(), v.data(), icpt, GramKind::Full, shift);
  if (!sys.factor(m, 0.0, icpt)) {
    res.status = Status::Singular;
    res.coef = VectorXd::Zero(d);
    return res;
  }
  VectorXd yd;  // dual variable (θ part), yd_b (intercept part)
  double yd_b;
  sys.solve(m.gx, m.gsum, yd, yd_b);
  std::vector<double> eta(n);
  auto At_y = [&](const VectorXd& yy, double yb, VectorXd& out) {  // out = Ãᵀ yy
    eta_pass(X, yy, icpt ? yb : 0.0, eta.data(), shift);
    out = wv.cwiseProduct(Eigen::Map<const VectorXd>(eta.data(), n));
  };
  VectorXd Aty(n);
  At_y(yd, yd_b, Aty);
  VectorXd r = c - Aty;
  for (idx i = 0; i < n; ++i)
    if (r[i] == 0) r[i] = 0.001;
  VectorXd z = r.cwiseMax(0.0);
  VectorXd wd = z - r;
  auto dual_obj = [&]() { return yd.dot(bvec_x) + (icpt ? yd_b * bvec_1 : 0.0); };
  double gap = c.dot(x) - dual_obj() + wd.dot(u);
  const double beta_step = 0.99995;
  int it = 0;
  VectorXd q(n), dx(n), ds(n), dz(n), dw(n), rhs_v(n), xi(n), dxdz(n), dsdw(n), xinv(n), sinv(n);
  for (; it < opt.max_iter; ++it) {
    const double scale = std::max(1.0, std::abs(c.dot(x)));
    if (gap <= opt.tol * scale) break;
    q = (z.cwiseQuotient(x) + wd.cwiseQuotient(s)).cwiseInverse();
    r = z - wd;
    // Normal equations (Ã Q Ãᵀ) dy = Ã Q r.
    D = q.cwiseProduct(wv.cwiseAbs2());
    rhs_v = wv.cwiseProduct(q.cwiseProduct(r));
    m = moments(X, D.data(), rhs_v.data(), icpt, GramKind::Full, shift);
    if (!sys.factor(m, 0.0, icpt)) break;  // numerically degenerate: stop with the last point
    VectorXd dy, dyb_v;
    double dyb;
    sys.solve(m.gx, m.gsum, dy, dyb);
    At_y(dy, dyb, Aty);
    dx = q.cwiseProduct(Aty - r);
    ds = -dx;
    dz = -z.cwiseProduct((VectorXd::Ones(n) + dx.cwiseQuotient(x)));
    dw = -wd.cwiseProduct((VectorXd::Ones(n) + ds.cwiseQuotient(s)));
    double fp = std::min(beta_step * std::min(step_bound(x, dx), step_bound(s, ds)), 1.0);
    double fd = std::min(beta_step * std::min(step_bound(wd, dw), step_bound(z, dz)), 1.0);
    if (std::min(fp, fd) < 1.0) {
      double mu = z.dot(x) + wd.dot(s);
      const double g = (z + fd * dz).dot(x + fp * dx) + (wd + fd * dw).dot(s + fp * ds);
      mu = mu * std::pow(g / mu, 3) / (2.0 * double(n));
      dxdz = dx.cwiseProduct(dz);
      dsdw = ds.cwiseProduct(dw);
      xinv = x.cwiseInverse();
      sinv = s.cwiseInverse();
      xi = mu * (xinv - sinv);
      VectorXd corr = wv.cwiseProduct(q.cwiseProduct(dxdz - dsdw - xi));
      Moments mc = moments(X, nullptr, corr.data(), false, GramKind::None, shift);
      sys.solve(m.gx + mc.gx, m.gsum + mc.gsum, dy, dyb);
      At_y(dy, dyb, Aty);
      dx = q.cwiseProduct(Aty + xi - r - dxdz + dsdw);
      ds = -dx;
      dz = mu * xinv - z - xinv.cwiseProduct(z).cwiseProduct(dx) - dxdz;
      dw = mu * sinv - wd - sinv.cwiseProduct(wd).cwiseProduct(ds) - dsdw;
      fp = std::min(beta_step * std::min(step_bound(x, dx), step_bound(s, ds)), 1.0);
      fd = std::min(beta_step * std::min(step_bound(wd, dw), step_bound(z, dz)), 1.0);
    }
    x += fp * dx;
    s += fp * ds;
    yd += fd * dy;
    yd_b += fd * dyb;
    wd += fd * dw;
    z += fd * dz;
    gap = c.dot(x) - dual_obj() + wd.dot(u);
  }
  VectorXd theta = -yd;
  double b = icpt ? -yd_b - cvec.dot(theta) : 0.0;
  res.n_iter = it;
  const double f_ip = loss_sum(X, y, w, theta, b, Model::Quantile, tau);
  const double scale = std::max(1.0, std::abs(f_ip));
  res.converged = gap <= std::max(opt.tol, 1e-8) * scale;
  // Crossover: the vertex through the rows with the smallest residuals.
  VectorXd vt;
  double vb = 0;
  bool optimal = false;
  const bool found = visit_matrix(X, [&](const auto& map) {
    return quantile_vertex(map, y, w, opt, theta, b, vt, vb, optimal);
  });
  if (found) {
    const double f_v = loss_sum(X, y, w, vt, vb, Model::Quantile, tau);
    if (optimal || f_v <= f_ip) {
      theta = vt;
      b = vb;
      if (optimal) res.converged = true;
    }
  }
  res.coef = theta;
  res.intercept = b;
  res.objective = loss_sum(X, y, w, theta, b, Model::Quantile, tau);
  res.status = res.converged ? Status::Ok : Status::MaxIter;
  return res;
}

}  // namespace

Result fit_glm(const MatrixView<double>& X, const double* y, const double* w,
                  const Options& opt) {
  if (opt.model == Model::Quantile) return fit_quantile(X, y, w, opt);
  return fit_irls(X, y, w, opt);
}

Result fit_glm(const MatrixView<float>& X, const double* y, const double* w,
                  const Options& opt) {
  if (opt.model == Model::Quantile) return fit_quantile(X, y, w, opt);
  return fit_irls(X, y, w, opt);
}

double glm_objective(const MatrixView<double>& X, const double* y, const double* w,
                     const double* coef, double intercept, const Options& opt) {
  const VectorXd theta = Eigen::Map<const VectorXd>(coef, X.cols);
  return loss_sum(X, y, w, theta, opt.fit_intercept ? intercept : 0.0, opt.model, opt.tau) +
         (opt.model == Model::Quantile ? 0.0 : penalty(theta, opt.l2));
}

// =============================================================================================
// Influence norms.

namespace {

// out_i = |f_i| · sqrt(‖z_i‖² + t_i²), z_i = (x_i − m)∘a + ((x_i − m)ᵀP)Q, t_i = c0 − (x_i − m)ᵀq.
// Empty a: no diagonal part; empty Q: z = (x − m)ᵀP; has_t false: no t.
struct AffineNorm {
  VectorXd m;  // empty: no centring
  VectorXd a;
  MatrixXd P, Q;
  bool has_t = false;
  VectorXd q;
  double c0 = 0;
};

// Diagonal-only case: one sweep in storage order, no temporaries.
template <class Map>
void diag_norms_impl(const Map& X, const AffineNorm& A, const double* f, double* out) {
  const idx n = X.rows(), d = X.cols(), blocks = n_blocks(n);
  const VectorXd m = A.m.size() ? A.m : VectorXd::Zero(d);
  const VectorXd q = A.q.size() ? A.q : VectorXd::Zero(d);
  const double* mp = m.data();
  const double* ap = A.a.data();
  const double* qp = q.data();
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx k = 0; k < blocks; ++k) {
    const idx r0 = k * kRowBlock, len = std::min(kRowBlock, n - r0);
    double nrm[kRowBlock], tt[kRowBlock];
    for (idx i = 0; i < len; ++i) {
      nrm[i] = 0;
      tt[i] = A.c0;
    }
    // Straight from the caller's array: the sums run in a fixed order (8 lanes by column index,
    // then the lanes in order), so the result does not depend on the data's alignment.
    if constexpr (bool(Map::IsRowMajor)) {
      constexpr int L = 8;
      for (idx i = 0; i < len; ++i) {
        const auto* x = X.data() + (r0 + i) * d;
        double s2l[L] = {0}, stl[L] = {0};
        idx j = 0;
        for (; j + L <= d; j += L) {
          for (int l = 0; l < L; ++l) {
            const double v = double(x[j + l]) - mp[j + l];
            const double z = v * ap[j + l];
            s2l[l] += z * z;
            stl[l] += v * qp[j + l];
          }
        }
        for (int l = 0; j < d; ++j, ++l) {
          const double v = double(x[j]) - mp[j];
          const double z = v * ap[j];
          s2l[l] += z * z;
          stl[l] += v * qp[j];
        }
        double s2 = 0, st = 0;
        for (int l = 0; l < L; ++l) {
          s2 += s2l[l];
          st += stl[l];
        }
        nrm[i] = s2;
        tt[i] -= st;
      }
    } else {
      for (idx j = 0; j < d; ++j) {
        const auto* x = X.data() + j * n + r0;
        const double mj = mp[j], aj = ap[j], qj = qp[j];
        for (idx i = 0; i < len; ++i) {
          const double v = double(x[i]) - mj;
          nrm[i] += (v * aj) * (v * aj);
          tt[i] -= v * qj;
        }
      }
    }
    for (idx i = 0; i < len; ++i) {
      const double sq = nrm[i] + (A.has_t ? tt[i] * tt[i] : 0.0);
      out[r0 + i] = std::abs(f[r0 + i]) * std::sqrt(sq);
    }
  }
}

template <class Map>
void affine_norms_impl(const Map& X, const AffineNorm& A, const double* f, double* out) {
  if (A.P.cols() == 0 && A.a.size() == X.cols()) {
    diag_norms_impl(X, A, f, out);
    return;
  }
  const idx n = X.rows(), blocks = n_blocks(n);
  const idx k = A.P.cols();
  const bool tq = A.has_t && A.q.size();
  // One product gives both the dense part and the intercept coupling: [P | −q].
  MatrixXd Pq(X.cols(), k + (tq ? 1 : 0));
  if (k) Pq.leftCols(k) = A.P;
  if (tq) Pq.col(k) = -A.q;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx b = 0; b < blocks; ++b) {
    const idx r0 = b * kRowBlock, len = std::min(kRowBlock, n - r0);
    thread_local MatrixXd Xc, T, Z;
    thread_local VectorXd nrm;
    Xc = X.middleRows(r0, len).template cast<double>();  // aligned copy (see with_shift)
    if (A.m.size()) Xc.rowwise() -= A.m.transpose();
    if (Pq.cols()) T.noalias() = Xc * Pq;
    if (k && A.Q.size()) {
      Z.noalias() = T.leftCols(k) * A.Q;
      if (A.a.size()) Z += Xc * A.a.asDiagonal();
      nrm = Z.rowwise().squaredNorm();
    } else if (A.a.size()) {
      Z = Xc * A.a.asDiagonal();
      if (k) Z += T.leftCols(k);
      nrm = Z.rowwise().squaredNorm();
    } else {
      nrm = T.leftCols(k).rowwise().squaredNorm();
    }
    for (idx i = 0; i < len; ++i) {
      double sq = nrm[i];
      if (A.has_t) {
        const double t = A.c0 + (tq ? T(i, k) : 0.0);
        sq += t * t;
      }
      out[r0 + i] = std::abs(f[r0 + i]) * std::sqrt(sq);
    }
  }
}

// Sketch of D^½ (X − 1 meanᵀ): SRHT of the rows, drawn from opt.key.
MatrixXd centred_sketch(const MatrixView<double>& X, const std::vector<double>& D,
                        const VectorXd& mean, bool center, const InfluenceOptions& opt) {
  const idx n = X.rows, d = X.cols, r = opt.sketch_size;
  const SrhtDraw draw = srht_draw(opt.key, n, r);
  std::vector<double> sgn(n);
  for (idx i = 0; i < n; ++i) sgn[i] = draw.signs[i] * std::sqrt(D[i]);
  RowMajorMatrix SX(r, d);
  srht(X, sgn.data(), draw.rows.data(), r, draw.log2N, SX.data());
  MatrixXd out = SX;
  if (center) {
    std::vector<double> ones(n, 1.0);
    VectorXd s1(r);
    const MatrixView<double> one_col{ones.data(), n, 1, true};
    srht(one_col, sgn.data(), draw.rows.data(), r, draw.log2N, s1.data());
    out -= s1 * mean.transpose();
  }
  return out;
}

MatrixXd centred_sketch(const MatrixView<float>&, const std::vector<double>&, const VectorXd&, bool,
                        const InfluenceOptions&) {
  return MatrixXd();  // unreachable: float32 sketches are refused before (Unsupported)
}

}  // namespace

namespace {
template <class T>
InfluenceResult influence_scores_t(const MatrixView<T>& X, const double* y, const double* coef,
                                const double* w, const InfluenceOptions& opt, double* out) {
  const idx n = X.rows, d = X.cols;
  const bool icpt = opt.fit_intercept;
  const double l2 = opt.l2;
  InfluenceResult info;
  info.rank = d;
  const VectorXd theta = Eigen::Map<const VectorXd>(coef, d);
  // Pass 1 (fused): linear predictor, residual factor f_i, Σ-weights D_i and the moments of Σ
  // (C = C_G + l2 I with C_G the centred Gram with weights D when there is an intercept, the
  // plain weighted Gram otherwise; only its diagonal unless approx is exact).
  std::vector<double> f(n), D(n);
  const bool quantile = opt.model == Model::Quantile;
  const double qscale = quantile ? 1.0 / (opt.tau * (1.0 - opt.tau)) : 1.0;
  const VectorXd abs_theta = theta.cwiseAbs();
  const bool pred = opt.target == Target::Prediction;
  AffineNorm A;
  Moments m = glm_pass(X, y, w, theta, icpt ? opt.intercept : 0.0, nullptr, opt.model, opt.tau,
                       qscale, icpt,
                       opt.approx == Approx::Exact ? GramKind::Full : GramKind::Diag,
                       false, f.data(), D.data(), quantile ? &abs_theta : nullptr);
  if (!m.C.allFinite() || !std::isfinite(m.s) || !m.mean.allFinite()) {
    info.status = Status::NonFinite;  // NaN/inf in X or an overflowing IRLS weight
    return info;
  }
  if (icpt) {
    if (!(m.s > 0)) {
      info.status = Status::Singular;
      return info;
    }
    A.m = m.mean;
    A.has_t = true;
  }
  auto dense = [&](const MatrixXd& CG) -> bool {
    MatrixXd C = CG;
    C.diagonal().array() += l2;
    SpdFactor F;
    F.compute(C);
    info.cond = F.cond;
    if (!F.ok) return false;
    if (!pred) {
      A.P = F.inverse();
      if (icpt) {
        A.q = A.P * m.mean;
        A.c0 = 1.0 / m.s;
      }
    } else {
      if (l2 == 0) {
        A.P = F.inv_sqrt();
      } else {
        Eigen::SelfAdjointEigenSolver<MatrixXd> es(CG);
        VectorXd lam = es.eigenvalues().cwiseMax(0.0);
        A.P = es.eigenvectors() *
              (lam.cwiseSqrt().array() / (lam.array() + l2)).matrix().asDiagonal();
      }
      if (icpt) A.c0 = 1.0 / std::sqrt(m.s);
    }
    return true;
  };
  switch (opt.approx) {
    case Approx::Exact: {
      if (!dense(m.C)) {
        info.status = Status::Singular;
        return info;
      }
      break;
    }
    case Approx::Sketch: {
      const MatrixXd SX = centred_sketch(X, D, m.mean, icpt, opt);
      if (!dense(SX.transpose() * SX)) {
        info.status = Status::Singular;
        return info;
      }
      break;
    }
    case Approx::Diag: {
      const VectorXd g = m.C.col(0);
      const VectorXd cd = g.array() + l2;
      VectorXd a(d);
      for (idx j = 0; j < d; ++j) {
        if (!(cd[j] > 0)) {
          a[j] = 0;  // a column without spread carries no influence in this approximation
        } else {
          a[j] = pred ? std::sqrt(std::max(g[j], 0.0)) / cd[j] : 1.0 / cd[j];
        }
      }
      A.a = a;
      if (icpt) {
        if (!pred) {
          A.q = a.cwiseProduct(m.mean);
          A.c0 = 1.0 / m.s;
        } else {
          A.c0 = 1.0 / std::sqrt(m.s);
        }
      }
      break;
    }
    case Approx::LowRank: {
      const VectorXd S = m.C.col(0).array() + l2;
      VectorXd isq(d);
      for (idx j = 0; j < d; ++j) isq[j] = S[j] > 0 ? 1.0 / std::sqrt(S[j]) : 0.0;
      const MatrixXd SX = centred_sketch(X, D, m.mean, icpt, opt);
      MatrixXd Ch = SX.transpose() * SX;
      Ch.diagonal().array() += l2;
      Ch = isq.asDiagonal() * Ch * isq.asDiagonal();
      Eigen::SelfAdjointEigenSolver<MatrixXd> es(Ch);
      const VectorXd& lam = es.eigenvalues();
      const double lmax = lam.size() ? lam.maxCoeff() : 0.0;
      // Directions where 1/λ − 1 is largest in size (null directions are left out).
      std::vector<idx> idxs;
      for (idx j = 0; j < d; ++j)
        if (lam[j] > lmax * 1e-12) idxs.push_back(j);
      std::sort(idxs.begin(), idxs.end(), [&](idx a1, idx b1) {
        return std::abs(1.0 / lam[a1] - 1.0) > std::abs(1.0 / lam[b1] - 1.0);
      });
      const idx k = std::min<idx>(opt.rank, idx(idxs.size()));
      info.rank = k;
      MatrixXd V(d, k);
      VectorXd E(k);
      for (idx j = 0; j < k; ++j) {
        V.col(j) = es.eigenvectors().col(idxs[j]);
        E[j] = 1.0 / lam[idxs[j]] - 1.0;
      }
      // C⁻¹ ≈ S^-½ (I + V E Vᵀ) S^-½.
      const MatrixXd SV = isq.asDiagonal() * V;
      if (!pred) {
        A.a = isq.cwiseAbs2();
        A.P = SV;
        A.Q = E.asDiagonal() * SV.transpose();
        if (icpt) {
          A.q = A.a.cwiseProduct(m.mean) + SV * (E.asDiagonal() * (SV.transpose() * m.mean));
          A.c0 = 1.0 / m.s;
        }
      } else if (l2 == 0) {
        A.a = isq;
        A.P = SV;
        A.Q = ((E.array() + 1.0).sqrt() - 1.0).matrix().asDiagonal() * V.transpose();
        if (icpt) A.c0 = 1.0 / std::sqrt(m.s);
      } else {
        const MatrixXd Cinv =
            MatrixXd(isq.cwiseAbs2().asDiagonal()) + SV * E.asDiagonal() * SV.transpose();
        const MatrixXd M = Cinv - l2 * Cinv * Cinv;
        Eigen::SelfAdjointEigenSolver<MatrixXd> em(0.5 * (M + M.transpose()));
        A.P = em.eigenvectors() * em.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal();
        if (icpt) A.c0 = 1.0 / std::sqrt(m.s);
      }
      break;
    }
  }
  visit_matrix(X, [&](const auto& map) { affine_norms_impl(map, A, f.data(), out); });
  return info;
}
}  // namespace

InfluenceResult influence_scores(const MatrixView<double>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out) {
  return influence_scores_t(X, y, coef, w, opt, out);
}

InfluenceResult influence_scores(const MatrixView<float>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out) {
  if (opt.approx == Approx::LowRank || opt.approx == Approx::Sketch) {
    InfluenceResult info;
    info.status = Status::Unsupported;  // the SRHT kernel is float64-only
    return info;
  }
  return influence_scores_t(X, y, coef, w, opt, out);
}

}  // namespace pointvalue::glm
