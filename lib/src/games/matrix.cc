// matrix: a user's preference matrix from a CSV file (n lines of n comma-separated numbers, no
// header), validated like every generated game.
#include "games.h"
#include "nlhf/csv.h"

namespace nlhf::games {

GameEntry MatrixEntry() {
  return {"matrix",
          "P read from a CSV file: n lines of n comma-separated numbers, no header",
          {ParamSpec::String("path", std::nullopt, "path of the CSV file")},
          [](const ParamMap& p) { return ReadMatrixCsv(p.String("path"), "game.path"); }};
}

}  // namespace nlhf::games
