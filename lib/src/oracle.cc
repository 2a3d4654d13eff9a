#include "nlhf/oracle.h"

#include <fmt/format.h>

#include <algorithm>

namespace nlhf {

std::string_view OracleTypeName(OracleType t) {
  switch (t) {
    case OracleType::kExact: return "exact";
    case OracleType::kSampled: return "sampled";
    case OracleType::kPairs: return "pairs";
  }
  return "?";
}

std::string_view OracleSamplerName(OracleSampler s) {
  switch (s) {
    case OracleSampler::kIterate: return "iterate";
    case OracleSampler::kUniform: return "uniform";
    case OracleSampler::kReference: return "reference";
  }
  return "?";
}

namespace {

constexpr OracleType kTypes[] = {OracleType::kExact, OracleType::kSampled, OracleType::kPairs};
constexpr OracleSampler kSamplers[] = {OracleSampler::kIterate, OracleSampler::kUniform, OracleSampler::kReference};

// "a, b or c" from the names of `values`.
template <class T, size_t N, class NameFn>
std::string Names(const T (&values)[N], NameFn name) {
  std::string out;
  for (size_t i = 0; i < N; ++i) out += fmt::format("{}{}", i == 0 ? "" : i + 1 == N ? " or " : ", ", name(values[i]));
  return out;
}

template <class T, size_t N, class NameFn>
std::optional<T> Parse(const T (&values)[N], NameFn name, std::string_view text) {
  for (T v : values)
    if (name(v) == text) return v;
  return std::nullopt;
}

}  // namespace

std::string OracleTypeNames() { return Names(kTypes, OracleTypeName); }
std::string OracleSamplerNames() { return Names(kSamplers, OracleSamplerName); }
std::optional<OracleType> ParseOracleType(std::string_view name) { return Parse(kTypes, OracleTypeName, name); }
std::optional<OracleSampler> ParseOracleSampler(std::string_view name) {
  return Parse(kSamplers, OracleSamplerName, name);
}

std::string OracleConfig::Spec() const {
  if (exact()) return "exact";
  return fmt::format("{}(batch={},sampler={})", OracleTypeName(type), batch, OracleSamplerName(sampler));
}

void Oracle::Reset(const Game& game, const OracleConfig& config, std::uint64_t seed, std::string_view stream_key) {
  game_ = &game;
  config_ = config;
  if (config.exact()) {  // no draws, no buffers (seeding an engine costs about a microsecond)
    rng_.reset();
    return;
  }
  rng_.emplace(seed, fmt::format("oracle:{}", stream_key));
  const Eigen::Index n = game.n();
  q_ = Eigen::VectorXd::Zero(n);
  cdf_self_ = Eigen::VectorXd::Zero(n);
  cdf_opp_ = Eigen::VectorXd::Zero(n);
  sum_ = Eigen::VectorXd::Zero(n);
}

Eigen::Index Oracle::Draw(const Eigen::VectorXd& cdf, double u) {
  const Eigen::Index n = cdf.size();
  const double target = u * cdf[n - 1];
  const double* first = cdf.data();
  const double* it = std::upper_bound(first, first + n, target);
  return std::min<Eigen::Index>(it - first, n - 1);
}

OracleCost Oracle::Estimate(const Eigen::VectorXd& pi_self, const Eigen::VectorXd& pi_opp, Eigen::VectorXd& out) {
  if (config_.exact()) {
    game_->Apply(pi_opp, out);
    return {1, 0};
  }
  const Eigen::Index n = game_->n();
  const bool uniform = config_.sampler == OracleSampler::kUniform;
  if (uniform) {
    q_.setConstant(1.0 / static_cast<double>(n));
  } else {
    const Eigen::VectorXd& q = config_.sampler == OracleSampler::kIterate ? pi_self : game_->mu();
    q_ = q / q.sum();
    double acc = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) cdf_self_[i] = (acc += q_[i]);
  }
  double acc = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) cdf_opp_[i] = (acc += pi_opp[i]);
  sum_.setZero();
  const bool bernoulli = config_.type == OracleType::kSampled;
  Rng& rng = *rng_;
  for (std::int64_t b = 0; b < config_.batch; ++b) {
    const Eigen::Index y =
        uniform ? static_cast<Eigen::Index>(rng.Below(static_cast<std::uint64_t>(n))) : Draw(cdf_self_, rng.Uniform());
    const Eigen::Index y2 = Draw(cdf_opp_, rng.Uniform());
    const double p = game_->Entry(y, y2);  // one entry: implicit games compute it in O(K) or O(1)
    const double o = bernoulli ? (rng.Uniform() < p ? 1.0 : 0.0) : p;
    sum_[y] += o - 0.5;
  }
  const double inv_b = 1.0 / static_cast<double>(config_.batch);
  for (Eigen::Index y = 0; y < n; ++y) out[y] = sum_[y] == 0.0 ? 0.5 : 0.5 + inv_b * sum_[y] / q_[y];
  return {0, config_.batch};
}

}  // namespace nlhf
