// Argument checks shared by the bindings: the Python layer validates first, these guard the
// C++ kernels against any caller that did not (a clear ValueError instead of memory corruption).
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "pointvalue/matrix_view.hpp"
#include "pybind.hpp"

namespace pointvalue::bindings {

template <class T>
using carray = py::array_t<T, py::array::c_style>;

// Borrow a C-contiguous, writeable array of exactly dtype T with `ndim` dimensions.
template <class T>
inline carray<T> writable_c_array(py::array a, int ndim, const char* name) {
  if (!py::isinstance<carray<T>>(a) || !(a.flags() & py::array::c_style))
    throw py::type_error(std::string(name) + " must be a C-contiguous array of the kernel's dtype");
  if (a.ndim() != ndim)
    throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D");
  if (!a.writeable()) throw py::value_error(std::string(name) + " is read-only");
  return py::reinterpret_borrow<carray<T>>(a);
}

// A float64 2-D array in C or F order, viewed without a copy.
inline MatrixView<double> matrix_view(const py::array& a, const char* name) {
  if (!py::isinstance<py::array_t<double>>(a) || a.ndim() != 2)
    throw py::type_error(std::string(name) + " must be a 2-D float64 array");
  const bool c = a.flags() & py::array::c_style, f = a.flags() & py::array::f_style;
  if (!c && !f) throw py::value_error(std::string(name) + " must be C- or F-contiguous");
  return {static_cast<const double*>(a.data()), a.shape(0), a.shape(1), c};
}

// A float32 2-D array in C or F order, viewed without a copy.
inline MatrixView<float> float32_view(const py::array& a, const char* name) {
  const bool c = a.flags() & py::array::c_style, f = a.flags() & py::array::f_style;
  if (!c && !f) throw py::value_error(std::string(name) + " must be C- or F-contiguous");
  return {static_cast<const float*>(a.data()), a.shape(0), a.shape(1), c};
}

// The data of a contiguous 1-D float64 array of n entries.
inline const double* vector_data(const py::array& a, py::ssize_t n, const char* name) {
  if (!py::isinstance<carray<double>>(a) || !(a.flags() & py::array::c_style) || a.ndim() != 1)
    throw py::type_error(std::string(name) + " must be a contiguous 1-D float64 array");
  if (n >= 0 && a.shape(0) != n)
    throw py::value_error(std::string(name) + " has " + std::to_string(a.shape(0)) +
                          " entries, expected " + std::to_string(n));
  return static_cast<const double*>(a.data());
}

// Result arrays: owned by the result object (read-only attributes), given to Python uncopied.
template <class T>
inline py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> a(py::ssize_t(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

inline int exact_log2(py::ssize_t n, const char* name) {
  if (n <= 0 || (n & (n - 1)) != 0)
    throw py::value_error(std::string(name) + " must be a power of two, got " + std::to_string(n));
  int l = 0;
  while ((py::ssize_t(1) << l) < n) ++l;
  return l;
}

}  // namespace pointvalue::bindings
