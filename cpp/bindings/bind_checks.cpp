#include "pointvalue/checks.hpp"
#include "pybind.hpp"

namespace pointvalue::bindings {

// float64 / float32 arrays that are C- or F-contiguous, taken as they are (no conversion: the
// Python caller falls back to numpy for anything else).
template <class T>
static bool all_finite_py(const py::array_t<T, 0>& a) {
  if (!(a.flags() & (py::array::c_style | py::array::f_style)))
    throw py::type_error("all_finite needs a C- or F-contiguous array");
  const T* p = a.data();
  const std::size_t n = std::size_t(a.size());
  py::gil_scoped_release release;
  return checks::all_finite(p, n);
}

void bind_checks(py::module_& parent) {
  auto m = parent.def_submodule("checks", "Input checks at memory speed.");
  const char* doc = "True if a contiguous float32/float64 array holds no NaN or infinite value.";
  m.def("all_finite", &all_finite_py<double>, py::arg("a").noconvert(), doc);
  m.def("all_finite", &all_finite_py<float>, py::arg("a").noconvert(), doc);
}

}  // namespace pointvalue::bindings
