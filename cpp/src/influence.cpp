// Norms of per-row influence functions (Ting & Brochu, NeurIPS 2018): exact, diagonal, low-rank
// and sketched forms of Σ⁻¹, then one blocked pass over the rows.
#include <stdexcept>
#include <string>

#include "decompositions.hpp"
#include "glm_detail.hpp"
#include "pointvalue/sketch.hpp"

namespace pointvalue::glm {
namespace {

using namespace detail;
using Eigen::MatrixXd;
using Eigen::VectorXd;

// InfluenceMoments (the Eigen-free seam: row-major std::vectors) to and from Eigen.
VectorXd eigen_vector(const std::vector<double>& v) {
  return Eigen::Map<const VectorXd>(v.data(), idx(v.size()));
}

MatrixXd eigen_matrix(const std::vector<double>& data, idx rows, idx cols) {
  return Eigen::Map<const RowMajorMatrix>(data.data(), rows, cols);
}

std::vector<double> seam_vector(const VectorXd& v) { return {v.data(), v.data() + v.size()}; }

void seam_matrix(const MatrixXd& M, std::vector<double>& data, idx& rows, idx& cols) {
  rows = M.rows(), cols = M.cols();
  data.resize(std::size_t(rows * cols));
  Eigen::Map<RowMajorMatrix>(data.data(), rows, cols) = M;
}

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
  ParallelErrors errors;  // the thread_local temporaries below allocate
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx b = 0; b < blocks; ++b) errors.run([&] {
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
  });
  errors.rethrow();
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


// What every form of Σ⁻¹ needs: the options, the moments of the first pass, the shape.
struct Setup {
  const InfluenceOptions& opt;
  const Moments& m;
  idx d;
  bool pred, icpt;
  double l2;
};

// A of a dense Σ = CG + l2 I (exact, or the sketch's Gram); false when Σ is singular.
bool dense_affine(const Setup& s, const MatrixXd& CG, AffineNorm& A, InfluenceResult& info) {
  const bool pred = s.pred, icpt = s.icpt;
  const double l2 = s.l2;
  const Moments& m = s.m;
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
      const SymmetricEigen es = symmetric_eigen(CG);
      VectorXd lam = es.values.cwiseMax(0.0);
      A.P = es.vectors *
            (lam.cwiseSqrt().array() / (lam.array() + l2)).matrix().asDiagonal();
    }
    if (icpt) A.c0 = 1.0 / std::sqrt(m.s);
  }
  return true;
}

// A of the Jacobi approximation (Σ and G replaced by their diagonals).
void diag_affine(const Setup& s, AffineNorm& A) {
  const idx d = s.d;
  const bool pred = s.pred, icpt = s.icpt;
  const double l2 = s.l2;
  const Moments& m = s.m;
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
}

// A of S^½(I − V D Vᵀ)S^½ from the sketch SX: the corrected directions V (d × rank).
void lowrank_affine(const Setup& s, const MatrixXd& SX, AffineNorm& A, InfluenceResult& info) {
  const idx d = s.d;
  const bool pred = s.pred, icpt = s.icpt;
  const double l2 = s.l2;
  const Moments& m = s.m;
  const InfluenceOptions& opt = s.opt;
  const VectorXd S = m.C.col(0).array() + l2;
  VectorXd isq(d);
  for (idx j = 0; j < d; ++j) isq[j] = S[j] > 0 ? 1.0 / std::sqrt(S[j]) : 0.0;
  MatrixXd Ch = SX.transpose() * SX;
  Ch.diagonal().array() += l2;
  Ch = isq.asDiagonal() * Ch * isq.asDiagonal();
  const SymmetricEigen es = symmetric_eigen(Ch);
  const VectorXd& lam = es.values;
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
    V.col(j) = es.vectors.col(idxs[j]);
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
    const SymmetricEigen em = symmetric_eigen(0.5 * (M + M.transpose()));
    A.P = em.vectors * em.values.cwiseMax(0.0).cwiseSqrt().asDiagonal();
    if (icpt) A.c0 = 1.0 / std::sqrt(m.s);
  }
}

// The moments a chunk contributes (given is null), or only f and D with the moments `given`.
template <class T>
Moments influence_pass(const MatrixView<T>& X, const double* y, const VectorXd& theta,
                       const double* w, const InfluenceOptions& opt, bool given, double* f,
                       double* D) {
  const bool quantile = opt.model == Model::Quantile;
  const double qscale = quantile ? 1.0 / (opt.tau * (1.0 - opt.tau)) : 1.0;
  const VectorXd abs_theta = theta.cwiseAbs();
  const bool icpt = opt.fit_intercept;
  const GramKind kind =
      given ? GramKind::None : (opt.approx == Approx::Exact ? GramKind::Full : GramKind::Diag);
  return glm_pass(X, y, w, theta, icpt ? opt.intercept : 0.0, nullptr, opt.model, opt.tau, qscale,
                  icpt && !given, kind, false, f, D, quantile ? &abs_theta : nullptr);
}

template <class T>
InfluenceResult influence_scores_t(const MatrixView<T>& X, const double* y, const double* coef,
                                const double* w, const InfluenceOptions& opt,
                                const InfluenceMoments* given, double* out) {
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
  const bool pred = opt.target == Target::Prediction;
  AffineNorm A;
  Moments m = influence_pass(X, y, theta, w, opt, given != nullptr, f.data(), D.data());
  if (given) {  // Σ of all rows (chunked data): this chunk only supplies f
    m.s = given->s;
    m.mean = eigen_vector(given->mean);
    m.C = eigen_matrix(given->C, given->C_rows, given->C_cols);
  }
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
  const Setup setup{opt, m, d, pred, icpt, l2};
  switch (opt.approx) {
    case Approx::Exact:
      if (!dense_affine(setup, m.C, A, info)) info.status = Status::Singular;
      break;
    case Approx::Sketch: {
      const MatrixXd SX = centred_sketch(X, D, m.mean, icpt, opt);
      if (!dense_affine(setup, SX.transpose() * SX, A, info)) info.status = Status::Singular;
      break;
    }
    case Approx::Diag:
      diag_affine(setup, A);
      break;
    case Approx::LowRank:
      lowrank_affine(setup,
                     given ? eigen_matrix(given->sketch, given->sketch_rows, given->sketch_cols)
                           : centred_sketch(X, D, m.mean, icpt, opt),
                     A, info);
      break;
  }
  if (info.status != Status::Ok) return info;
  visit_matrix(X, [&](const auto& map) { affine_norms_impl(map, A, f.data(), out); });
  return info;
}
}  // namespace

InfluenceResult influence_scores(const MatrixView<double>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out) {
  return influence_scores_t(X, y, coef, w, opt, nullptr, out);
}

InfluenceResult influence_scores(const MatrixView<float>& X, const double* y, const double* coef,
                              const double* w, const InfluenceOptions& opt, double* out) {
  if (opt.approx == Approx::LowRank || opt.approx == Approx::Sketch) {
    InfluenceResult info;
    info.status = Status::Unsupported;  // the SRHT kernel is float64-only
    return info;
  }
  return influence_scores_t(X, y, coef, w, opt, nullptr, out);
}

// ---------------------------------------------------------------------------------------------
// Chunked data: per-chunk moments, their merge, and scores with given moments.

namespace {

bool additive(const InfluenceOptions& opt) {
  return opt.approx == Approx::Exact || opt.approx == Approx::Diag;
}

void check_given(const InfluenceMoments& g, idx d, const InfluenceOptions& opt) {
  if (opt.approx == Approx::Sketch)
    throw std::invalid_argument("given moments need approx exact, diag or lowrank");
  if (opt.approx == Approx::LowRank && (g.sketch_cols != d || g.sketch_rows < 1 ||
                                        g.sketch.size() != std::size_t(g.sketch_rows * d)))
    throw std::invalid_argument("approx lowrank needs the moments' sketch factor (k × d, k ≥ 1)");
  const idx cols = opt.approx == Approx::Exact ? d : 1;
  if (idx(g.mean.size()) != d || g.C_rows != d || g.C_cols != cols ||
      g.C.size() != std::size_t(d * cols))
    throw std::invalid_argument("the moments do not match X's columns and approx (mean: d, C: " +
                                std::string(opt.approx == Approx::Exact ? "d × d" : "d × 1") + ")");
}

template <class T>
InfluenceMoments influence_moments_t(const MatrixView<T>& X, const double* y, const double* coef,
                                     const double* w, const InfluenceOptions& opt) {
  InfluenceMoments out;
  if (!additive(opt)) {
    out.status = Status::Unsupported;
    return out;
  }
  const idx n = X.rows, d = X.cols;
  const VectorXd theta = Eigen::Map<const VectorXd>(coef, d);
  std::vector<double> f(n), D(n);
  Moments m = influence_pass(X, y, theta, w, opt, false, f.data(), D.data());
  out.s = m.s;
  out.mean = seam_vector(m.mean);
  seam_matrix(m.C, out.C, out.C_rows, out.C_cols);
  bool finite = m.C.allFinite() && std::isfinite(m.s) && m.mean.allFinite();
  for (idx i = 0; finite && i < n; ++i) finite = std::isfinite(f[i]);
  if (!finite) out.status = Status::NonFinite;
  return out;
}

}  // namespace

InfluenceMoments influence_moments(const MatrixView<double>& X, const double* y, const double* coef,
                                   const double* w, const InfluenceOptions& opt) {
  return influence_moments_t(X, y, coef, w, opt);
}

InfluenceMoments influence_moments(const MatrixView<float>& X, const double* y, const double* coef,
                                   const double* w, const InfluenceOptions& opt) {
  return influence_moments_t(X, y, coef, w, opt);
}

InfluenceMoments merge_influence_moments(const InfluenceMoments& a, const InfluenceMoments& b,
                                         const InfluenceOptions& opt) {
  const idx d = a.mean.size();
  if (!additive(opt)) throw std::invalid_argument("moments merge for approx exact or diag");
  check_given(a, d, opt);
  check_given(b, d, opt);
  Moments ma, mb;
  ma.s = a.s, ma.mean = eigen_vector(a.mean), ma.C = eigen_matrix(a.C, a.C_rows, a.C_cols);
  mb.s = b.s, mb.mean = eigen_vector(b.mean), mb.C = eigen_matrix(b.C, b.C_rows, b.C_cols);
  merge_moments(ma, mb, opt.fit_intercept,
                opt.approx == Approx::Exact ? GramKind::Full : GramKind::Diag);
  InfluenceMoments out;
  out.s = ma.s;
  out.mean = seam_vector(ma.mean);
  // merge_moments updates the lower triangle only (its rank update); keep C symmetric
  if (opt.approx == Approx::Exact) ma.C = MatrixXd(ma.C.selfadjointView<Eigen::Lower>());
  seam_matrix(ma.C, out.C, out.C_rows, out.C_cols);
  out.status = a.status == Status::Ok ? b.status : a.status;
  return out;
}

InfluenceResult influence_scores(const MatrixView<double>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt,
                                 const InfluenceMoments& given, double* out) {
  check_given(given, X.cols, opt);
  return influence_scores_t(X, y, coef, w, opt, &given, out);
}

InfluenceResult influence_scores(const MatrixView<float>& X, const double* y, const double* coef,
                                 const double* w, const InfluenceOptions& opt,
                                 const InfluenceMoments& given, double* out) {
  check_given(given, X.cols, opt);
  return influence_scores_t(X, y, coef, w, opt, &given, out);
}

}  // namespace pointvalue::glm
