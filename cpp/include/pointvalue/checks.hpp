// Input checks that run at memory speed: the Python layer validates every array it receives, and
// for large inputs (or many small calls) numpy's isfinite / sum costs more than the kernels.
#pragma once
#include <cstddef>

namespace pointvalue::checks {

// True if none of the n values is NaN or ±inf (an exponent-bits test, no floating-point
// arithmetic; parallel for large n).
bool all_finite(const double* p, std::size_t n);
bool all_finite(const float* p, std::size_t n);

}  // namespace pointvalue::checks
