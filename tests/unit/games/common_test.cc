// What the generators share (lib/src/games/common.cc and games.h): FillPreferences, which fills P
// a block of rows at a time, against the plain double loop it replaced.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "games/games.h"

namespace nlhf::games {
namespace {

// Every n around the block size: pairs visited in the order (1,0), (2,0), (2,1), ... and each value
// where the plain loop put it.
TEST(FillPreferences, PlacesEveryPairAsThePlainLoopDoesInItsOrder) {
  for (Eigen::Index n : {1, 2, 3, 31, 32, 33, 64, 65, 100}) {
    std::vector<std::pair<Eigen::Index, Eigen::Index>> order;
    const Eigen::MatrixXd P = FillPreferences(n, [&order](Eigen::Index i, Eigen::Index j) {
      order.emplace_back(i, j);
      const double k = static_cast<double>(order.size());
      return std::pair(k, -k);  // distinct values: a misplaced one is seen
    });
    Eigen::MatrixXd expected(n, n);
    size_t k = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      expected(i, i) = 0.5;
      for (Eigen::Index j = 0; j < i; ++j) {
        ASSERT_LT(k, order.size());
        EXPECT_EQ(order[k], std::pair(i, j)) << "n = " << n << ", pair " << k;
        ++k;
        expected(i, j) = static_cast<double>(k);
        expected(j, i) = -static_cast<double>(k);
      }
    }
    EXPECT_EQ(order.size(), k) << "n = " << n;
    EXPECT_TRUE(P == expected) << "n = " << n;
  }
}

}  // namespace
}  // namespace nlhf::games
