// Gram matrices ZᵀZ of tall, narrow row blocks (a few thousand rows, up to a few hundred columns):
// the base fits of the refit kernels. A general SYRK spends as long packing such a block as
// multiplying it; here Z is stored row-major with its width padded to a multiple of 8, so one
// 8-wide vector of a row times 8 broadcast entries of the same row updates an 8 × 8 tile
// of G held in registers, with no packing. Rows go in chunks that stay in L1 while every tile of
// the upper triangle passes over them. The summation order is fixed: results do not depend on
// alignment or threads.
#pragma once
#include <Eigen/Core>
#include <algorithm>

#include "fwht_simd.hpp"  // the 64-byte vector type and its unaligned load / store
#include "pointvalue/matrix_view.hpp"

namespace pointvalue::detail {

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Width of a padded row block for p columns.
inline idx padded_width(idx p) { return (p + 7) / 8 * 8; }

// The full symmetric p × p Gram matrix of the first n rows of Z (row-major, Z.cols() ≥ p a
// multiple of 8). The first m = 8⌊p/8⌋ columns go through 8 × 8 register tiles; the t = p − m < 8
// tail columns (the intercept and the response, typically) through vector strips
// G[j, 0:m] = Σ_r z_rj z_r[0:m] and scalar sums, so that no lane is spent on padding.
inline Eigen::MatrixXd small_gram(const RowMatrixXd& Z, idx n, idx p) {
  const idx P = Z.cols();
#if defined(PV_HAVE_VECTOR_EXT)
  using simd::v8d;
  const idx m = p / 8 * 8;
  RowMatrixXd G = RowMatrixXd::Zero(P, P);  // tiles: upper part of G[0:m, 0:m]; tails: rows m..p
  const idx chunk = std::max<idx>(8, 3072 / P);  // ≈ 24 KiB of rows per chunk
  for (idx r0 = 0; r0 < n; r0 += chunk) {
    const idx r1 = std::min(n, r0 + chunk);
    for (idx j0 = 0; j0 < m; j0 += 8)
      for (idx i0 = 0; i0 <= j0; i0 += 8) {
        v8d acc[8];
        for (int u = 0; u < 8; ++u) acc[u] = simd::load(&G(i0 + u, j0));
        for (idx r = r0; r < r1; ++r) {
          const double* z = Z.data() + r * P;
          const v8d v = simd::load(z + j0);
          for (int u = 0; u < 8; ++u) acc[u] += z[i0 + u] * v;
        }
        for (int u = 0; u < 8; ++u) simd::store(&G(i0 + u, j0), acc[u]);
      }
    for (idx j = m; j < p; ++j) {
      for (idx i0 = 0; i0 < m; i0 += 64) {  // up to 8 vectors of the strip at a time
        const int nv = int(std::min<idx>(8, (m - i0) / 8));
        v8d acc[8];
        for (int u = 0; u < nv; ++u) acc[u] = simd::load(&G(j, i0 + 8 * u));
        for (idx r = r0; r < r1; ++r) {
          const double* z = Z.data() + r * P;
          const double zj = z[j];
          for (int u = 0; u < nv; ++u) acc[u] += zj * simd::load(z + i0 + 8 * u);
        }
        for (int u = 0; u < nv; ++u) simd::store(&G(j, i0 + 8 * u), acc[u]);
      }
      for (idx i = m; i <= j; ++i) {
        double acc = G(j, i);
        for (idx r = r0; r < r1; ++r) acc += Z(r, i) * Z(r, j);
        G(j, i) = acc;
      }
    }
  }
  Eigen::MatrixXd out(p, p);
  out.topLeftCorner(m, m) = G.topLeftCorner(m, m).selfadjointView<Eigen::Upper>();
  for (idx j = m; j < p; ++j)
    for (idx i = 0; i <= j; ++i) out(i, j) = out(j, i) = G(j, i);
  return out;
#else
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(p, p);
  out.selfadjointView<Eigen::Lower>().rankUpdate(Z.topLeftCorner(n, p).transpose());
  return out.selfadjointView<Eigen::Lower>();
#endif
}

}  // namespace pointvalue::detail
