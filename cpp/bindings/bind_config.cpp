#include <Eigen/Core>

#include "pointvalue/parallel.hpp"
#include "pybind.hpp"

namespace pointvalue::bindings {

// The instruction sets this module was compiled for (what its kernels may use).
static std::string simd_instruction_sets() {
  std::string s;
  auto add = [&s](const char* name) { s += s.empty() ? name : std::string(", ") + name; };
#if defined(__AVX512F__)
  add("AVX-512F");
#endif
#if defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
  add("AVX-512BW/DQ/VL");
#endif
#if defined(__AVX2__)
  add("AVX2");
#endif
#if defined(__FMA__)
  add("FMA");
#endif
#if defined(__AVX__)
  add("AVX");
#endif
#if defined(__SSE4_2__)
  add("SSE4.2");
#endif
#if defined(__SSE2__)
  add("SSE2");
#endif
#if defined(__ARM_NEON)
  add("NEON");
#endif
  return s.empty() ? "none" : s;
}

void bind_config(py::module_& parent) {
  auto m = parent.def_submodule("config", "How this extension module was built.");
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
