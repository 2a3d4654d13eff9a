#pragma once
// The oracle layer: how a solver learns g(pi_opp) = P pi_opp, the win rates of every action
// against the opponent policy pi_opp.
//
//   exact    today's P pi_opp: 1 oracle call, 0 queries.
//   sampled  B preference queries. Query b draws y_b ~ q (the sampling policy: `iterate`, the
//            solver's current pi; `uniform`; or `reference`, mu), y'_b ~ pi_opp and a label
//            o_b ~ Bernoulli(P[y_b][y'_b]). 0 oracle calls, B queries.
//   pairs    as sampled, but o_b = P[y_b][y'_b] exactly (the EGPO code's "empirical" mode: sampled
//            pairs, exact preference probabilities). 0 oracle calls, B queries.
//
// `oracle_calls` counts exact evaluations of P pi only; a sampled or pairs step costs 0 of them
// and B `queries` (one per drawn pair, i.e. per label).
//
// Estimator (sampled and pairs): importance weighting, centered at 1/2 (o - 1/2 estimates
// A[y] pi_opp; docs/mathematics.md §5.7):
//   g^_y = 1/2 + (1 / (B q(y))) * sum_b 1[y_b = y] (o_b - 1/2).
// Unbiased for every y with q(y) > 0: E[1[y_b = y](o_b - 1/2)] = q(y) (g_y - 1/2). Its variance,
// with the B queries independent,
//   Var g^_y = ( m_y / q(y) - (g_y - 1/2)^2 ) / B,   m_y = E[(o - 1/2)^2 | y_b = y],
// where m_y = 1/4 for `sampled` (a Bernoulli label is 0 or 1) and
// m_y = sum_y' pi_opp(y') (P[y][y'] - 1/2)^2 <= 1/4 for `pairs`. The covariance of two components
// is -(g_y - 1/2)(g_z - 1/2) / B. Actions with a small q(y) are rarely drawn and weighted by
// 1/q(y): the variance grows as 1/q(y) (under `iterate`, where the policy has little mass). An
// action with q(y) = 0 (a probability that underflowed) is never drawn; its estimate is 1/2.
//
// Randomness: each oracle owns an Rng (rng.h) seeded with the run seed and the stream
// "oracle:<key>" (key = the solver entry, "solvers[1]"), so a run's draws depend neither on
// --jobs nor on the order of runs. Draws: y by inversion of q's cumulative sums (one Uniform(),
// binary search; uniform q: Below(n)), y' likewise from pi_opp, the label as Uniform() < P[y][y'].
// Estimate() does not allocate: its buffers are sized in Reset().
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/game.h"
#include "nlhf/rng.h"

namespace nlhf {

enum class OracleType { kExact, kSampled, kPairs };
enum class OracleSampler { kIterate, kUniform, kReference };

std::string_view OracleTypeName(OracleType t);        // "exact", "sampled", "pairs"
std::string_view OracleSamplerName(OracleSampler s);  // "iterate", "uniform", "reference"
// The allowed names, for messages: "exact, sampled or pairs".
std::string OracleTypeNames();
std::string OracleSamplerNames();
// The enumerator a name denotes (the inverse of the *Name functions); nullopt for any other text.
std::optional<OracleType> ParseOracleType(std::string_view name);
std::optional<OracleSampler> ParseOracleSampler(std::string_view name);

// A solver entry's `oracle:` key (config.h). batch and sampler are meaningful for sampled/pairs.
struct OracleConfig {
  OracleType type = OracleType::kExact;
  std::int64_t batch = 64;
  OracleSampler sampler = OracleSampler::kIterate;
  bool exact() const { return type == OracleType::kExact; }
  // "exact" or "sampled(batch=64,sampler=iterate)".
  std::string Spec() const;
};

struct OracleCost {
  std::int64_t oracle_calls = 0;
  std::int64_t queries = 0;
};

class Oracle {
 public:
  // Binds to `game`; `seed` is the run seed, `stream_key` names the consumer (e.g. "solvers[1]").
  void Reset(const Game& game, const OracleConfig& config, std::uint64_t seed, std::string_view stream_key);
  const OracleConfig& config() const { return config_; }

  // out = g^(pi_opp) (exact: P pi_opp). `pi_self` is the solver's current policy (the `iterate`
  // sampler draws y from it); both are probability vectors of size n. No allocation.
  OracleCost Estimate(const Eigen::VectorXd& pi_self, const Eigen::VectorXd& pi_opp, Eigen::VectorXd& out);

 private:
  // Index y with cdf[y-1] <= u * total < cdf[y] (cdf: inclusive cumulative sums).
  static Eigen::Index Draw(const Eigen::VectorXd& cdf, double u);

  const Game* game_ = nullptr;
  OracleConfig config_;
  std::optional<Rng> rng_;    // a sampled oracle's draws (set by Reset)
  Eigen::VectorXd q_;         // the sampling policy of this estimate
  Eigen::VectorXd cdf_self_;  // cumulative sums of q
  Eigen::VectorXd cdf_opp_;   // cumulative sums of pi_opp
  Eigen::VectorXd sum_;       // per action: sum_b 1[y_b = y](o_b - 1/2)
};

}  // namespace nlhf
