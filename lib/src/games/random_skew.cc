// random_skew: A = s (G - G^T) / sqrt(2) with G standard Gaussian, P = sigma(2A).
// A scale knob on a generic game: s -> 0 gives P -> 1/2 (a nearly flat game), large s gives a
// nearly deterministic tournament.
#include <cmath>

#include "games.h"
#include "nlhf/rng.h"

namespace nlhf::games {

GameEntry RandomSkewEntry() {
  return {"random_skew",
          "A = scale (G - G^T)/sqrt(2), G Gaussian; P = sigmoid(2A)",
          {SizeParam(), ParamSpec::Double("scale", 1.0, "standard deviation of A").AtLeast(0),
           SeedParam()},
          [](const ParamMap& p) {
            const Eigen::Index n = p.Int("n");
            const double scale = p.Double("scale");
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "random_skew");
            Eigen::MatrixXd G(n, n);
            for (Eigen::Index i = 0; i < n; ++i)
              for (Eigen::Index j = 0; j < n; ++j) G(i, j) = rng.Normal();
            const Eigen::MatrixXd S = (2.0 * scale / std::sqrt(2.0)) * (G - G.transpose());
            return PreferencesFromLogits(S);
          }};
}

}  // namespace nlhf::games
