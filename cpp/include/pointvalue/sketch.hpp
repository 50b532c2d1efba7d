// Sketching kernels: deterministic Gram matrices, the subsampled randomized Hadamard transform
// (SRHT) and statistical leverage scores (exact and sketched).
//
// Determinism: row blocks are fixed by the data size, never by the thread count, and partial sums
// are added in block order, so results are bitwise identical for any number of threads.
#pragma once
#include <Eigen/Core>
#include <cstdint>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

// (X M)ᵀ (X M), or XᵀX when M is null. Returns the full symmetric matrix.
Eigen::MatrixXd gram(const MatrixView<double>& X, const Eigen::MatrixXd* M = nullptr);

// out[i] = ‖x_iᵀ M‖².
void row_sq_norms(const MatrixView<double>& X, const Eigen::MatrixXd& M, double* out);

// S X with S = P H D / sqrt(r): D = diag(signs) on the first n of N = 2^log2N rows (the rest are
// zero padding), H the unnormalized Hadamard matrix, P picks `rows` (r of them). E[SᵀS] = I when
// rows are drawn uniformly. `out` is r × d, row-major.
void srht(const MatrixView<double>& X, const double* signs, const std::int64_t* rows, idx r,
          int log2N, double* out);

struct LeverageInfo {
  idx rank;    // numerical rank used
  int passes;  // passes over X after the first Gram (1 = plain Cholesky-type route)
};

// Exact leverage scores: squared row norms of an orthonormal basis of range(X).
// Columns are equilibrated, then a Gram pass is repeated (shifted in the first, CholeskyQR2/3
// style) until the Gram matrix of the current basis is well conditioned; directions whose
// singular value is ≤ rcond·σ_max of the equilibrated X are treated as null.
LeverageInfo leverage_exact(const MatrixView<double>& X, double rcond, double* out);

// Leverage from a sketch S X (r × d, row-major): R from its QR, then ‖x_iᵀ R⁻¹ Ω‖² with the
// Gaussian JL matrix Ω (d × jl_dim, row-major; null for no projection).
LeverageInfo leverage_from_sketch(const MatrixView<double>& X, const double* sketch, idx r,
                                  const double* jl, idx jl_dim, double rcond, double* out);

}  // namespace pointvalue
