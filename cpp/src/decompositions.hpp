// Dense d×d decompositions that several kernel families use, compiled once per ISA level in
// decompositions.cpp. Eigen's decompositions are among the costliest templates to compile, and
// every file that names one compiles it again (SelfAdjointEigenSolver was in four files).
#pragma once
#include <Eigen/Core>

namespace pointvalue {

// Eigenvalues (ascending) and, unless values_only, orthonormal eigenvectors (the columns of
// `vectors`) of the symmetric matrix A; only A's lower triangle is read.
struct SymmetricEigen {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
};

SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A, bool values_only = false);

}  // namespace pointvalue
