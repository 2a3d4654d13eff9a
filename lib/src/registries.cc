// The explicit lists of builtin generators, reference policies and solvers. To add one: write
// lib/src/games/<name>.cc (or references/, solvers/): citation and construction or update rule at
// the top, and an entry function returning its name, doc, parameter table and factory (and, for a
// solver, its traits); then declare that function below and list it in its registry. Nothing else
// names it: the property tests in tests/properties/ then cover it automatically.
#include <fmt/format.h>

#include "games/games.h"
#include "references/references.h"
#include "solvers/solver_base.h"

// The entry functions, one per file of lib/src/games/, references/ and solvers/.
namespace nlhf::games {
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
GameEntry NfgEntry();
GameEntry LowRankCyclicEntry();
GameEntry LowRankDiscEntry();
}  // namespace nlhf::games

namespace nlhf::references {
ReferenceEntry UniformEntry();
ReferenceEntry SoftmaxNormalEntry();
ReferenceEntry ZipfEntry();
ReferenceEntry FileEntry();
}  // namespace nlhf::references

namespace nlhf::solvers {
SolverEntry NashMpEntry();
SolverEntry NashMpPgEntry();
SolverEntry ProxEntry();
SolverEntry NashProxEntry();
SolverEntry EgpoEntry();
SolverEntry OmdEntry();
SolverEntry MmdEntry();
SolverEntry NashMdEntry();
SolverEntry OnlineIpo2Entry();
SolverEntry NashMdPgEntry();
SolverEntry MwuEntry();
SolverEntry OmwuEntry();
}  // namespace nlhf::solvers

namespace nlhf {

const Registry<GameFactory, GameTraits>& GameRegistry() {
  static const Registry<GameFactory, GameTraits> registry(
      "game", {
                  games::RandomUniformEntry(),
                  games::RandomSkewEntry(),
                  games::BradleyTerryEntry(),
                  games::CyclicEntry(),
                  games::Rps3Entry(),
                  games::DiscEntry(),
                  games::BtMixtureEntry(),
                  games::HodgeEntry(),
                  games::TournamentEntry(),
                  games::MatrixEntry(),
                  games::NfgEntry(),
                  games::LowRankCyclicEntry(),
                  games::LowRankDiscEntry(),
              });
  return registry;
}

const Registry<ReferenceFactory>& ReferenceRegistry() {
  static const Registry<ReferenceFactory> registry(
      "reference", {
                       references::UniformEntry(),
                       references::SoftmaxNormalEntry(),
                       references::ZipfEntry(),
                       references::FileEntry(),
                   });
  return registry;
}

const Registry<SolverFactory, SolverTraits>& SolverRegistry() {
  static const Registry<SolverFactory, SolverTraits> registry(
      "solver", {
                    solvers::NashMpEntry(),
                    solvers::NashMpPgEntry(),
                    solvers::ProxEntry(),
                    solvers::NashProxEntry(),
                    solvers::EgpoEntry(),
                    solvers::OmdEntry(),
                    solvers::MmdEntry(),
                    solvers::NashMdEntry(),
                    solvers::OnlineIpo2Entry(),
                    solvers::NashMdPgEntry(),
                    solvers::MwuEntry(),
                    solvers::OmwuEntry(),
                });
  return registry;
}

std::vector<std::string> OracleSolvers() {
  std::vector<std::string> names;
  for (const auto& e : SolverRegistry().entries())
    if (e.make(ParamMap{}, e.name)->AcceptsSampledOracle()) names.push_back(e.name);
  return names;
}

std::string OracleRefusal(OracleType type, std::string_view solver) {
  return fmt::format("{} is not available for {} (it needs the exact P pi), expected exact, or one of the solvers that "
                     "accept a sampled oracle: {}",
                     OracleTypeName(type), solver, JoinNames(OracleSolvers()));
}

bool AcceptsOracle(std::string_view solver) {
  const auto* e = SolverRegistry().TryFind(solver);
  return e != nullptr && e->make(ParamMap{}, e->name)->AcceptsSampledOracle();
}

}  // namespace nlhf
