#include <Eigen/Core>

#include "pointvalue/parallel.hpp"
#include "pybind.hpp"

namespace pointvalue::bindings {

static std::string simd_instruction_sets() { return Eigen::SimdInstructionSetsInUse(); }

void bind_config(py::module_& m) {
  m.attr("isa_variant") = PV_ISA_VARIANT;
  m.attr("has_openmp") = have_openmp();
  m.attr("eigen_version") = std::to_string(EIGEN_WORLD_VERSION) + "." +
                            std::to_string(EIGEN_MAJOR_VERSION) + "." +
                            std::to_string(EIGEN_MINOR_VERSION);
  m.def("simd_instruction_sets", &simd_instruction_sets,
        "SIMD instruction sets this module was compiled to use.");
  m.def("max_threads", &max_threads, "Threads OpenMP will use (1 without OpenMP).");
}

}  // namespace pointvalue::bindings
