// Sampling kernels: regularized probability-proportional-to-size (PPS) inclusion probabilities and
// Poisson (independent Bernoulli) sampling with a counter-based random stream.
//
// Determinism: the uniform for row i is random::uniform(key, offset + i) (random.hpp), so a draw
// does not depend on the thread count or on how rows are split into chunks (a chunk that starts
// at global row `offset` sees the same uniforms).
#pragma once
#include <cstdint>
#include <vector>

#include "pointvalue/matrix_view.hpp"

namespace pointvalue {

struct InclusionResult {
  double lambda = 0;     // the scale: π_i = clamp(λ s_i, min_prob, 1); +inf when every positive score is 1
  idx n_floor = 0;       // rows at the floor min_prob (including zero scores when min_prob > 0)
  idx n_one = 0;         // rows with π_i = 1
  double zero_prob = 0;  // probability given to zero-score rows (min_prob, or the share of the rest)
};

// π_i = max{min_prob, min{1, λ s_i}} with Σ π_i = size. λ is found exactly by selection, not by an
// iterative guess: Σπ(λ) is piecewise linear with breakpoints min_prob/s_j and 1/s_j; each round
// evaluates it at the median breakpoint inside the current bracket (nth_element), halving the
// breakpoints left, and retires rows whose class is settled (expected O(n) in all, no full sort);
// on the final linear piece λ is solved in closed form. If even λ → ∞ leaves Σπ < size (fewer
// positive scores than `size`), positive rows get 1 and zero-score rows share the rest equally
// (the limit of adding a vanishing constant to every score).
// Preconditions (throw std::invalid_argument otherwise): n ≥ 1, scores finite and ≥ 0,
// 0 < size, 0 ≤ min_prob ≤ 1, min_prob·n ≤ size. size ≥ n gives all ones.
InclusionResult inclusion_probabilities(const double* scores, idx n, double size, double min_prob,
                                        double* out);

// Indices i (ascending) with random::uniform(key, offset + i) < prob[i]. prob entries outside
// [0, 1] or NaN throw std::invalid_argument.
std::vector<std::int64_t> poisson_sample(const double* prob, idx n, std::uint64_t key,
                                         std::uint64_t offset);

}  // namespace pointvalue
