// Thin OpenMP helpers so kernels compile (serially) without OpenMP.
#pragma once
#if defined(PV_HAVE_OPENMP)
#include <omp.h>
#endif

#include <atomic>
#include <exception>
#include <utility>

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

// Exceptions out of OpenMP code. One escaping a parallel region calls std::terminate, and one
// leaving a worksharing loop (`omp for`) strands the other threads at its barrier; either way an
// out-of-memory error would kill the interpreter instead of raising MemoryError. So every body
// that may throw (an Eigen temporary, a vector that grows) runs through `run`, which keeps the
// first exception and skips the bodies after it; `rethrow()`, after the region, throws it in the
// calling thread.
//
//   ParallelErrors errors;
//   #pragma omp parallel for
//   for (idx b = 0; b < blocks; ++b) errors.run([&] { ...; });
//   errors.rethrow();
class ParallelErrors {
 public:
  template <class F>
  void run(F&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      std::forward<F>(body)();
    } catch (...) {
      keep(std::current_exception());
    }
  }

  bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }

  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void keep(std::exception_ptr e) noexcept {
#if defined(PV_HAVE_OPENMP)
#pragma omp critical(pointvalue_parallel_errors)
#endif
    {
      if (!error_) error_ = std::move(e);
    }
    failed_.store(true, std::memory_order_relaxed);
  }

  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace pointvalue
