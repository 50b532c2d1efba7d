#include <stdexcept>

#include "array_checks.hpp"
#include "pointvalue/sampling.hpp"

namespace pointvalue::bindings {
namespace {

using cvec = py::array_t<double, py::array::c_style>;

const double* vector_data(const py::array& a, const char* name) {
  if (!py::isinstance<cvec>(a) || !(a.flags() & py::array::c_style) || a.ndim() != 1)
    throw py::type_error(std::string(name) + " must be a 1-D C-contiguous float64 array");
  return static_cast<const double*>(a.data());
}

py::tuple inclusion_probabilities_py(py::array scores, double size, double min_prob) {
  const double* s = vector_data(scores, "scores");
  const idx n = scores.shape(0);
  py::array_t<double> out(n);
  double* o = out.mutable_data();
  InclusionInfo info;
  {
    py::gil_scoped_release release;
    info = inclusion_probabilities(s, n, size, min_prob, o);  // std::invalid_argument → ValueError
  }
  return py::make_tuple(out, info.lambda, info.n_floor, info.n_one);
}

py::array_t<std::int64_t> poisson_sample_py(py::array prob, std::uint64_t key, std::uint64_t offset) {
  const double* p = vector_data(prob, "probabilities");
  const idx n = prob.shape(0);
  std::vector<std::int64_t> idxs;
  {
    py::gil_scoped_release release;
    idxs = poisson_sample(p, n, key, offset);
  }
  py::array_t<std::int64_t> out(py::ssize_t(idxs.size()));
  std::copy(idxs.begin(), idxs.end(), out.mutable_data());
  return out;
}

py::array_t<double> stream_uniforms_py(std::uint64_t key, std::uint64_t offset, py::ssize_t n) {
  if (n < 0) throw py::value_error("n must be non-negative");
  py::array_t<double> out(n);
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    stream_uniforms(key, offset, n, o);
  }
  return out;
}

}  // namespace

void bind_sampling(py::module_& parent) {
  auto m = parent.def_submodule("sampling", "PPS inclusion probabilities and Poisson sampling.");
  m.def("inclusion_probabilities", &inclusion_probabilities_py, py::arg("scores"), py::arg("size"),
        py::arg("min_prob"),
        "Regularized PPS probabilities clamp(λ s, min_prob, 1) summing to size: "
        "(probabilities, lambda, n_floor, n_one).");
  m.def("poisson_sample", &poisson_sample_py, py::arg("probabilities"), py::arg("key"),
        py::arg("offset") = 0,
        "Ascending indices i with u(key, offset + i) < probabilities[i] (counter-based uniforms).");
  m.def("stream_uniforms", &stream_uniforms_py, py::arg("key"), py::arg("offset"), py::arg("n"),
        "The counter-based uniforms u(key, offset + i), i < n, used by poisson_sample.");
}

}  // namespace pointvalue::bindings
