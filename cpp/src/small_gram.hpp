// Gram matrices ZᵀZ of tall, narrow row blocks (a few thousand rows, up to a few hundred columns):
// the base fits of the refit kernels. A general SYRK spends as long packing such a block as
// multiplying it; here Z is stored row-major with its width padded to a multiple of 8 (zeros),
// so one 8-wide vector of a row times 8 broadcast entries of the same row updates an 8 × 8 tile
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

// The full symmetric p × p Gram matrix of the first n rows of Z (row-major, Z.cols() a multiple
// of 8 with zero columns beyond p).
inline Eigen::MatrixXd small_gram(const RowMatrixXd& Z, idx n, idx p) {
  const idx P = Z.cols();
#if defined(PV_HAVE_VECTOR_EXT)
  using simd::v8d;
  RowMatrixXd G = RowMatrixXd::Zero(P, P);  // upper 8 × 8 tiles filled
  const idx chunk = std::max<idx>(8, 3072 / P);  // ≈ 24 KiB of rows per chunk
  for (idx r0 = 0; r0 < n; r0 += chunk) {
    const idx r1 = std::min(n, r0 + chunk);
    for (idx j0 = 0; j0 < P; j0 += 8)
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
  }
  return G.topLeftCorner(p, p).selfadjointView<Eigen::Upper>();
#else
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(p, p);
  out.selfadjointView<Eigen::Lower>().rankUpdate(Z.topLeftCorner(n, p).transpose());
  return out.selfadjointView<Eigen::Lower>();
#endif
}

}  // namespace pointvalue::detail
