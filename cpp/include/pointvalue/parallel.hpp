// Thin OpenMP helpers so kernels compile (serially) without OpenMP.
#pragma once
#if defined(PV_HAVE_OPENMP)
#include <omp.h>
#endif

namespace pointvalue {

inline int max_threads() {
#if defined(PV_HAVE_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline bool have_openmp() {
#if defined(PV_HAVE_OPENMP)
  return true;
#else
  return false;
#endif
}

}  // namespace pointvalue
