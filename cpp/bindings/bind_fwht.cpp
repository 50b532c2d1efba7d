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

void bind_fwht(py::module_& m) {
  const char* vec_doc = "In-place FWHT of each row of a C-contiguous (count, n) array, times scale.";
  const char* row_doc = "In-place FWHT along axis 0 of a C-contiguous (n, width) array, times scale.";
  m.def("fwht_vectors_f64", &fwht_vectors<double>, py::arg("a"), py::arg("scale") = 1.0, vec_doc);
  m.def("fwht_vectors_f32", &fwht_vectors<float>, py::arg("a"), py::arg("scale") = 1.0, vec_doc);
  m.def("fwht_rows_f64", &fwht_rows<double>, py::arg("a"), py::arg("scale") = 1.0, row_doc);
  m.def("fwht_rows_f32", &fwht_rows<float>, py::arg("a"), py::arg("scale") = 1.0, row_doc);
}

}  // namespace pointvalue::bindings
