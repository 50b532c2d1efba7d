// Bindings of the sampling family: arrays converted, GIL released (the kernels check their input
// and throw std::invalid_argument, which pybind11 turns into ValueError).
#include "array_checks.hpp"
#include "pointvalue/sampling.hpp"

namespace pointvalue::bindings {
namespace {

struct Inclusion {
  py::array_t<double> probabilities;
  InclusionResult r;
};

Inclusion inclusion_probabilities_py(py::array scores, double size, double min_prob) {
  const double* s = vector_data(scores, -1, "scores");
  const idx n = scores.shape(0);
  Inclusion out{py::array_t<double>(n), {}};
  double* o = out.probabilities.mutable_data();
  {
    py::gil_scoped_release release;
    out.r = inclusion_probabilities(s, n, size, min_prob, o);
  }
  return out;
}

py::array_t<std::int64_t> poisson_sample_py(py::array prob, std::uint64_t key, std::uint64_t offset) {
  const double* p = vector_data(prob, -1, "probabilities");
  const idx n = prob.shape(0);
  std::vector<std::int64_t> idxs;
  {
    py::gil_scoped_release release;
    idxs = poisson_sample(p, n, key, offset);
  }
  return to_numpy(idxs);
}

}  // namespace

void bind_sampling(py::module_& parent) {
  auto m = parent.def_submodule("sampling", "PPS inclusion probabilities and Poisson sampling.");
  py::class_<Inclusion>(m, "InclusionResult", py::module_local(), "Inclusion probabilities (read-only attributes).")
      .def_readonly("probabilities", &Inclusion::probabilities)
      .def_property_readonly("lambda_", [](const Inclusion& i) { return i.r.lambda; })
      .def_property_readonly("n_floor", [](const Inclusion& i) { return i.r.n_floor; })
      .def_property_readonly("n_one", [](const Inclusion& i) { return i.r.n_one; })
      .def_property_readonly("zero_prob", [](const Inclusion& i) { return i.r.zero_prob; });
  m.def("inclusion_probabilities", &inclusion_probabilities_py, py::arg("scores"), py::arg("size"),
        py::arg("min_prob"),
        "Regularized PPS probabilities clamp(λ s, min_prob, 1) summing to size.");
  m.def("poisson_sample", &poisson_sample_py, py::arg("probabilities"), py::arg("key"),
        py::arg("offset") = 0,
        "Ascending indices i with uniform(key, offset + i) < probabilities[i] (see _core.random).");
}

}  // namespace pointvalue::bindings
