// Module entry point: only calls one bind_X() per kernel family.
#include <Eigen/Core>

#include "pybind.hpp"

PYBIND11_MODULE(PV_MODULE_NAME, m) {
  m.doc() = "pointvalue compiled kernels (instruction-set variant " PV_ISA_VARIANT ")";
  // Our kernels parallelize over fixed row blocks themselves; Eigen must not size its product
  // blocking by the OpenMP thread count, or results would change with it.
  Eigen::setNbThreads(1);
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
