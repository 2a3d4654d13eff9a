#pragma once
// The registries of game generators and reference policies (lib/src/registries.cc lists them),
// and the factory that turns spec strings into a validated Game.
//
// Storage: every generator builds P as a dense matrix; some also have an implicit form, an
// operator that never stores P (GameTraits). The game-level key
// `storage: auto | dense | float32 | implicit` chooses: auto takes the implicit form of the
// generators that are low rank (their products cost O(n K)) and the dense matrix otherwise;
// implicit for a generator without that form is an InputError naming the ones that have it; dense
// for a generator whose natural form is implicit materializes P from its entries. float32 (any
// generator) holds the margins A = P - 1/2 in float, 4 bytes per entry, products in double
// (float32_operator.h): the game IS then the float-rounded one, entries moved by at most 2^-26
// ~ 1.5e-8, exactly skew-symmetric, and pi* and every metric refer to it. It is filled from the
// implicit form's entries when the generator has one (no n x n double is built), otherwise from the
// dense matrix in that matrix's own memory (the build peaks at 8 n^2 bytes, then holds 4 n^2). A
// storage other than the generator's auto choice is part of the game: the canonical spec string ends
// with `storage=dense`, `storage=float32` or `storage=implicit` (and only then, so the spec strings
// of existing games are unchanged).
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/params.h"
#include "nlhf/registry.h"
#include "nlhf/spec.h"

namespace nlhf {

// Builds P as a dense matrix from resolved parameters (seed included). Throws InputError for bad data.
using GameFactory = std::function<Eigen::MatrixXd(const ParamMap&)>;
// Builds P as an operator that does not store it.
using OperatorFactory = std::function<std::shared_ptr<const PreferenceOperator>(const ParamMap&)>;
// Builds mu over n actions from resolved parameters.
using ReferenceFactory = std::function<Eigen::VectorXd(Eigen::Index n, const ParamMap&)>;

// What a game generator is, for code that must not name it (storage choice, memory estimate).
struct GameTraits {
  // The implicit form; empty when the generator has only the dense matrix.
  OperatorFactory implicit;
  // The bytes the implicit form will hold, from the parameters alone (the memory estimate runs
  // before anything is built). Set together with `implicit`.
  std::function<double(const ParamMap&)> implicit_bytes;
  // storage: auto picks the implicit form (a low-rank game, O(n K) per product).
  bool implicit_by_default = false;
};

const Registry<GameFactory, GameTraits>& GameRegistry();
using GameRegistryEntry = RegistryEntry<GameFactory, GameTraits>;
const Registry<ReferenceFactory>& ReferenceRegistry();

enum class GameStorage { kAuto, kDense, kFloat32, kImplicit };
std::string_view GameStorageName(GameStorage s);  // "auto", "dense", "float32", "implicit"
std::optional<GameStorage> ParseGameStorage(std::string_view name);
// The allowed names, for messages.
inline constexpr std::string_view kGameStorageNames = "auto, dense, float32 or implicit";
// The storage a generator uses for `asked`: kDense, kFloat32 or kImplicit (auto resolved by its traits).
// Throws InputError(key) for implicit on a generator without an implicit form, naming those with one.
GameStorage ResolveStorage(const GameRegistryEntry& entry, GameStorage asked,
                           const std::string& key = "game.storage");
// The generators that have an implicit form, in registry order.
std::vector<std::string> ImplicitGameNames();

struct BuiltMatrix {
  Eigen::MatrixXd P;
  std::string spec;  // canonical
};
struct BuiltOperator {
  std::shared_ptr<const PreferenceOperator> P;
  std::string spec;  // canonical, with `storage=` when it is not the generator's default
};
struct BuiltReference {
  Eigen::VectorXd mu;
  std::string spec;  // canonical
};

using GivenParams = std::vector<std::pair<std::string, ParamValue>>;

// A parameter named `seed` without a value follows `run_seed`. `key` names the owner in
// messages ("game", "reference"). Results are validated (an implicit operator on a sample:
// ValidateOperatorSample).
BuiltOperator MakePreferenceOperator(std::string_view name, const GivenParams& given, std::uint64_t run_seed,
                                     GameStorage storage = GameStorage::kAuto, const std::string& key = "game");
// The dense matrix of a generator (an implicit one materialized): for tests and small games.
BuiltMatrix MakePreferenceMatrix(std::string_view name, const GivenParams& given,
                                 std::uint64_t run_seed, const std::string& key = "game");
BuiltReference MakeReference(std::string_view name, const GivenParams& given, Eigen::Index n,
                             std::uint64_t run_seed, const std::string& key = "reference");

// From spec strings such as "bradley_terry(n=20,scale=1)" and "softmax_normal(scale=1)". A game
// spec may end with `storage=auto|dense|float32|implicit` (the game-level key, not a generator parameter).
Game MakeGame(std::string_view game_spec, std::string_view reference_spec, std::uint64_t run_seed);
// The same from a parsed game spec (spec.h: the name and the raw key=value arguments, `storage` among
// them), for callers that hold the arguments apart (the Python bindings' keyword arguments).
Game MakeGame(SpecCall game_spec, std::string_view reference_spec, std::uint64_t run_seed);

// Typed parameters from a parsed spec's raw strings, checked against the entry's table.
GivenParams ParseGivenParams(const std::vector<ParamSpec>& specs,
                             const std::vector<std::pair<std::string, std::string>>& raw,
                             const std::string& key);

// A parsed game spec read against its generator's table, as MakeGame reads it: the typed
// parameters (a name the table lacks kept raw, for ResolveParams to report with a suggestion) and
// the game-level `storage` (kAuto when not given). Throws InputError for an unknown generator or
// storage, or a value the table refuses.
struct GameCall {
  std::string name;
  GivenParams params;
  GameStorage storage = GameStorage::kAuto;
};
GameCall ReadGameCall(const SpecCall& game_spec);
// MakeGame from a spec already read (a caller that checks its parameters first reads it once).
Game MakeGame(const GameCall& game_spec, std::string_view reference_spec, std::uint64_t run_seed);

}  // namespace nlhf
