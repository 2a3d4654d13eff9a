#include "nlhf/listing.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"
#include "nlhf/oracle.h"
#include "nlhf/solver.h"

namespace nlhf {

namespace {

template <class Entries>
void PrintEntries(const Entries& entries, std::ostream& out) {
  size_t name_w = 4, type_w = 4, default_w = 7;
  for (const auto& e : entries) {
    for (const ParamSpec& p : e.params) {
      name_w = std::max(name_w, p.name.size());
      type_w = std::max(type_w, ParamTypeName(p.type).size());
      default_w = std::max(default_w, p.DefaultText().size());
    }
  }
  for (const auto& e : entries) {
    fmt::print(out, "{}\n    {}\n", e.name, e.doc);
    for (const ParamSpec& p : e.params) {
      fmt::print(out, "    {:<{}}  {:<{}}  default {:<{}}  {}; allowed: {}\n", p.name, name_w, ParamTypeName(p.type),
                 type_w, p.DefaultText(), default_w, p.doc, p.AllowedText());
    }
  }
}

}  // namespace

void PrintListing(std::string_view what, std::ostream& out) {
  if (what == "games") {
    PrintEntries(GameRegistry().entries(), out);
    std::vector<std::string> low_rank;
    for (const auto& e : GameRegistry().entries())
      if (e.traits.implicit && e.traits.implicit_by_default) low_rank.push_back(e.name);
    fmt::print(out,
               "\nEvery game also takes storage: auto, dense, float32 or implicit (how P is held), default auto:\n"
               "    auto      implicit for the low-rank generators ({}), dense for the others\n"
               "    implicit  P is never stored: products P pi from the generator's parameters; available for: {}\n"
               "    dense     the n x n matrix of doubles (a low-rank generator's is filled from its entries)\n"
               "    float32   the n x n margins P - 1/2 in float (half of dense's memory; products in double): the game\n"
               "              is then the float-rounded one (entries moved by <= 1.5e-8, still P + P^T = 1), and pi*\n"
               "              and every metric refer to it; any generator\n",
               JoinNames(low_rank), JoinNames(ImplicitGameNames()));
  } else if (what == "references") {
    PrintEntries(ReferenceRegistry().entries(), out);
  } else if (what == "solvers") {
    PrintEntries(SolverRegistry().entries(), out);
    fmt::print(out,
               "\nEvery solver entry also takes oracle: {{type: TYPE, batch: B, sampler: SAMPLER}} (how it gets P pi):\n"
               "    type     {}; default exact (P pi, 1 oracle call); sampled: B queries with Bernoulli labels; "
               "pairs: B queries with the exact P[y][y']\n"
               "    batch    integer in [1, 1e9], default 64: queries per estimate of P pi (each solver's description above "
               "says how many estimates an iteration makes)\n"
               "    sampler  {}, default iterate: where y is drawn from (y' follows the opponent)\n"
               "    A sampled or pairs oracle is accepted by: {} (every other solver takes only exact).\n",
               OracleTypeNames(), OracleSamplerNames(), JoinNames(OracleSolvers()));
  } else if (what == "metrics") {
    for (const MetricInfo& m : MetricTable())
      fmt::print(out, "{:<15} {}{}\n", m.name, m.doc,
                 m.needs_star ? " [needs pi*]" : m.needs_ne ? " [needs the beta = 0 equilibrium: LPs per game]" : "");
    fmt::print(out, "At beta = 0, pi* is the selected Nash equilibrium (ne_selection), so kl_to_star = kl_to_ne; "
                    "kl_from_star, span and fp_residual are not defined there.\n");
  } else {
    throw InputError("--list", fmt::format("'{}' is not a listing{}, expected games, references, solvers or metrics",
                                           what, DidYouMeanSuffix(what, {"games", "references", "solvers", "metrics"})));
  }
}

}  // namespace nlhf
