// Sketching kernels: deterministic Gram matrices, the subsampled randomized Hadamard transform
// (SRHT) and statistical leverage scores (exact and sketched).
//
// Determinism: row blocks are fixed by the data size, never by the thread count, and partial sums
// are added in block order, so results are bitwise identical for any number of threads.
#pragma once
#include <cstdint>
#include <vector>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

// XᵀX, the full symmetric d × d matrix, row-major into `out`.
void gram(const MatrixView<double>& X, double* out);

// S X with S = P H D / sqrt(r): D = diag(signs) on the first n of N = 2^log2N rows (the rest are
// zero padding), H the unnormalized Hadamard matrix, P picks `rows` (r of them). E[SᵀS] = I when
// rows are drawn uniformly. `out` is r × d, row-major.
void srht(const MatrixView<double>& X, const double* signs, const std::int64_t* rows, idx r,
          int log2N, double* out);

// The SRHT's randomness: signs of the n rows and `rows`, sorted distinct rows of the padded
// length N = 2^log2N ≥ n, drawn from `key` (random.hpp). Throws std::invalid_argument unless
// 1 ≤ r ≤ N.
struct SrhtDraw {
  std::vector<double> signs;
  std::vector<std::int64_t> rows;
  int log2N = 0;
};
SrhtDraw srht_draw(std::uint64_t key, idx n, idx r);

// S X for the draw of `key` (r × d, row-major into `out`).
void srht(const MatrixView<double>& X, std::uint64_t key, idx r, double* out);

struct LeverageResult {
  idx rank = 0;    // numerical rank used
  int passes = 0;  // passes over X after the first Gram (1 = plain Cholesky-type route)
};

// Exact leverage scores: squared row norms of an orthonormal basis of range(X).
// Columns are equilibrated, then a Gram pass is repeated (shifted in the first, CholeskyQR2/3
// style) until the Gram matrix of the current basis is well conditioned; directions whose
// singular value is ≤ rcond·σ_max of the equilibrated X are treated as null.
// Wide input (n ≤ d) is handled by the SVD of the column-equilibrated rows instead: the leverage
// of a full-row-rank X is then 1 to rounding, whatever the conditioning of XᵀX.
LeverageResult leverage_exact(const MatrixView<double>& X, double rcond, double* out);

// Leverage from a sketch S X (r × d, row-major): R from its QR, then ‖x_iᵀ R⁻¹ Ω‖² with the
// Gaussian JL matrix Ω (d × jl_dim, row-major; null for no projection).
LeverageResult leverage_from_sketch(const MatrixView<double>& X, const double* sketch, idx r,
                                    const double* jl, idx jl_dim, double rcond, double* out);

struct SketchOptions {
  idx sketch_size = 0;    // SRHT rows, d ≤ sketch_size ≤ 2^⌈log2 n⌉
  idx jl_dim = 0;         // columns of the Gaussian JL projection (0: none)
  double rcond = 0.0;     // rank tolerance relative to the largest singular value of S X
  std::uint64_t key = 0;  // random key of the SRHT and of the JL matrix
};

// Sketched leverage: the SRHT of X and the JL matrix drawn from opt.key, then
// leverage_from_sketch. Throws std::invalid_argument for a sketch_size outside [d, N].
LeverageResult leverage_sketched(const MatrixView<double>& X, const SketchOptions& opt,
                                 double* out);

}  // namespace pointvalue
