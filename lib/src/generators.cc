#include "nlhf/generators.h"

#include <map>

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
  const SpecCall g = ParseSpec(game_spec);
  const auto& game_entry = GameRegistry().Find(g.name, "game.type");
  BuiltMatrix P = MakePreferenceMatrix(g.name, ParseGivenParams(game_entry.params, g.args, "game"),
                                       run_seed, "game");
  const SpecCall r = ParseSpec(reference_spec);
  const auto& ref_entry = ReferenceRegistry().Find(r.name, "reference.type");
  BuiltReference mu = MakeReference(
      r.name, ParseGivenParams(ref_entry.params, r.args, "reference"), P.P.rows(), run_seed, "reference");
  return Game(std::move(P.P), std::move(mu.mu), std::move(P.spec), std::move(mu.spec));
}

}  // namespace nlhf
