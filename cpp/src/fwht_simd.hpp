// 64-byte SIMD vectors for the FWHT kernels, through GCC/Clang vector extensions: the same source
// compiles to one AVX-512 register, two AVX2 registers or four SSE registers depending on the
// build variant, so no intrinsics are needed per instruction set.
#pragma once
#include <cstring>

namespace pointvalue::simd {

#if defined(__GNUC__) || defined(__clang__)
#define PV_HAVE_VECTOR_EXT 1

typedef double v8d __attribute__((vector_size(64)));
typedef long long v8i __attribute__((vector_size(64)));
typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));

template <class T>
struct Vec;
template <>
struct Vec<double> {
  using type = v8d;
  static constexpr int lanes = 8;
  static constexpr int log2_lanes = 3;
};
template <>
struct Vec<float> {
  using type = v16f;
  static constexpr int lanes = 16;
  static constexpr int log2_lanes = 4;
};

template <class T>
inline typename Vec<T>::type load(const T* p) {
  typename Vec<T>::type v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <class T>
inline void store(T* p, const typename Vec<T>::type& v) {
  std::memcpy(p, &v, sizeof(v));
}

#if defined(__clang__)
#define PV_SHUFFLE8(x, ...) __builtin_shufflevector(x, x, __VA_ARGS__)
#define PV_SHUFFLE16(x, ...) __builtin_shufflevector(x, x, __VA_ARGS__)
#else
#define PV_SHUFFLE8(x, ...) __builtin_shuffle(x, v8i{__VA_ARGS__})
#define PV_SHUFFLE16(x, ...) __builtin_shuffle(x, v16i{__VA_ARGS__})
#endif

// The Hadamard transform inside one vector: each level swaps lanes at distance h and adds or
// subtracts (x' = swapped + sign·x, sign = −1 on the upper lane of each pair).
inline v8d in_vector_fwht(v8d x) {
  x = PV_SHUFFLE8(x, 1, 0, 3, 2, 5, 4, 7, 6) + x * v8d{1, -1, 1, -1, 1, -1, 1, -1};
  x = PV_SHUFFLE8(x, 2, 3, 0, 1, 6, 7, 4, 5) + x * v8d{1, 1, -1, -1, 1, 1, -1, -1};
  x = PV_SHUFFLE8(x, 4, 5, 6, 7, 0, 1, 2, 3) + x * v8d{1, 1, 1, 1, -1, -1, -1, -1};
  return x;
}

inline v16f in_vector_fwht(v16f x) {
  x = PV_SHUFFLE16(x, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14) +
      x * v16f{1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1};
  x = PV_SHUFFLE16(x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13) +
      x * v16f{1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1};
  x = PV_SHUFFLE16(x, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11) +
      x * v16f{1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1};
  x = PV_SHUFFLE16(x, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7) +
      x * v16f{1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1};
  return x;
}

#endif  // vector extensions

}  // namespace pointvalue::simd
