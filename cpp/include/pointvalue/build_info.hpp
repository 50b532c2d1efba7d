// How this extension module's kernels were built. Defined in cpp/src/build_info.cpp, which is
// compiled with each ISA variant's kernels: the bindings are compiled once for all variants
// (CMakeLists.txt), so they must ask here instead of reading the compiler's ISA macros.
#pragma once
#include <string>

namespace pointvalue {

struct BuildInfo {
  std::string isa_variant;     // baseline, x86_64_v3, x86_64_v4
  std::string simd;            // the SIMD instruction sets the kernels were compiled to use
  std::string eigen_version;
  std::string variants_built;      // every variant this build made, comma-separated
  std::string variants_requested;  // POINTVALUE_ISA_VARIANTS: host, all, or a list
};

BuildInfo build_info();

// Called once when the module is imported: kernel-wide settings (Eigen's thread count).
void init_kernels();

}  // namespace pointvalue
