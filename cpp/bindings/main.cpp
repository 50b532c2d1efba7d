// Module entry point: only calls one bind_X() per kernel family. Compiled per ISA variant (it
// names the module); every other binding file is compiled once for all variants.
#include "pointvalue/build_info.hpp"
#include "pybind.hpp"

PYBIND11_MODULE(PV_MODULE_NAME, m) {
  m.doc() = "pointvalue compiled kernels (instruction-set variant " PV_ISA_VARIANT ")";
  pointvalue::init_kernels();
  using namespace pointvalue::bindings;
  bind_config(m);
  bind_checks(m);
  bind_fwht(m);
  bind_sketch(m);
  bind_sampling(m);
  bind_glm(m);
  bind_powerlaw(m);
  bind_refit(m);
  bind_semivalues(m);
  bind_random(m);
}
