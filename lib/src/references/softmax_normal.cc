// softmax_normal: mu = softmax(scale * z), z ~ N(0, I). The reference policy of the EGPO tabular
// experiments (scale 1): Zhou et al., arXiv:2503.08942.
#include "../games/games.h"
#include "nlhf/logspace.h"
#include "nlhf/rng.h"
#include "references.h"

namespace nlhf::references {

ReferenceEntry SoftmaxNormalEntry() {
  return {"softmax_normal",
          "mu = softmax(scale z), z ~ N(0, I) (EGPO's reference, scale 1)",
          {ParamSpec::Double("scale", 1.0, "standard deviation of the logits").Range(0, 50),
           games::SeedParam()},
          [](Eigen::Index n, const ParamMap& p) {
            Rng rng(static_cast<std::uint64_t>(p.Int("seed")), "reference:softmax_normal");
            Eigen::VectorXd z(n);
            for (Eigen::Index y = 0; y < n; ++y) z[y] = p.Double("scale") * rng.Normal();
            return Softmax(z);
          }};
}

}  // namespace nlhf::references
