// Bindings of the random family (random.hpp): the counter-based stream the kernels draw from.
#include <stdexcept>

#include "array_checks.hpp"
#include "pointvalue/random.hpp"

namespace pointvalue::bindings {
namespace {

py::array_t<double> uniforms_py(std::uint64_t key, std::uint64_t offset, py::ssize_t n) {
  if (n < 0) throw std::invalid_argument("n must be non-negative");
  py::array_t<double> out(n);
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    random::uniforms(key, offset, n, o);
  }
  return out;
}

py::array_t<std::int64_t> choice_py(std::uint64_t key, std::int64_t n, std::int64_t size) {
  if (n < 0 || size < 0 || size > n) throw std::invalid_argument("choice needs 0 ≤ size ≤ n");
  std::vector<std::int64_t> picks;
  {
    py::gil_scoped_release release;
    picks = random::choice(key, n, size);
  }
  return to_numpy(picks);
}

}  // namespace

void bind_random(py::module_& parent) {
  auto m = parent.def_submodule("random", "The counter-based random stream of every kernel.");
  m.def("uniforms", &uniforms_py, py::arg("key"), py::arg("offset"), py::arg("n"),
        "uniform(key, offset + i) for i < n: a pure function of (key, index).");
  m.def("choice", &choice_py, py::arg("key"), py::arg("n"), py::arg("size"),
        "size distinct integers of [0, n), ascending, drawn from key.");
  m.def("subkey", &random::subkey, py::arg("key"), py::arg("a"), py::arg("b") = 0,
        "The key of sub-stream (a, b) of key.");
}

}  // namespace pointvalue::bindings
