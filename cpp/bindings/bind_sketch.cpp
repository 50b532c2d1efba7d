#include "array_checks.hpp"
#include "pointvalue/sketch.hpp"

namespace pointvalue::bindings {
namespace {

using farray = py::array_t<double, py::array::f_style>;

py::tuple leverage_exact_py(py::array X, double rcond) {
  const auto view = matrix_view(X, "X");
  py::array_t<double> out(view.rows);
  double* o = out.mutable_data();
  LeverageInfo info;
  {
    py::gil_scoped_release release;
    info = leverage_exact(view, rcond, o);
  }
  return py::make_tuple(out, info.rank, info.passes);
}

py::array_t<double> srht_py(py::array X, py::array_t<double, py::array::c_style> signs,
                            py::array_t<std::int64_t, py::array::c_style> rows, int log2N) {
  const auto view = matrix_view(X, "X");
  if (signs.ndim() != 1 || signs.shape(0) != view.rows)
    throw py::value_error("signs must have one entry per row of X");
  const std::int64_t N = std::int64_t(1) << log2N;
  if (N < view.rows) throw py::value_error("padded length is smaller than the number of rows");
  const auto r = rows.shape(0);
  const auto* rp = rows.data();
  for (py::ssize_t k = 0; k < r; ++k)
    if (rp[k] < 0 || rp[k] >= N) throw py::value_error("sampled row index out of range");
  py::array_t<double> out({r, py::ssize_t(view.cols)});
  double* o = out.mutable_data();
  const double* s = signs.data();
  {
    py::gil_scoped_release release;
    srht(view, s, rp, r, log2N, o);
  }
  return out;
}

py::tuple leverage_sketch_py(py::array X, py::array_t<double, py::array::c_style> sketch,
                             std::optional<py::array_t<double, py::array::c_style>> jl,
                             double rcond) {
  const auto view = matrix_view(X, "X");
  if (sketch.ndim() != 2 || sketch.shape(1) != view.cols || sketch.shape(0) < view.cols)
    throw py::value_error("sketch must be r × d with r ≥ d");
  const double* jp = nullptr;
  idx jl_dim = 0;
  if (jl) {
    if (jl->ndim() != 2 || jl->shape(0) != view.cols)
      throw py::value_error("jl must be d × jl_dim");
    jp = jl->data();
    jl_dim = jl->shape(1);
  }
  py::array_t<double> out(view.rows);
  double* o = out.mutable_data();
  const double* sp = sketch.data();
  const idx r = sketch.shape(0);
  LeverageInfo info;
  {
    py::gil_scoped_release release;
    info = leverage_from_sketch(view, sp, r, jp, jl_dim, rcond, o);
  }
  return py::make_tuple(out, info.rank);
}

py::array_t<double> gram_py(py::array X) {
  const auto view = matrix_view(X, "X");
  Eigen::MatrixXd G;
  {
    py::gil_scoped_release release;
    G = gram(view);
  }
  py::array_t<double> out({view.cols, view.cols});
  Eigen::Map<RowMajorMatrix>(out.mutable_data(), view.cols, view.cols) = G;
  return out;
}

}  // namespace

void bind_sketch(py::module_& parent) {
  auto m = parent.def_submodule("sketch", "Gram matrices, SRHT and leverage scores.");
  m.def("leverage_exact", &leverage_exact_py, py::arg("X"), py::arg("rcond"),
        "Exact leverage scores of a float64 matrix: (scores, rank, passes).");
  m.def("srht", &srht_py, py::arg("X"), py::arg("signs"), py::arg("rows"), py::arg("log2N"),
        "Subsampled randomized Hadamard transform of the rows of X.");
  m.def("leverage_from_sketch", &leverage_sketch_py, py::arg("X"), py::arg("sketch"), py::arg("jl"),
        py::arg("rcond"), "Leverage scores from an SRHT sketch: (scores, rank).");
  m.def("gram", &gram_py, py::arg("X"), "XᵀX with a thread-count-independent summation order.");
}

}  // namespace pointvalue::bindings
