// nfg: a preference game from a Gambit strategic-form file (.nfg), the payoff or the outcome
// version, in the P form (u1 = P, u2 = 1 - P) or the centered form (u1 = P - 1/2, u2 = -u1),
// detected from the file; OpenSpiel's export (pyspiel.game_to_nfg_string) is such a file. Format,
// conventions and checks: nlhf/nfg.h (Gambit's documentation, doc/formats.nfgpay.rst and
// doc/formats.nfgout.rst, and its reader src/games/file.cc).
#include "nlhf/nfg.h"

#include "games.h"

namespace nlhf::games {

GameEntry NfgEntry() {
  return {"nfg",
          "P read from a Gambit .nfg file (also OpenSpiel's): u1 = P, or u1 = P - 1/2 (zero-sum), "
          "detected",
          {ParamSpec::String("path", std::nullopt, "path of the .nfg file")},
          [](const ParamMap& p) { return ReadNfg(p.String("path"), "game.path").P; }};
}

}  // namespace nlhf::games
