#include "pointvalue/sketch.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "pointvalue/fwht.hpp"
#include "pointvalue/blocking.hpp"
#include "pointvalue/parallel.hpp"
#include "pointvalue/random.hpp"
#include "decompositions.hpp"
#include "matrix_map.hpp"

namespace pointvalue {
namespace {

constexpr idx kRowBlock = 1024;      // rows per Eigen product: a few hundred KB of X
constexpr double kEps = std::numeric_limits<double>::epsilon();

inline RowPartition super_blocks(idx n) { return pointvalue::super_blocks(n, kRowBlock); }

template <class Map>
Eigen::MatrixXd gram_impl(const Map& X, const Eigen::MatrixXd* M) {
  const idx k = M ? M->cols() : X.cols();
  const RowPartition part = super_blocks(X.rows());
  std::vector<Eigen::MatrixXd> partial(part.parts);
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (part.parts > 1)
#endif
  for (idx p = 0; p < part.parts; ++p) errors.run([&] {
    Eigen::MatrixXd G = Eigen::MatrixXd::Zero(k, k);
    Eigen::MatrixXd Y;
    for (idx r0 = part.begin(p); r0 < part.end(p); r0 += kRowBlock) {
      const idx len = std::min(kRowBlock, part.end(p) - r0);
      if (M) {
        Y.noalias() = X.middleRows(r0, len) * (*M);
        G.selfadjointView<Eigen::Lower>().rankUpdate(Y.transpose());
      } else {
        G.selfadjointView<Eigen::Lower>().rankUpdate(X.middleRows(r0, len).transpose());
      }
    }
    partial[p] = std::move(G);
  });
  errors.rethrow();
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(k, k);
  for (const auto& P : partial) G += P;  // block order: same sum for any thread count
  return G.selfadjointView<Eigen::Lower>();
}

template <class Map>
void row_sq_norms_impl(const Map& X, const Eigen::MatrixXd& M, double* out) {
  const idx n = X.rows();
  const idx blocks = (n + kRowBlock - 1) / kRowBlock;
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (blocks > 1)
#endif
  for (idx b = 0; b < blocks; ++b) errors.run([&] {
    const idx r0 = b * kRowBlock, len = std::min(kRowBlock, n - r0);
    const Eigen::MatrixXd Y = X.middleRows(r0, len) * M;
    // Reduce into an aligned temporary: evaluating straight into `out` would let the (varying)
    // alignment of the caller's array change Eigen's vectorized summation order, and with it
    // the last bit of the result.
    const Eigen::VectorXd norms = Y.rowwise().squaredNorm();
    std::copy(norms.data(), norms.data() + len, out + r0);
  });
  errors.rethrow();
}

// The SRHT needs only r of the N rows of H D X. With H_N = H_A ⊗ H_B, blocks of B consecutive
// rows are transformed by H_B inside the cache and only the rows some sampled output needs are
// kept; the outer H_A is applied to the r sampled rows alone. One pass over X and O(N d log B +
// r A d) work instead of O(N d log N) over an N × d buffer.
constexpr int kSrhtLog2Block = 14;
constexpr int kSrhtMaxLog2Outer = 8;  // at most 256 blocks: bounds the kept rows (A × r × d)

template <class Map>
void srht_impl(const Map& X, const double* signs, const std::int64_t* rows, idx r, int log2N,
               double* out) {
  const idx n = X.rows(), d = X.cols();
  const int log2B = std::min(log2N, std::max(kSrhtLog2Block, log2N - kSrhtMaxLog2Outer));
  const idx B = idx(1) << log2B, A = idx(1) << (log2N - log2B);
  std::vector<idx> inner(r);
  for (idx k = 0; k < r; ++k) inner[k] = idx(rows[k]) & (B - 1);
  std::vector<idx> kept(inner);
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  const idx m = idx(kept.size());
  // [block][kept row][column]; left uninitialized: every entry is written below.
  std::unique_ptr<double[]> W(new double[std::size_t(A) * std::size_t(m) * std::size_t(d)]);
  const idx cw = std::min<idx>(d, 64);  // rows of 512 B: long runs of X per row for the prefetcher
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel if (A > 1)
#endif
  {
    std::vector<double> buf;
    errors.run([&] { buf.resize(std::size_t(B) * std::size_t(cw)); });
#if defined(PV_HAVE_OPENMP)
#pragma omp for schedule(dynamic, 1)
#endif
    for (idx a = 0; a < A; ++a) errors.run([&] {
      // All column chunks of a block in a row, so its rows of X are still cached for the next.
      for (idx c0 = 0; c0 < d; c0 += cw) {
        const idx w = std::min(cw, d - c0);
        double* b = buf.data();
        for (idx t = 0; t < B; ++t) {
          const idx i = a * B + t;
          double* bt = b + t * w;
          if (i >= n) {
            std::fill(bt, bt + w, 0.0);
          } else if constexpr (Map::IsRowMajor) {
            const double* xi = X.data() + i * d + c0;
            const double sign = signs[i];
            for (idx j = 0; j < w; ++j) bt[j] = sign * xi[j];
          } else {
            for (idx j = 0; j < w; ++j) bt[j] = signs[i] * X(i, c0 + j);
          }
        }
        fwht_interleaved<double>(b, log2B, w);
        for (idx s = 0; s < m; ++s)
          std::copy_n(b + kept[s] * w, w, W.get() + (a * m + s) * d + c0);
      }
    });
  }
  errors.rethrow();
  const double inv_sqrt_r = 1.0 / std::sqrt(double(r));
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(static) if (r * A * d >= (idx(1) << 18))
#endif
  for (idx k = 0; k < r; ++k) {
    const idx outer = idx(rows[k]) >> log2B;
    const idx s = std::lower_bound(kept.begin(), kept.end(), inner[k]) - kept.begin();
    double* o = out + k * d;
    std::fill(o, o + d, 0.0);
    for (idx a = 0; a < A; ++a) {  // H_A[outer, a] = (−1)^popcount(outer & a)
      const double sign = (__builtin_popcountll((unsigned long long)(outer & a)) & 1) ? -1.0 : 1.0;
      const double* wv = W.get() + (a * m + s) * d;
      for (idx j = 0; j < d; ++j) o[j] += sign * wv[j];
    }
    for (idx j = 0; j < d; ++j) o[j] *= inv_sqrt_r;
  }
}

// Keeps eigen-directions whose eigenvalue exceeds `threshold`; returns V_k Λ_k^{-1/2}.
Eigen::MatrixXd whitening(const Eigen::VectorXd& lambda, const Eigen::MatrixXd& V,
                          double threshold, double shift) {
  std::vector<idx> keep;
  for (idx j = 0; j < lambda.size(); ++j)
    if (lambda[j] > threshold) keep.push_back(j);
  Eigen::MatrixXd W(V.rows(), idx(keep.size()));
  for (idx c = 0; c < idx(keep.size()); ++c)
    W.col(c) = V.col(keep[c]) / std::sqrt(std::max(lambda[keep[c]], 0.0) + shift);
  return W;
}

double condition_of_kept(const Eigen::VectorXd& lambda, double threshold) {
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (idx j = 0; j < lambda.size(); ++j)
    if (lambda[j] > threshold) {
      lo = std::min(lo, lambda[j]);
      hi = std::max(hi, lambda[j]);
    }
  return hi > 0 ? hi / lo : 1.0;
}

// Leverage of a wide X (n ≤ d) from the thin SVD of X S (S equilibrates the columns): the squared
// row norms of the left singular vectors whose σ exceeds rcond·σ_max.
template <class Map>
LeverageResult leverage_wide_impl(const Map& X, double rcond, double* out) {
  const idx n = X.rows(), d = X.cols();
  Eigen::VectorXd scale = X.colwise().norm().transpose();
  for (idx j = 0; j < d; ++j) scale[j] = scale[j] > 0 ? 1.0 / scale[j] : 0.0;
  const Eigen::MatrixXd Xs = X * scale.asDiagonal();
  Eigen::BDCSVD<Eigen::MatrixXd> svd(Xs, Eigen::ComputeThinU);
  const Eigen::VectorXd& sigma = svd.singularValues();
  const double cut = sigma.size() ? rcond * sigma[0] : 0.0;
  idx k = 0;
  while (k < sigma.size() && sigma[k] > cut && sigma[k] > 0) ++k;
  const Eigen::VectorXd lev = svd.matrixU().leftCols(k).rowwise().squaredNorm();
  std::copy(lev.data(), lev.data() + n, out);
  return {k, 1};
}

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument(what); }

}  // namespace

SrhtDraw srht_draw(std::uint64_t key, idx n, idx r) {
  SrhtDraw draw;
  while ((idx(1) << draw.log2N) < n) ++draw.log2N;
  const idx N = idx(1) << draw.log2N;
  if (r < 1 || r > N)
    invalid("sketch_size must be in [1, " + std::to_string(N) + "], got " + std::to_string(r));
  const std::uint64_t sign_key = random::subkey(key, 0), row_key = random::subkey(key, 1);
  draw.signs.resize(std::size_t(n));
  for (idx i = 0; i < n; ++i) draw.signs[std::size_t(i)] = random::sign(sign_key, std::uint64_t(i));
  draw.rows = random::choice(row_key, N, r);
  return draw;
}

void srht(const MatrixView<double>& X, std::uint64_t key, idx r, double* out) {
  const SrhtDraw draw = srht_draw(key, X.rows, r);
  srht(X, draw.signs.data(), draw.rows.data(), r, draw.log2N, out);
}

LeverageResult leverage_sketched(const MatrixView<double>& X, const SketchOptions& opt,
                                 double* out) {
  const idx d = X.cols;
  if (opt.sketch_size < d)
    invalid("sketch_size must be at least the number of columns d=" + std::to_string(d));
  RowMajorMatrix SX(opt.sketch_size, d);
  srht(X, opt.key, opt.sketch_size, SX.data());
  std::vector<double> omega;
  if (opt.jl_dim > 0) {
    // Ω (d × jl_dim, row-major) with N(0, 1/jl_dim) entries, from its own sub-stream.
    const std::uint64_t jl_key = random::subkey(opt.key, 2);
    const double s = 1.0 / std::sqrt(double(opt.jl_dim));
    omega.resize(std::size_t(d * opt.jl_dim));
    for (std::size_t i = 0; i < omega.size(); ++i) omega[i] = s * random::normal(jl_key, i);
  }
  return leverage_from_sketch(X, SX.data(), opt.sketch_size, omega.empty() ? nullptr : omega.data(),
                              opt.jl_dim, opt.rcond, out);
}

namespace {

// (X M)ᵀ (X M), or XᵀX when M is null: the full symmetric matrix.
Eigen::MatrixXd gram_matrix(const MatrixView<double>& X, const Eigen::MatrixXd* M = nullptr) {
  return visit_matrix(X, [&](const auto& map) { return gram_impl(map, M); });
}

// out[i] = ‖x_iᵀ M‖².
void row_sq_norms(const MatrixView<double>& X, const Eigen::MatrixXd& M, double* out) {
  visit_matrix(X, [&](const auto& map) { row_sq_norms_impl(map, M, out); });
}

}  // namespace

void gram(const MatrixView<double>& X, double* out) {
  Eigen::Map<RowMajorMatrix>(out, X.cols, X.cols) = gram_matrix(X);
}

void srht(const MatrixView<double>& X, const double* signs, const std::int64_t* rows, idx r,
          int log2N, double* out) {
  visit_matrix(X, [&](const auto& map) { srht_impl(map, signs, rows, r, log2N, out); });
}

LeverageResult leverage_exact(const MatrixView<double>& X, double rcond, double* out) {
  const idx n = X.rows, d = X.cols;
  if (n <= d) {
    LeverageResult r;
    visit_matrix(X, [&](const auto& map) { r = leverage_wide_impl(map, rcond, out); });
    return r;
  }
  constexpr double kWellConditioned = 1e4;  // one more pass then leaves errors ~1e4·ε
  const Eigen::MatrixXd G0 = gram_matrix(X);
  // Leverage is invariant to column scaling: equilibrate so rank and conditioning are judged on
  // the shape of X, not its units.
  Eigen::VectorXd scale(d);
  for (idx j = 0; j < d; ++j) scale[j] = G0(j, j) > 0 ? 1.0 / std::sqrt(G0(j, j)) : 0.0;
  const Eigen::MatrixXd G1 = scale.asDiagonal() * G0 * scale.asDiagonal();
  const SymmetricEigen eig = symmetric_eigen(G1);
  const Eigen::VectorXd& lam = eig.values;
  const double lam_max = lam.size() ? lam.maxCoeff() : 0.0;
  if (!(lam_max > 0)) {
    std::fill(out, out + n, 0.0);
    return {0, 1};
  }
  Eigen::MatrixXd M;
  if (lam.minCoeff() > lam_max / kWellConditioned) {
    M = scale.asDiagonal() * whitening(lam, eig.vectors, 0.0, 0.0);
    row_sq_norms(X, M, out);
    return {M.cols(), 1};
  }
  // Shifted first step (shifted CholeskyQR): bounded conditioning for the next Gram pass.
  const double shift = 11.0 * kEps * double(n * d + d * (d + 1)) * lam_max;
  M = scale.asDiagonal() * whitening(lam, eig.vectors, -1.0, shift);
  const double rel_shift = shift / lam_max;
  const double r2 = rcond * rcond;
  double threshold = r2 / (r2 + rel_shift);  // eigenvalue of a direction with σ = rcond·σ_max
  int passes = 1;
  for (; passes < 4; ++passes) {
    const Eigen::MatrixXd G = gram_matrix(X, &M);
    const SymmetricEigen e = symmetric_eigen(G);
    const double top = e.values.size() ? e.values.maxCoeff() : 0.0;
    const double thr = top * threshold;
    const double kappa = condition_of_kept(e.values, thr);
    M = M * whitening(e.values, e.vectors, thr, 0.0);
    threshold = 100 * kEps * double(d);  // later passes only guard against rounding noise
    if (kappa <= kWellConditioned || M.cols() == 0) break;
  }
  if (M.cols() == 0) {
    std::fill(out, out + n, 0.0);
    return {0, passes + 1};
  }
  row_sq_norms(X, M, out);
  return {M.cols(), passes + 1};
}

LeverageResult leverage_from_sketch(const MatrixView<double>& X, const double* sketch, idx r,
                                  const double* jl, idx jl_dim, double rcond, double* out) {
  const idx d = X.cols;
  Eigen::Map<const RowMajorMatrix> SX(sketch, r, d);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(SX);
  const Eigen::MatrixXd R = qr.matrixQR().topRows(d).triangularView<Eigen::Upper>();
  // R⁻¹ through the SVD of R: the same column space, and rank deficiency is visible in σ.
  Eigen::BDCSVD<Eigen::MatrixXd> svd(R, Eigen::ComputeFullV);
  const Eigen::VectorXd& sigma = svd.singularValues();
  const double cut = sigma.size() ? rcond * sigma[0] : 0.0;
  idx k = 0;
  while (k < sigma.size() && sigma[k] > cut) ++k;
  Eigen::MatrixXd P = svd.matrixV().leftCols(k) * sigma.head(k).cwiseInverse().asDiagonal();
  if (jl) {
    Eigen::Map<const RowMajorMatrix> omega(jl, d, jl_dim);
    P = P * omega.topRows(k);
  }
  row_sq_norms(X, P, out);
  return {k, 1};
}

}  // namespace pointvalue
