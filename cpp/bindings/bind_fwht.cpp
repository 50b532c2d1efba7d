#include "array_checks.hpp"
#include "pointvalue/fwht.hpp"

namespace pointvalue::bindings {
namespace {

// Each row of the (count, n) array is one transform.
template <class T>
void fwht_vectors(py::array a, double scale) {
  auto arr = writable_c_array<T>(a, 2, "a");
  const int log2n = exact_log2(arr.shape(1), "transform length");
  T* data = arr.mutable_data();
  const py::ssize_t count = arr.shape(0), n = arr.shape(1);
  py::gil_scoped_release release;
  fwht_contiguous<T>(data, log2n, count, n, T(scale));
}

// Transform along axis 0 of the (n, width) array: butterflies combine whole rows.
template <class T>
void fwht_rows(py::array a, double scale) {
  auto arr = writable_c_array<T>(a, 2, "a");
  const int log2n = exact_log2(arr.shape(0), "transform length");
  T* data = arr.mutable_data();
  const py::ssize_t width = arr.shape(1);
  py::gil_scoped_release release;
  fwht_interleaved<T>(data, log2n, width, T(scale));
}

}  // namespace

// The dtype picks the kernel: float64 or float32 (anything else is refused, never copied, since
// the transform is in place).
template <template <class> class Kernel>
void dispatch(py::array a, double scale) {
  if (py::isinstance<py::array_t<float>>(a)) return Kernel<float>::run(a, scale);
  Kernel<double>::run(a, scale);
}

template <class T>
struct Vectors {
  static void run(py::array a, double scale) { fwht_vectors<T>(a, scale); }
};
template <class T>
struct Rows {
  static void run(py::array a, double scale) { fwht_rows<T>(a, scale); }
};

void bind_fwht(py::module_& parent) {
  auto m = parent.def_submodule("fwht", "Fast Walsh–Hadamard transforms.");
  m.def("fwht_contiguous", &dispatch<Vectors>, py::arg("a"), py::arg("scale") = 1.0,
        "In-place FWHT of each row of a C-contiguous (count, n) float32/float64 array, times scale.");
  m.def("fwht_interleaved", &dispatch<Rows>, py::arg("a"), py::arg("scale") = 1.0,
        "In-place FWHT along axis 0 of a C-contiguous (n, width) float32/float64 array, times scale.");
}

}  // namespace pointvalue::bindings
