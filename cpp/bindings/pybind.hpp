// The one place pybind11 is included from; every bind_*.cpp includes this header.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;

namespace pointvalue::bindings {
void bind_config(py::module_& m);
void bind_checks(py::module_& m);
void bind_fwht(py::module_& m);
void bind_sketch(py::module_& m);
void bind_sampling(py::module_& m);
void bind_glm(py::module_& m);
void bind_powerlaw(py::module_& m);
void bind_refit(py::module_& m);
void bind_semivalues(py::module_& m);
void bind_random(py::module_& m);
}  // namespace pointvalue::bindings
