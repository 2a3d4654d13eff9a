// file: a user's reference policy from a CSV file (n numbers, one per line), validated.
#include "nlhf/csv.h"
#include "references.h"

namespace nlhf::references {

ReferenceEntry FileEntry() {
  return {"file",
          "mu read from a CSV file: n numbers, one per line, positive, summing to 1",
          {ParamSpec::String("path", std::nullopt, "path of the CSV file")},
          [](Eigen::Index, const ParamMap& p) { return ReadVectorCsv(p.String("path"), "reference.path"); }};
}

}  // namespace nlhf::references
