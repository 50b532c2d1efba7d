// Fixed row partitions for parallel reductions: the parts depend on the data size only, never
// on the thread count, and partial sums are added in part order, so results are bitwise the
// same for any number of threads.
#pragma once
#include <algorithm>
#include <cstddef>

namespace pointvalue {

constexpr std::ptrdiff_t kMaxSuperBlocks = 64;

struct RowPartition {
  std::ptrdiff_t parts;
  std::ptrdiff_t n;
  std::ptrdiff_t begin(std::ptrdiff_t p) const { return n * p / parts; }
  std::ptrdiff_t end(std::ptrdiff_t p) const { return n * (p + 1) / parts; }
};

// At most kMaxSuperBlocks parts of at least about `row_block` rows each.
inline RowPartition super_blocks(std::ptrdiff_t n, std::ptrdiff_t row_block) {
  const std::ptrdiff_t blocks = (n + row_block - 1) / row_block;
  return {std::max<std::ptrdiff_t>(1, std::min(kMaxSuperBlocks, blocks)), n};
}

}  // namespace pointvalue
