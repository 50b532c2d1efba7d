#include "pointvalue/build_info.hpp"
#include "pointvalue/parallel.hpp"
#include "pybind.hpp"

namespace pointvalue::bindings {

void bind_config(py::module_& parent) {
  auto m = parent.def_submodule("config", "How this extension module was built.");
  const BuildInfo info = build_info();
  m.attr("isa_variant") = info.isa_variant;
  m.attr("has_openmp") = have_openmp();
  m.attr("eigen_version") = info.eigen_version;
  m.attr("isa_variants_built") = info.variants_built;
  m.attr("isa_variants_requested") = info.variants_requested;
  m.def(
      "simd_instruction_sets", [] { return build_info().simd; },
      "SIMD instruction sets this module was compiled to use.");
  m.def("max_threads", &max_threads, "Threads OpenMP will use (1 without OpenMP).");
}

}  // namespace pointvalue::bindings
