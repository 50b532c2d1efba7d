// Build facts of this ISA variant (compiled with the variant's flags, like every kernel).
#include "pointvalue/build_info.hpp"

#include <Eigen/Core>

namespace pointvalue {
namespace {

std::string simd_instruction_sets() {
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

}  // namespace

BuildInfo build_info() {
  return {PV_ISA_VARIANT, simd_instruction_sets(),
          std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
              std::to_string(EIGEN_MINOR_VERSION),
          PV_VARIANTS_BUILT, PV_VARIANTS_REQUESTED};
}

void init_kernels() {
  // Our kernels parallelize over fixed row blocks themselves; Eigen must not size its product
  // blocking by the OpenMP thread count, or results would change with it.
  Eigen::setNbThreads(1);
}

}  // namespace pointvalue
