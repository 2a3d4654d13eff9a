#pragma once
// Internal: the builtin game generators, one per file in this folder; registries.cc lists them.
#include "nlhf/generators.h"

namespace nlhf::games {

using GameEntry = Registry<GameFactory>::Entry;

GameEntry RandomUniformEntry();
GameEntry RandomSkewEntry();
GameEntry BradleyTerryEntry();
GameEntry CyclicEntry();
GameEntry Rps3Entry();
GameEntry DiscEntry();
GameEntry BtMixtureEntry();
GameEntry HodgeEntry();
GameEntry TournamentEntry();
GameEntry MatrixEntry();

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
