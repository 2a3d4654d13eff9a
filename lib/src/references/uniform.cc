// uniform: mu_y = 1/n.
#include "references.h"

namespace nlhf::references {

ReferenceEntry UniformEntry() {
  return {"uniform", "mu_y = 1/n", {}, [](Eigen::Index n, const ParamMap&) {
            return Eigen::VectorXd::Constant(n, 1.0 / static_cast<double>(n)).eval();
          }};
}

}  // namespace nlhf::references
