// Internals shared by the glm solvers and the influence norms: row-wise model terms, the
// deterministic passes over X (moments, fused GLM passes, losses) and small dense factorizations.
// Not part of the public headers.
#pragma once
#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <utility>
#include <vector>

#include "pointvalue/blocking.hpp"
#include "pointvalue/glm.hpp"
#include "pointvalue/parallel.hpp"
#include "decompositions.hpp"
#include "matrix_map.hpp"

namespace pointvalue::glm::detail {


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
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx k = 0; k < blocks; ++k) errors.run([&] {
    const idx r0 = k * kRowBlock, len = std::min(kRowBlock, n - r0);
    Eigen::Map<VectorXd> e(eta + r0, len);
    with_shift(X.middleRows(r0, len), shift, [&](const auto& Xb) { e.noalias() = Xb * theta; });
    e.array() += b;
  });
  errors.rethrow();
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

inline void merge_moments(Moments& a, const Moments& b, bool center, GramKind kind) {
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
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx p = 0; p < part.parts; ++p) errors.run([&] {
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
  });
  errors.rethrow();
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
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx p = 0; p < part.parts; ++p) errors.run([&] {
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
  });
  errors.rethrow();
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
struct SpdFactor {  // members defined in glm.cpp: the LLT is compiled there, not in every solver file
  VectorXd sc;
  Eigen::LLT<MatrixXd> llt;
  bool ok = false;
  double cond = kInf;

  void compute(const MatrixXd& A);
  VectorXd solve(const VectorXd& b) const;
  MatrixXd inverse() const;
  // P with P Pᵀ = A⁻¹ (P = S L⁻ᵀ).
  MatrixXd inv_sqrt() const;
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

inline double penalty(const VectorXd& theta, double l2) { return 0.5 * l2 * theta.squaredNorm(); }

inline double weighted_mean(const double* y, const double* w, idx n) {
  double sw = 0, sy = 0;
  for (idx i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    sw += wi;
    sy += wi * y[i];
  }
  return sw > 0 ? sy / sw : 0.0;
}

// A fit as the solvers build it: the coefficients in an Eigen vector (glm.cpp copies them into
// the Result the bindings see).
struct Fit : FitInfo {
  VectorXd coef;
};

// The solvers (glm_irls.cpp, glm_quantile.cpp), instantiated for float64 and float32 X.
template <class T>
Fit fit_irls(const MatrixView<T>& X, const double* y, const double* w, const Options& opt);
template <class T>
Fit fit_quantile(const MatrixView<T>& X, const double* y, const double* w, const Options& opt);

}  // namespace pointvalue::glm::detail
