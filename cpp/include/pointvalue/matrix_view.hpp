// A read-only view of a dense matrix in either memory order, so kernels take numpy arrays in
// C or Fortran order without a copy. Eigen-free: the bindings include it, and they are compiled
// once for every ISA variant (see CMakeLists.txt); the Eigen maps are in cpp/src/matrix_map.hpp.
#pragma once
#include <cstddef>

namespace pointvalue {

using idx = std::ptrdiff_t;

template <class T>
struct MatrixView {
  const T* data;
  idx rows;
  idx cols;
  bool row_major;
};

}  // namespace pointvalue
