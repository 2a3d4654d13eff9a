// bradley_terry: P[i][j] = sigma((r_i - r_j) / T), ratings r ~ N(0, scale^2) or given.
// Bradley and Terry, "Rank analysis of incomplete block designs", Biometrika 39 (1952).
// Transitive: the best-rated action is a Condorcet winner and pi*_beta -> it as beta -> 0.
// Implicit form (storage: implicit; the default is dense, P is full rank): P x from the n ratings,
// each entry computed on the fly with PreferencesFromLogits' rule (the same bits as the dense P):
// O(n^2) time, O(n) memory per product.
#include <fmt/format.h>

#include "games.h"
#include "nlhf/errors.h"
#include "nlhf/rng.h"

namespace nlhf::games {

namespace {

Eigen::VectorXd Ratings(const ParamMap& p) {
  const Eigen::Index n = p.Int("n");
  const std::vector<double>& given = p.DoubleList("ratings");
  Eigen::VectorXd r(n);
  if (!given.empty()) {
    if (static_cast<Eigen::Index>(given.size()) != n)
      throw InputError("game.ratings",
                       fmt::format("has {} values but n = {}, expected n values", given.size(), n));
    for (Eigen::Index i = 0; i < n; ++i) r[i] = given[i];
  } else {
    Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "bradley_terry");
    for (Eigen::Index i = 0; i < n; ++i) r[i] = p.Double("scale") * rng.Normal();
  }
  return r;
}

class BradleyTerryOperator final : public PreferenceOperator {
 public:
  BradleyTerryOperator(Eigen::VectorXd r, double temperature) : r_(std::move(r)), t_(temperature) {}

  Eigen::Index n() const override { return r_.size(); }
  double StoredBytes() const override { return 8.0 * static_cast<double>(r_.size()); }
  double Entry(Eigen::Index i, Eigen::Index j) const override {
    return EntryFromLogits(i, j, [this](Eigen::Index a, Eigen::Index b) { return Logit(a, b); });
  }
  // Each pair i > j once: P_ij adds to row i, P_ji = 1 - P_ij (or the other way round, whichever is
  // the sigmoid of a non-positive logit) to row j.
  void Apply(const Eigen::VectorXd& x, Eigen::VectorXd& out) const override {
    const Eigen::Index n = r_.size();
    out.resize(n);
    out.setZero();
    for (Eigen::Index i = 0; i < n; ++i) {
      double row = 0.5 * x[i];
      const double xi = x[i];
      for (Eigen::Index j = 0; j < i; ++j) {
        const double s = Logit(i, j);
        double p_ij, p_ji;
        if (s <= 0.0) {
          p_ij = Sigmoid(s);
          p_ji = 1.0 - p_ij;
        } else {
          p_ji = Sigmoid(-s);
          p_ij = 1.0 - p_ji;
        }
        row += p_ij * x[j];
        out[j] += p_ji * xi;
      }
      out[i] += row;
    }
  }

 private:
  double Logit(Eigen::Index i, Eigen::Index j) const { return (r_[i] - r_[j]) / t_; }

  Eigen::VectorXd r_;
  double t_;
};

}  // namespace

GameEntry BradleyTerryEntry() {
  return {"bradley_terry",
          "P[i][j] = sigmoid((r_i - r_j)/temperature), r ~ N(0, scale^2) or given (transitive)",
          {SizeParam(), ParamSpec::Double("scale", 1.0, "standard deviation of the ratings").AtLeast(0),
           ParamSpec::Double("temperature", 1.0, "divides rating differences").Above(0),
           ParamSpec::DoubleList("ratings", "the ratings r (n values); empty: drawn at random"),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const Eigen::VectorXd r = Ratings(p);
            const double t = p.Double("temperature");
            Eigen::MatrixXd S(n, n);
            for (Eigen::Index i = 0; i < n; ++i)
              for (Eigen::Index j = 0; j < n; ++j) S(i, j) = (r[i] - r[j]) / t;
            return PreferencesFromLogits(S);
          },
          GameTraits{[](const ParamMap& p) -> std::shared_ptr<const PreferenceOperator> {
                       return std::make_shared<const BradleyTerryOperator>(Ratings(p), p.Double("temperature"));
                     },
                     [](const ParamMap& p) { return 8.0 * static_cast<double>(p.Int("n")); },
                     /*implicit_by_default=*/false}};
}

}  // namespace nlhf::games
