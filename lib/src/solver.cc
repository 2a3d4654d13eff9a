#include "nlhf/solver.h"

#include "nlhf/generators.h"
#include "nlhf/spec.h"

namespace nlhf {

std::unique_ptr<Solver> MakeSolver(std::string_view name,
                                   const std::vector<std::pair<std::string, ParamValue>>& given,
                                   const std::string& key) {
  const auto& entry = SolverRegistry().Find(name, key + ".name");
  const ParamMap params = ResolveParams(entry.params, given, {}, key);
  return entry.make(params, key);
}

std::unique_ptr<Solver> MakeSolver(std::string_view spec) {
  const SpecCall call = ParseSpec(spec);
  const auto& entry = SolverRegistry().Find(call.name, "solver.name");
  return MakeSolver(call.name, ParseGivenParams(entry.params, call.args, "solver"), "solver");
}

std::vector<std::string> BetaZeroSolvers() {
  std::vector<std::string> names;
  for (const auto& e : SolverRegistry().entries())
    if (e.traits.allows_beta_zero) names.push_back(e.name);
  return names;
}

std::string SolverSpec(std::string_view name, const Solver& solver) {
  return FormatSpec(name, solver.EffectiveParams());
}

}  // namespace nlhf
