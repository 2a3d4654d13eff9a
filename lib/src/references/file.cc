// file: a user's reference policy from a CSV file (n numbers, one per line), validated.
#include <vector>

#include "nlhf/csv.h"
#include "nlhf/game.h"
#include "references.h"

namespace nlhf::references {

ReferenceEntry FileEntry() {
  return {"file",
          "mu read from a CSV file: n numbers, one per line, positive, summing to 1",
          {ParamSpec::String("path", std::nullopt, "path of the CSV file")},
          [](Eigen::Index n, const ParamMap& p) {
            const std::string& path = p.String("path");
            std::vector<int> lines;
            Eigen::VectorXd mu = ReadVectorCsv(path, "reference.path", &lines);
            // Validated here as well as by the caller (as every reference is), so that a value that
            // is not a probability, or a wrong size or sum, is reported where the file holds it.
            ValidateReference(mu, n, "reference.path", [&](Eigen::Index y) {
              return CsvCellLocation(path, lines[static_cast<size_t>(y)], 0, mu[y]);
            });
            return mu;
          }};
}

}  // namespace nlhf::references
