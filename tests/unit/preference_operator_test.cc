// PreferenceOperator (lib/src/preference_operator.cc): the dense implementation, Materialize and
// the sampled validation of implicit operators.
#include "nlhf/preference_operator.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "nlhf/generators.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;

// An operator defined entry by entry (Apply from its entries): for broken invariants.
class EntryOperator final : public PreferenceOperator {
 public:
  EntryOperator(Eigen::Index n, std::function<double(Eigen::Index, Eigen::Index)> entry)
      : n_(n), entry_(std::move(entry)) {}
  Eigen::Index n() const override { return n_; }
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override {
    out.resize(n_);
    for (Eigen::Index i = 0; i < n_; ++i) {
      out[i] = 0.0;
      for (Eigen::Index j = 0; j < n_; ++j) out[i] += entry_(i, j) * x[j];
    }
  }
  double Entry(Eigen::Index i, Eigen::Index j) const override { return entry_(i, j); }
  double StoredBytes() const override { return 0.0; }

 private:
  Eigen::Index n_;
  std::function<double(Eigen::Index, Eigen::Index)> entry_;
};

TEST(DenseOperator, AppliesEigensProductBitForBit) {
  const Eigen::MatrixXd P = MakePreferenceMatrix("random_uniform", {{"n", std::int64_t{40}}}, 3).P;
  const DenseOperator op(P);
  Rng rng(1, "dense");
  Eigen::VectorXd x(40), out(40);
  for (Eigen::Index i = 0; i < 40; ++i) x[i] = rng.Normal();  // any x, not only a policy
  const double* data = out.data();
  op.Apply(x, out);
  EXPECT_EQ(out.data(), data);  // sized: written in place
  const Eigen::VectorXd expected = P * x;
  EXPECT_EQ(out, expected);
  EXPECT_EQ(op.Entry(3, 17), P(3, 17));
  ASSERT_NE(op.dense(), nullptr);
  EXPECT_EQ(*op.dense(), P);
  EXPECT_EQ(op.StoredBytes(), 8.0 * 40 * 40);
  EXPECT_EQ(Materialize(op), P);
  Eigen::VectorXd empty;
  op.Apply(x, empty);  // unsized: resized
  EXPECT_EQ(empty, expected);
}

TEST(Materialize, ReadsEveryEntry) {
  const EntryOperator op(5, [](Eigen::Index i, Eigen::Index j) {
    return i == j ? 0.5 : i > j ? 0.25 : 0.75;
  });
  const Eigen::MatrixXd P = Materialize(op);
  ASSERT_EQ(P.rows(), 5);
  EXPECT_EQ(P(4, 1), 0.25);
  EXPECT_EQ(P(1, 4), 0.75);
  EXPECT_EQ(P(2, 2), 0.5);
  EXPECT_NO_THROW(ValidateOperatorSample(op, "game"));
}

TEST(ValidateOperatorSample, RejectsBrokenInvariantsNamingAnEntry) {
  ExpectInputError(
      [] { ValidateOperatorSample(EntryOperator(1, [](auto, auto) { return 0.5; }), "game"); },
      {"game", "1 action(s), expected at least 2"});
  // P + P^T = 1.4 off the diagonal.
  ExpectInputError(
      [] {
        ValidateOperatorSample(
            EntryOperator(1000, [](auto i, auto j) { return i == j ? 0.5 : 0.7; }), "game");
      },
      {"game", "expected P + P^T = 1", "implicit game"});
  // Skew-symmetric but not probabilities.
  ExpectInputError(
      [] {
        ValidateOperatorSample(
            EntryOperator(1000, [](auto i, auto j) { return i == j  ? 0.5
                                                            : i > j ? 1.25
                                                                    : -0.25; }),
            "game");
      },
      {"game", "is not a probability in [0, 1]"});
  // A diagonal other than 1/2, on one action only (the corners are always checked).
  ExpectInputError(
      [] {
        ValidateOperatorSample(
            EntryOperator(1000000,
                          [](auto i, auto j) {
                            return i == j && i == 999999 ? 0.4 : i == j ? 0.5 : 0.5;
                          }),
            "game");
      },
      {"P[999999][999999] = 0.4", "1/2 on the diagonal"});
  // A NaN anywhere in a sampled row.
  ExpectInputError(
      [] {
        ValidateOperatorSample(EntryOperator(50,
                                             [](auto i, auto j) {
                                               return i == j ? 0.5 : i % 2 ? std::nan("") : 0.5;
                                             }),
                               "game");
      },
      {"is not a probability"});
}

}  // namespace
}  // namespace nlhf
