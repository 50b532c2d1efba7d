#include "decompositions.hpp"

#include <Eigen/Eigenvalues>

namespace pointvalue {

SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A, bool values_only) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(
      A, values_only ? Eigen::EigenvaluesOnly : Eigen::ComputeEigenvectors);
  SymmetricEigen out;
  out.values = es.eigenvalues();
  if (!values_only) out.vectors = es.eigenvectors();
  return out;
}

}  // namespace pointvalue
