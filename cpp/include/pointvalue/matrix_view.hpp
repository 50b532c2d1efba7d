// A read-only view of a dense matrix in either memory order, so kernels take numpy arrays in
// C or Fortran order without a copy.
#pragma once
#include <Eigen/Core>
#include <cstddef>

namespace pointvalue {

using idx = std::ptrdiff_t;
using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
struct MatrixView {
  const T* data;
  idx rows;
  idx cols;
  bool row_major;
};

// Calls f(map) with an Eigen::Map of the right storage order.
template <class T, class F>
decltype(auto) visit_matrix(const MatrixView<T>& X, F&& f) {
  using RM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  if (X.row_major) return f(Eigen::Map<const RM>(X.data, X.rows, X.cols));
  return f(Eigen::Map<const CM>(X.data, X.rows, X.cols));
}

}  // namespace pointvalue
