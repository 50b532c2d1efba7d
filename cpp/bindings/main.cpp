// Module entry point: only calls one bind_X() per kernel family.
#include "pybind.hpp"

PYBIND11_MODULE(PV_MODULE_NAME, m) {
  m.doc() = "pointvalue compiled kernels (instruction-set variant " PV_ISA_VARIANT ")";
  using namespace pointvalue::bindings;
  bind_config(m);
  bind_fwht(m);
  bind_sketch(m);
  bind_powerlaw(m);
  bind_refit(m);
}
