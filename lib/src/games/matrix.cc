// matrix: a user's preference matrix from a CSV file (n lines of n comma-separated numbers, no
// header), validated like every generated game.
#include <vector>

#include "games.h"
#include "nlhf/csv.h"
#include "nlhf/errors.h"
#include "nlhf/game.h"

namespace nlhf::games {

GameEntry MatrixEntry() {
  return {"matrix",
          "P read from a CSV file: n lines of n comma-separated numbers, no header",
          {ParamSpec::String("path", std::nullopt, "path of the CSV file")},
          [](const ParamMap& p) {
            const std::string& path = p.String("path");
            std::vector<int> lines;
            Eigen::MatrixXd P = ReadMatrixCsv(path, "game.path", &lines);
            // Validated here as well as by the caller (as every generated game is), so that a value
            // that is not a probability, or P + P^T != 1, is reported where the file holds it.
            ValidatePreferenceMatrix(P, "game.path", [&](Eigen::Index i, Eigen::Index j) {
              return CsvCellLocation(path, lines[static_cast<size_t>(i)], j, P(i, j));
            });
            return P;
          }};
}

}  // namespace nlhf::games
