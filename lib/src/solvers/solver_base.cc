#include "solver_base.h"

#include <cstring>

#include "nlhf/spec.h"

namespace nlhf::solvers {

std::optional<StepInfo> SolverBase::CostPerStep() const {
  if (estimates_per_step_ <= 0) return std::nullopt;
  if (!sampled()) return StepInfo{estimates_per_step_, 0, 0.0};
  return StepInfo{0, estimates_per_step_ * oracle_.config().batch, 0.0};
}

void SolverBase::BindGame(const SolverContext& c) {
  NLHF_CHECK(c.game != nullptr, "solver reset without a game");
  game_ = c.game;
  beta_ = c.beta;
  rho_ = c.rho;
  rho_is_bound_ = c.rho_is_bound;
  rho_later_ = c.rho_later;
  effective_ = ParamMap{};
  notes_.clear();
  const Eigen::Index n = game_->n();
  if (c.init.size() == 0) {
    l_ = game_->log_mu();
  } else {
    NLHF_CHECK(c.init.size() == n, "initial policy size differs from the game's");
    l_ = NormalizeLogits(c.init);
  }
  pi_ = Probabilities(l_);
  g_ = Eigen::VectorXd::Zero(n);
  offer_valid_ = own_valid_ = false;
  offer_.log_pi = offer_.pi = offer_.g = Eigen::VectorXd::Zero(n);
  if (!c.oracle.exact() && !AcceptsSampledOracle())
    throw InputError(key_ + ".oracle", OracleRefusal(c.oracle.type, name_));
  oracle_.Reset(*game_, c.oracle, c.seed, key_);
}

void SolverBase::OfferPayoff(const Eigen::VectorXd& pi, const Eigen::VectorXd& g) {
  if (sampled() || pi.size() != l_.size() || g.size() != l_.size()) return;
  offer_.log_pi = l_;
  offer_.pi = pi;
  offer_.g = g;
  offer_valid_ = true;
  own_valid_ = false;  // the newer point wins
}

const PolicyPoint* SolverBase::EvaluateCurrent() {
  if (game_ == nullptr) return nullptr;
  if (!TakesOffers()) {  // a sampled oracle, or a step that starts elsewhere and may read pi_ or g_
    Evaluate(*game_, l_, offer_);
    offer_valid_ = false;
    return &offer_;
  }
  ComputeIterate();  // Evaluate(*game_, l_, own_), where own_.log_pi is l_ already
  own_valid_ = true;
  offer_valid_ = false;
  return &own_;
}

bool SolverBase::TakeOffer() {
  if (own_valid_) {  // pi_ and g_ are the pi and P pi of l_ (nothing changed them since)
    own_valid_ = false;
    return true;
  }
  if (!offer_valid_ || offer_.log_pi.size() != l_.size() ||
      std::memcmp(l_.data(), offer_.log_pi.data(), sizeof(double) * static_cast<size_t>(l_.size())) != 0)
    return false;
  pi_ = offer_.pi;
  g_ = offer_.g;
  return true;
}

double SolverBase::ResolveStep(const std::string& name, double default_value,
                               const std::function<double(double)>& auto_fn, const StepRange* range) {
  const auto in_range = [&](double v) { return std::isfinite(v) && v > 0.0 && (!range || range->valid(v)); };
  // The top of the range, stepped down past rounding (eta = 1/beta can give eta*beta = 1 + 2^-52).
  const auto largest = [&] {
    double v = range->largest;
    for (int k = 0; k < 64 && !in_range(v); ++k) v = std::nextafter(v, 0.0);
    NLHF_CHECK(in_range(v), fmt::format("{}.{}: no valid step near {}", key_, name, range->largest));
    return v;
  };
  // The default, clamped when extreme beta puts it outside the range (or makes it non-finite).
  const auto default_step = [&] {
    if (!range || in_range(default_value)) return default_value;
    const double v = largest();
    notes_.push_back(fmt::format("{}: the default step {} is outside the valid range ({}) at beta = {}; clamped to {}",
                                 name, default_value, range->rule, beta_, v));
    return v;
  };
  // A step resolved from rho that the run resolves once it has solved pi* (rho_later_): the default
  // stands in, and a note says so.
  const auto stand_in = [&](const std::string& written) {
    const double v = default_step();
    notes_.push_back(fmt::format("{}: {} is resolved from the game's spectral radius rho once the run has solved pi*, "
                                 "which this estimate does not solve; the default step {} stands in for it here",
                                 name, written, v));
    return v;
  };
  double value = 0.0;
  if (params_.IsAuto(name)) {
    if (!auto_fn)
      throw InputError(key_ + "." + name, fmt::format("'auto' is not available for {}, expected a number > 0", name_));
    if (!rho_ && rho_later_) {
      value = stand_in("auto");
    } else if (!rho_) {
      value = default_step();
      notes_.push_back(fmt::format("{}: auto needs the spectral radius rho of the game, which is unknown here (no "
                                   "certified pi*: not certified, or equilibrium: none); used the default step {}",
                                   name, value));
    } else {
      const double raw = auto_fn(*rho_);
      if (in_range(raw)) {
        value = raw;
      } else if (range && (raw > 0.0 || std::isinf(raw))) {  // above the range
        value = largest();
        notes_.push_back(fmt::format("{}: auto gave {} (rho = {:.3g}), outside the valid range ({}); clamped to {}",
                                     name, raw, *rho_, range->rule, value));
      } else {  // NaN or <= 0: the formula broke down (extreme beta or rho)
        value = default_step();
        notes_.push_back(fmt::format("{}: auto gave {} (rho = {:.3g}, beta = {}), not a usable step; used the default "
                                     "step {}",
                                     name, raw, *rho_, beta_, value));
      }
    }
  } else if (const std::optional<double> multiple = params_.LimitMultipleOf(name)) {
    // (the run resolves it, or refuses it, once pi* is solved)
    value = !rho_ && rho_later_ ? stand_in(FormatParamValue(LimitMultiple{*multiple}))
                                : StepFromLimit(name, *multiple, range);
  } else if (params_.Has(name)) {
    value = params_.Double(name);
  } else {
    value = default_step();
  }
  effective_.Set(name, value);
  return value;
}

double SolverBase::StepFromLimit(const std::string& name, double multiple, const StepRange* range) const {
  const std::string key = key_ + "." + name, written = FormatParamValue(LimitMultiple{multiple});
  if (!rho_)
    throw InputError(key, fmt::format("'{}' needs this game's stability limit, which needs the spectral radius rho of "
                                      "the game, unknown here (no certified pi*: not certified, or equilibrium: none), expected "
                                      "a number or auto",
                                      written));
  const std::optional<double> limit = StabilityLimit();
  NLHF_CHECK(limit.has_value(), fmt::format("{} accepts {}*limit but has no stability limit", name_, name));
  // During validation rho is the bound 1/2 of every game: a limit infinite there is infinite on every
  // game, and a multiple too large there is too large on every game.
  const std::string where = rho_is_bound_ ? fmt::format("even at the largest rho any game has ({:.3g})", *rho_)
                                          : fmt::format("on this game (rho = {:.3g})", *rho_);
  if (!std::isfinite(*limit))
    throw InputError(key, fmt::format("'{}': every step of {} is stable {} at beta = {} (rho <= beta), so it has no "
                                      "stability limit to multiply, expected a number or auto",
                                      written, name_, where, beta_));
  const double value = multiple * *limit;
  if (!std::isfinite(value) || !(value > 0.0) || (range && !range->valid(value)))
    throw InputError(key, fmt::format("'{}' = {} (the limit is {:.6g} {}) is outside the valid range ({}), expected "
                                      "a smaller multiple",
                                      written, value, *limit, where, range ? range->rule : "finite and > 0"));
  return value;
}

void SolverBase::RejectParam(const std::string& param, double value, const std::string& problem,
                             const std::string& allowed) const {
  throw InputError(key_ + "." + param, fmt::format("{} {}, expected {}", value, problem, allowed));
}

double SolverBase::SubgameGap(const Eigen::VectorXd& ref, double strength, Eigen::VectorXd& br) const {
  br = ref + g_ / strength;
  NormalizeLogitsInPlace(br);
  return 2.0 * strength * KlSum(l_.data(), pi_.data(), br.data(), l_.size());
}

void SolverBase::KeepParam(const std::string& name) { effective_.Set(name, params_.Get(name)); }

void AnchoredSolver::BindAnchor() {
  anchor_ = game_->log_mu();
  br_ = Eigen::VectorXd::Zero(game_->n());
  every_ = params_.Int("reference_every");
  gap_threshold_ = params_.Double("reference_gap");
  if (sampled() && gap_threshold_ > 0.0)
    throw InputError(key_ + ".reference_gap",
                     fmt::format("{} needs the exact subgame gap, which a {} oracle does not give, expected 0 "
                                 "(reference_every works with any oracle)",
                                 gap_threshold_, OracleTypeName(oracle_.config().type)));
  since_move_ = 0;
  gap_check_due_ = false;
  KeepParam("reference_every");
  KeepParam("reference_gap");
}

void AnchoredSolver::EstimateIterateAndMove(StepInfo& info) {
  EstimateIterate(info);
  if (!gap_check_due_) return;
  gap_check_due_ = false;
  if (SubgameGap(anchor_, beta_, br_) <= gap_threshold_) {  // exact g_: BindAnchor refuses a sampled oracle
    anchor_ = l_;
    since_move_ = 0;
  }
}

void AnchoredSolver::MaybeMoveReference() {
  if (!moving()) return;
  ++since_move_;
  if (every_ > 0 && since_move_ >= every_) {
    anchor_ = l_;
    since_move_ = 0;
  } else {
    gap_check_due_ = gap_threshold_ > 0.0;
  }
}

std::vector<ParamSpec> MovingReferenceParams() {
  return {ParamSpec::Int("reference_every", 0,
                         "moving reference: the reference becomes the iterate every K iterations (0: off)")
              .AtLeast(0),
          ParamSpec::Double("reference_gap", 0.0,
                            "moving reference: ... or when the subgame's gap_beta falls below this (0: off)")
              .AtLeast(0)};
}

ParamSpec StepParam(const std::string& name, const std::string& default_doc, const std::string& doc,
                    bool auto_allowed) {
  ParamSpec p = ParamSpec::Double(name, std::nullopt, doc).Above(0).Optional(default_doc);
  p.auto_allowed = auto_allowed;
  return p;
}

double NashMpAutoEta(double beta, double rho) {
  if (rho <= 0.0) return 1e6 * beta;  // rho = 0: any step is stable; take a very large one
  return std::max(2.0 * beta, 0.5 * beta / rho);
}

}  // namespace nlhf::solvers
