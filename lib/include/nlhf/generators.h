#pragma once
// The registries of game generators and reference policies (lib/src/registries.cc lists them),
// and the factory that turns spec strings into a validated Game.
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/params.h"
#include "nlhf/registry.h"

namespace nlhf {

// Builds P from resolved parameters (seed included). Throws InputError for bad data.
using GameFactory = std::function<Eigen::MatrixXd(const ParamMap&)>;
// Builds mu over n actions from resolved parameters.
using ReferenceFactory = std::function<Eigen::VectorXd(Eigen::Index n, const ParamMap&)>;

const Registry<GameFactory>& GameRegistry();
const Registry<ReferenceFactory>& ReferenceRegistry();

struct BuiltMatrix {
  Eigen::MatrixXd P;
  std::string spec;  // canonical
};
struct BuiltReference {
  Eigen::VectorXd mu;
  std::string spec;  // canonical
};

using GivenParams = std::vector<std::pair<std::string, ParamValue>>;

// A parameter named `seed` without a value follows `run_seed`. `key` names the owner in
// messages ("game", "reference"). Results are validated.
BuiltMatrix MakePreferenceMatrix(std::string_view name, const GivenParams& given,
                                 std::uint64_t run_seed, const std::string& key = "game");
BuiltReference MakeReference(std::string_view name, const GivenParams& given, Eigen::Index n,
                             std::uint64_t run_seed, const std::string& key = "reference");

// From spec strings such as "bradley_terry(n=20,scale=1)" and "softmax_normal(scale=1)".
Game MakeGame(std::string_view game_spec, std::string_view reference_spec, std::uint64_t run_seed);

// Typed parameters from a parsed spec's raw strings, checked against the entry's table.
GivenParams ParseGivenParams(const std::vector<ParamSpec>& specs,
                             const std::vector<std::pair<std::string, std::string>>& raw,
                             const std::string& key);

}  // namespace nlhf
