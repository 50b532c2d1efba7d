// Bindings of the sketch family: typed options / results, arrays converted, GIL released.
#include "array_checks.hpp"
#include "pointvalue/sketch.hpp"

namespace pointvalue::bindings {
namespace {

struct Leverage {
  py::array_t<double> scores;
  LeverageResult r;
};

Leverage leverage_exact_py(py::array X, double rcond) {
  const auto view = matrix_view(X, "X");
  Leverage out{py::array_t<double>(view.rows), {}};
  double* o = out.scores.mutable_data();
  {
    py::gil_scoped_release release;
    out.r = leverage_exact(view, rcond, o);
  }
  return out;
}

Leverage leverage_sketched_py(py::array X, const SketchOptions& options) {
  const auto view = matrix_view(X, "X");
  Leverage out{py::array_t<double>(view.rows), {}};
  double* o = out.scores.mutable_data();
  {
    py::gil_scoped_release release;
    out.r = leverage_sketched(view, options, o);  // std::invalid_argument → ValueError
  }
  return out;
}

py::array_t<double> srht_py(py::array X, std::uint64_t key, py::ssize_t sketch_size) {
  const auto view = matrix_view(X, "X");
  py::array_t<double> out({std::max<py::ssize_t>(sketch_size, 0), py::ssize_t(view.cols)});
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    srht(view, key, sketch_size, o);
  }
  return out;
}

py::array_t<double> gram_py(py::array X) {
  const auto view = matrix_view(X, "X");
  py::array_t<double> out({view.cols, view.cols});
  double* o = out.mutable_data();
  {
    py::gil_scoped_release release;
    gram(view, o);
  }
  return out;
}

void bind_types(py::module_& m) {
  py::class_<SketchOptions>(m, "SketchOptions", py::module_local(), "Options of leverage_sketched (C++ defaults).")
      .def(py::init<>())
      .def_readwrite("sketch_size", &SketchOptions::sketch_size)
      .def_readwrite("jl_dim", &SketchOptions::jl_dim)
      .def_readwrite("rcond", &SketchOptions::rcond)
      .def_readwrite("key", &SketchOptions::key);
  py::class_<Leverage>(m, "LeverageResult", py::module_local(), "Leverage scores (read-only attributes).")
      .def_readonly("scores", &Leverage::scores)
      .def_property_readonly("rank", [](const Leverage& l) { return l.r.rank; })
      .def_property_readonly("passes", [](const Leverage& l) { return l.r.passes; });
}

}  // namespace

void bind_sketch(py::module_& parent) {
  auto m = parent.def_submodule("sketch", "Gram matrices, SRHT and leverage scores.");
  bind_types(m);
  m.def("leverage_exact", &leverage_exact_py, py::arg("X"), py::arg("rcond"),
        "Exact leverage scores of a float64 matrix.");
  m.def("leverage_sketched", &leverage_sketched_py, py::arg("X"), py::arg("options"),
        "Leverage scores from an SRHT sketch (and a JL projection) drawn from options.key.");
  m.def("srht", &srht_py, py::arg("X"), py::arg("key"), py::arg("sketch_size"),
        "Subsampled randomized Hadamard transform of the rows of X, drawn from key.");
  m.def("gram", &gram_py, py::arg("X"), "XᵀX with a thread-count-independent summation order.");
}

}  // namespace pointvalue::bindings
