#pragma once
// Internal: what the builtin game generators share, one generator per file in this folder; each
// file's entry function (`GameEntry <Name>Entry()`) is declared and listed in registries.cc.
#include "nlhf/generators.h"

namespace nlhf::games {

using GameEntry = Registry<GameFactory>::Entry;

// Parameter rows shared by many generators.
ParamSpec SizeParam(std::int64_t def = 10);  // n: number of actions
ParamSpec SeedParam();                       // seed: follows the run seed unless given

// sigma(x) = 1 / (1 + exp(-x)), stable for any finite x.
double Sigmoid(double x);

// P = sigma(S) for a skew-symmetric logit matrix S, read from its strict lower triangle. The
// smaller of each pair is computed by the sigmoid and the larger as 1 minus it, so that
// P + P^T = 1 up to one rounding and no probability loses relative precision.
Eigen::MatrixXd PreferencesFromLogits(const Eigen::MatrixXd& S);

// P = 1/2 + A for a skew-symmetric margin A with |A| <= 1/2, read from its strict lower triangle.
Eigen::MatrixXd PreferencesFromMargin(const Eigen::MatrixXd& A);

}  // namespace nlhf::games
