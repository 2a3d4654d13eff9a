#include "nlhf/generators.h"

#include <fmt/format.h>

#include <map>

#include "nlhf/errors.h"
#include "nlhf/float32_operator.h"
#include "nlhf/spec.h"

namespace nlhf {

namespace {

std::map<std::string, ParamValue> SeedContext(std::uint64_t run_seed) {
  return {{"seed", static_cast<std::int64_t>(run_seed)}};
}

}  // namespace

GivenParams ParseGivenParams(const std::vector<ParamSpec>& specs,
                             const std::vector<std::pair<std::string, std::string>>& raw,
                             const std::string& key) {
  GivenParams given;
  for (const auto& [name, text] : raw) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& s : specs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) {
      // Unknown names are reported by ResolveParams, with a suggestion; keep the raw text.
      given.emplace_back(name, text);
      continue;
    }
    given.emplace_back(name, ParseParamValue(*spec, text, key + "." + name));
  }
  return given;
}

std::string_view GameStorageName(GameStorage s) {
  switch (s) {
    case GameStorage::kAuto: return "auto";
    case GameStorage::kDense: return "dense";
    case GameStorage::kImplicit: return "implicit";
    case GameStorage::kFloat32: return "float32";
  }
  return "?";
}

std::optional<GameStorage> ParseGameStorage(std::string_view name) {
  for (GameStorage s : {GameStorage::kAuto, GameStorage::kDense, GameStorage::kFloat32, GameStorage::kImplicit})
    if (GameStorageName(s) == name) return s;
  return std::nullopt;
}

std::vector<std::string> ImplicitGameNames() {
  std::vector<std::string> names;
  for (const auto& e : GameRegistry().entries())
    if (e.traits.implicit) names.push_back(e.name);
  return names;
}

GameStorage ResolveStorage(const GameRegistryEntry& entry, GameStorage asked,
                           const std::string& key) {
  switch (asked) {
    case GameStorage::kAuto:
      return entry.traits.implicit && entry.traits.implicit_by_default ? GameStorage::kImplicit : GameStorage::kDense;
    case GameStorage::kDense:
    case GameStorage::kFloat32:
      return asked;
    case GameStorage::kImplicit:
      if (!entry.traits.implicit)
        throw InputError(key, fmt::format("implicit is not available for {} (it has no form that avoids storing "
                                          "P), expected auto, dense or float32, or a generator with an implicit form: {}",
                                          entry.name, JoinNames(ImplicitGameNames())));
      return GameStorage::kImplicit;
  }
  return GameStorage::kDense;
}

namespace {

// `spec` (a canonical "name(...)") with the storage appended when it is not the generator's default.
std::string WithStorage(std::string spec, const GameRegistryEntry& entry, GameStorage used) {
  if (used == ResolveStorage(entry, GameStorage::kAuto)) return spec;
  const std::string arg = fmt::format("storage={}", GameStorageName(used));
  if (!spec.empty() && spec.back() == ')') {
    spec.back() = ',';
    return spec + arg + ")";
  }
  return spec + "(" + arg + ")";
}

}  // namespace

BuiltOperator MakePreferenceOperator(std::string_view name, const GivenParams& given, std::uint64_t run_seed,
                                     GameStorage storage, const std::string& key) {
  const auto& entry = GameRegistry().Find(name, key + ".type");
  const GameStorage used = ResolveStorage(entry, storage, key + ".storage");
  const ParamMap params = ResolveParams(entry.params, given, SeedContext(run_seed), key);
  BuiltOperator out;
  out.spec = WithStorage(FormatSpec(entry.name, params), entry, used);
  if (used == GameStorage::kImplicit) {
    out.P = entry.traits.implicit(params);
    NLHF_CHECK(out.P != nullptr && out.P->dense() == nullptr, "an implicit form that stores P: " + entry.name);
    ValidateOperatorSample(*out.P, key);
  } else if (used == GameStorage::kFloat32) {
    // From the implicit form's entries when there is one (no n x n double at all), otherwise from the
    // dense matrix, converted in its own memory. Either way the same game as storage: dense, rounded.
    if (entry.traits.implicit) {
      const std::shared_ptr<const PreferenceOperator> source = entry.traits.implicit(params);
      ValidateOperatorSample(*source, key);
      out.P = Float32Operator::FromOperator(*source);
    } else {
      Eigen::MatrixXd P = entry.make(params);
      ValidatePreferenceMatrix(P, key);
      out.P = Float32Operator::FromMatrix(std::move(P));
    }
  } else {
    out.P = std::make_shared<const DenseOperator>(entry.make(params), key);  // validates P
  }
  return out;
}

BuiltMatrix MakePreferenceMatrix(std::string_view name, const GivenParams& given,
                                 std::uint64_t run_seed, const std::string& key) {
  const auto& entry = GameRegistry().Find(name, key + ".type");
  const ParamMap params = ResolveParams(entry.params, given, SeedContext(run_seed), key);
  BuiltMatrix out{entry.make(params), FormatSpec(entry.name, params)};
  ValidatePreferenceMatrix(out.P, key);
  return out;
}

BuiltReference MakeReference(std::string_view name, const GivenParams& given, Eigen::Index n,
                             std::uint64_t run_seed, const std::string& key) {
  const auto& entry = ReferenceRegistry().Find(name, key + ".type");
  const ParamMap params = ResolveParams(entry.params, given, SeedContext(run_seed), key);
  BuiltReference out{entry.make(n, params), FormatSpec(entry.name, params)};
  ValidateReference(out.mu, n, key);
  return out;
}

Game MakeGame(std::string_view game_spec, std::string_view reference_spec, std::uint64_t run_seed) {
  return MakeGame(ParseSpec(game_spec), reference_spec, run_seed);
}

GameCall ReadGameCall(const SpecCall& g) {
  const auto& game_entry = GameRegistry().Find(g.name, "game.type");
  GameCall call{g.name, {}, GameStorage::kAuto};
  // `storage` is the game-level key, not a generator parameter.
  std::vector<std::pair<std::string, std::string>> args;
  for (const auto& [k, v] : g.args) {
    if (k != "storage") {
      args.emplace_back(k, v);
      continue;
    }
    const std::optional<GameStorage> s = ParseGameStorage(v);
    if (!s) throw InputError("game.storage", fmt::format("'{}' is not a storage, expected {}", v, kGameStorageNames));
    call.storage = *s;
  }
  call.params = ParseGivenParams(game_entry.params, args, "game");
  return call;
}

Game MakeGame(SpecCall g, std::string_view reference_spec, std::uint64_t run_seed) {
  return MakeGame(ReadGameCall(g), reference_spec, run_seed);
}

Game MakeGame(const GameCall& call, std::string_view reference_spec, std::uint64_t run_seed) {
  BuiltOperator P = MakePreferenceOperator(call.name, call.params, run_seed, call.storage, "game");
  const SpecCall r = ParseSpec(reference_spec);
  const auto& ref_entry = ReferenceRegistry().Find(r.name, "reference.type");
  BuiltReference mu = MakeReference(
      r.name, ParseGivenParams(ref_entry.params, r.args, "reference"), P.P->n(), run_seed, "reference");
  return Game(std::move(P.P), std::move(mu.mu), std::move(P.spec), std::move(mu.spec));
}

}  // namespace nlhf
