// zipf: mu_y proportional to (y + 1)^(-s): a heavy-tailed reference, action 0 the most likely.
#include <cmath>

#include "nlhf/logspace.h"
#include "references.h"

namespace nlhf::references {

ReferenceEntry ZipfEntry() {
  return {"zipf",
          "mu_y ~ (y+1)^(-s): heavy-tailed, action 0 most likely",
          {ParamSpec::Double("s", 1.0, "exponent").Range(0, 10)},
          [](Eigen::Index n, const ParamMap& p) {
            Eigen::VectorXd logits(n);
            for (Eigen::Index y = 0; y < n; ++y)
              logits[y] = -p.Double("s") * std::log(static_cast<double>(y + 1));
            return Softmax(logits);
          }};
}

}  // namespace nlhf::references
