#include "nlhf/output/summary_json.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include "nlhf/logspace.h"
#include "nlhf/metrics.h"

namespace nlhf {

namespace {

using Json = nlohmann::ordered_json;  // keys in the documented order

// null for NaN and infinities (JSON has no such numbers).
Json Number(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

Json Vector(const Eigen::VectorXd& v) {
  Json out = Json::array();
  for (Eigen::Index i = 0; i < v.size(); ++i) out.push_back(Number(v[i]));
  return out;
}

Json Metrics(const MetricValues& m) {
  Json out = Json::object();
  for (size_t k = 0; k < m.size(); ++k) out[std::string(MetricTable()[k].name)] = Number(m[k]);
  return out;
}

template <class T>
Json Optional(const std::optional<T>& v) {
  return v ? Number(*v) : Json(nullptr);
}

}  // namespace

std::string SummaryJson(const ExperimentConfig& config, const ExperimentResult& result) {
  Json runs = Json::array();
  for (const RunResult& r : result.runs) {
    const GameResult& g = result.games[r.game_index];
    const RunSummary& s = r.summary;
    const bool certified = g.equilibrium && g.equilibrium->certified();
    Json o;
    o["run_id"] = r.run_id;
    o["experiment"] = config.name;
    o["solver"] = r.solver;
    o["label"] = r.label;
    o["params"] = r.params;
    o["seed"] = r.seed;
    o["game"] = g.game_spec;
    o["reference"] = g.reference_spec;
    o["n"] = g.n;
    o["beta"] = Number(config.beta);
    o["termination"] = std::string(TerminationName(s.termination));
    o["message"] = s.message;
    o["iterations"] = s.iterations;
    o["oracle_calls"] = s.oracle_calls;
    o["queries"] = s.queries;
    o["wall_s"] = Number(s.wall_s);
    o["final"] = Metrics(s.final_metrics);
    if (s.final_average_metrics) o["final_average"] = Metrics(*s.final_average_metrics);
    o["policy"] = Vector(Probabilities(s.final_logits));  // 0 where it underflows, as the metrics take it
    // At beta = 0, pi* is the selected Nash equilibrium and its certificate is gap_0.
    const bool zero = config.beta == 0.0 && g.nash;
    o["pi_star"] = certified                       ? Vector(g.equilibrium->pi)
                   : zero && g.nash->certified ? Vector(g.nash->pi)
                                               : Json(nullptr);
    o["certificate"] = g.equilibrium ? Number(g.equilibrium->certificate)
                       : zero        ? Number(g.nash->certificate)
                                     : Json(nullptr);
    if (g.equilibrium)
      o["equilibrium"] = g.equilibrium->message;
    else if (zero)
      o["equilibrium"] = g.nash->message;
    else if (config.equilibrium == EquilibriumMode::kNone)
      o["equilibrium"] = EquilibriumNoneNote();
    else
      o["equilibrium"] = nullptr;
    if (g.nash) {
      // The beta = 0 game's equilibrium (kl_to_ne's target; pi* at beta = 0), with its selection.
      Json ne;
      ne["certified"] = g.nash->certified;
      ne["selection"] = std::string(NashSelectionName(g.nash->selection));
      ne["pi"] = g.nash->certified ? Vector(g.nash->pi) : Json(nullptr);
      ne["support"] = g.nash->support;
      ne["unique"] = g.nash->certified ? Json(g.nash->unique()) : Json(nullptr);
      ne["dimension"] = g.nash->dimension;
      ne["gap_0"] = Number(g.nash->certificate);
      ne["lp_status"] = g.nash->lp_status;
      ne["message"] = g.nash->message;
      o["nash_equilibrium"] = ne;
    }
    o["rho"] = r.rho ? Number(*r.rho) : Json(nullptr);
    o["stability_limit"] = Optional(r.stability_limit);
    o["target_gap_beta"] = Optional(r.target_gap_beta);
    o["warnings"] = s.warnings;
    if (s.theory.applicable) {
      Json t;
      t["factor"] = Number(s.theory.factor);
      t["violated"] = s.theory.violated;
      t["first_violation"] = s.theory.first_violation;
      t["message"] = s.theory.message;
      o["theory"] = t;
    } else {
      o["theory"] = nullptr;
    }
    // null for an implicit game (experiment.h: not computed without a stored P).
    if (const std::optional<GameDescriptors>& d = g.descriptors) {
      Json desc;
      desc["cyclic_triple_fraction"] = d->cyclic_triple_fraction ? Number(*d->cyclic_triple_fraction) : Json(nullptr);
      desc["condorcet_winner"] = d->condorcet_winner ? Json(*d->condorcet_winner) : Json(nullptr);
      desc["max_abs_margin"] = Number(d->max_abs_margin);
      desc["hodge_cyclic_ratio"] = d->hodge_cyclic_ratio ? Number(*d->hodge_cyclic_ratio) : Json(nullptr);
      o["descriptors"] = desc;
    } else {
      o["descriptors"] = nullptr;
    }
    runs.push_back(std::move(o));
  }
  // Invalid UTF-8 in a user's label or file name is replaced, never a crash.
  return runs.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace nlhf
