#include "nlhf/preference_operator.h"

#include <fmt/format.h>

#include <cmath>

#include "nlhf/errors.h"
#include "nlhf/game.h"
#include "nlhf/rng.h"

namespace nlhf {

Eigen::MatrixXd Materialize(const PreferenceOperator& op) {
  if (const Eigen::MatrixXd* P = op.dense()) return *P;
  const Eigen::Index n = op.n();
  Eigen::MatrixXd P(n, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) P(i, j) = op.Entry(i, j);
  return P;
}

DenseOperator::DenseOperator(Eigen::MatrixXd P, const std::string& key) : P_(std::move(P)) {
  ValidatePreferenceMatrix(P_, key);
}

namespace {

void CheckPair(const PreferenceOperator& op, Eigen::Index i, Eigen::Index j,
               const std::string& key) {
  const double p = op.Entry(i, j), q = op.Entry(j, i);
  for (const auto& [a, b, v] : {std::tuple{i, j, p}, std::tuple{j, i, q}}) {
    if (!std::isfinite(v) || v < 0.0 || v > 1.0)
      throw InputError(
          key,
          fmt::format("P[{}][{}] = {} is not a probability in [0, 1] (implicit game)", a, b, v));
  }
  if (i == j && p != 0.5)
    throw InputError(
        key, fmt::format("P[{}][{}] = {}, expected 1/2 on the diagonal (implicit game)", i, i, p));
  if (std::abs(p + q - 1.0) > kGameTolerance)
    throw InputError(
        key, fmt::format("P[{}][{}] + P[{}][{}] = {} + {} = {}, expected P + P^T = 1 within {} "
                         "(implicit game)",
                         i, j, j, i, p, q, p + q, kGameTolerance));
}

}  // namespace

void ValidateOperatorSample(const PreferenceOperator& op, const std::string& key) {
  const Eigen::Index n = op.n();
  if (n < 2) throw InputError(key, fmt::format("P has {} action(s), expected at least 2", n));
  const Eigen::Index last = n - 1;
  for (const auto& [i, j] : {std::pair{Eigen::Index{0}, Eigen::Index{0}}, std::pair{last, last},
                             std::pair{Eigen::Index{0}, last}, std::pair{last, Eigen::Index{0}}})
    CheckPair(op, i, j, key);
  // A fixed stream: the check is the same for every run of a game.
  Rng rng(0, "validate_operator");
  const auto size = static_cast<std::uint64_t>(n);
  for (int s = 0; s < kValidationSamples; ++s) {
    const auto i = static_cast<Eigen::Index>(rng.Below(size));
    // Every eighth sample a diagonal entry.
    const auto j = s % 8 == 0 ? i : static_cast<Eigen::Index>(rng.Below(size));
    CheckPair(op, i, j, key);
  }
}

}  // namespace nlhf
