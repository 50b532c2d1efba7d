// The draws of marginal_contributions: k, the stratified base set D0 and the next element of every
// stratum, from the counter-based stream of (key, round, group). Internal to the refit family.
#pragma once
#include <cstdint>
#include <vector>

#include "pointvalue/random.hpp"
#include "pointvalue/refit.hpp"

namespace pointvalue::refit::sampling {

using i64 = std::int64_t;

// Round r, group g draws from random::subkey(key, r, g); the order of targets in round r from
// random::subkey(key, r, kGroupStream).
using Rng = random::Stream;
inline Rng task_stream(std::uint64_t key, i64 round, std::uint64_t group) {
  return Rng(random::subkey(key, std::uint64_t(round), group));
}
constexpr std::uint64_t kGroupStream = ~std::uint64_t(0);

// State of the sampler for one thread: the working copy of the strata and the current draw.
struct Draw {
  std::vector<i64> perm;       // working copy of strata_idx (restored after every draw)
  std::vector<i64> swaps;
  std::vector<i64> mark;       // mark[i] == stamp ⇔ i ∈ D0
  i64 stamp = 0;
  std::vector<i64> d0, counts, extras;
};

// k from the size distribution.
i64 draw_k(const Sampler& s, Rng& rng);
// D0 (into w.d0, marked with a new stamp) and the next element e_c of every stratum (w.extras).
void draw_base(const Sampler& s, Rng& rng, Draw& w, i64 k);
// The order of the targets of each round (groups of s.group share a draw).
void group_perms(const Sampler& s, idx m, idx group, i64 r0, i64 r1, std::vector<i64>& out);
void init_sampler_work(const Sampler& s, Draw& w, idx n_pool);

}  // namespace pointvalue::refit::sampling
