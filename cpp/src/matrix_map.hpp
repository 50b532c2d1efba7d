// Eigen maps of a MatrixView (kernel side only: the bindings never see Eigen, see CMakeLists.txt).
#pragma once
#include <Eigen/Core>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Calls f(map) with an Eigen::Map of the right storage order.
template <class T, class F>
decltype(auto) visit_matrix(const MatrixView<T>& X, F&& f) {
  using RM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CM = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  if (X.row_major) return f(Eigen::Map<const RM>(X.data, X.rows, X.cols));
  return f(Eigen::Map<const CM>(X.data, X.rows, X.cols));
}

}  // namespace pointvalue
