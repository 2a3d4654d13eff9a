// Gambit .nfg files (lib/src/nfg.cc): both versions of the format as Gambit documents them
// (doc/formats.nfgpay.rst, doc/formats.nfgout.rst), both payoff conventions, the bit-exact round
// trip, and one located error for every malformed file.
#include "nlhf/nfg.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <sstream>

#include "nlhf/generators.h"
#include "nlhf/rng.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::TempDir;

// Bit for bit (== would take -0 for 0).
bool SameBits(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<size_t>(a.size())) == 0;
}

NfgGame Read(const TempDir& dir, const std::string& text) {
  return ReadNfg(dir.File("g.nfg", text), "game.path");
}

// The 2 x 2 game with P(2 beats 1) = 0.75 in the payoff version, P form.
constexpr const char* kTwoByTwo =
    "NFG 1 R \"two\" { \"Player 1\" \"Player 2\" } { 2 2 }\n\n"
    "0.5 0.5\n0.75 0.25\n0.25 0.75\n0.5 0.5\n";

TEST(ReadNfg, ReadsThePayoffVersionInThePForm) {
  TempDir dir;
  const NfgGame g = Read(dir, kTwoByTwo);
  EXPECT_EQ(g.form, NfgForm::kP);
  EXPECT_EQ(g.title, "two");
  Eigen::MatrixXd want(2, 2);
  want << 0.5, 0.25, 0.75,
      0.5;  // P(i, j) = u1 at (i + 1, j + 1), player 1's strategy varying fastest
  EXPECT_EQ(g.P, want);
}

// Rock-paper-scissors written by hand in the outcome version, as Gambit's own files are laid out
// (contrib/games/2x2const.nfg: strategy names, an empty comment, outcomes with comma-separated
// payoffs), with centered payoffs +-1/2 (P = 1 for a win) as rationals and the null outcome 0 for
// the ties. Rock beats scissors, paper beats rock, scissors beat paper.
constexpr const char* kRps =
    "NFG 1 R \"Rock-paper-scissors\" { \"Player 1\" \"Player 2\" }\n"
    "\n"
    "{ { \"Rock\" \"Paper\" \"Scissors\" }\n"
    "{ \"Rock\" \"Paper\" \"Scissors\" }\n"
    "}\n"
    "\"\"\n"
    "\n"
    "{\n"
    "{ \"Win\" 1/2, -1/2 }\n"
    "{ \"Loss\" -1/2, 1/2 }\n"
    "}\n"
    "0 1 2 2 0 1 1 2 0\n";

TEST(ReadNfg, ReadsRockPaperScissorsInTheOutcomeVersionAndTheCenteredForm) {
  TempDir dir;
  const NfgGame g = Read(dir, kRps);
  EXPECT_EQ(g.form, NfgForm::kCentered);
  Eigen::MatrixXd want(3, 3);
  // Rows: player 1 plays rock, paper, scissors; P = 1/2 + u1.
  want << 0.5, 0.0, 1.0,  //
      1.0, 0.5, 0.0,      //
      0.0, 1.0, 0.5;
  EXPECT_EQ(g.P, want);
}

TEST(ReadNfg, ReadsEveryNumberSyntaxOfGambitAndTheDataTypeD) {
  TempDir dir;
  // 3/4, .25 and 7.5e-1, +0.25 and 5E-1, 1/2 ... in a file with tabs, CRLF line ends, strategy
  // labels in the payoff version, a comment and an escaped quote in the title.
  const NfgGame g = Read(dir,
                         "NFG 1 D \"a \\\"quoted\\\" title\"\t{ \"1\" \"2\" }\r\n"
                         "{ { \"a\" \"b\" } { \"a\" \"b\" } }\r\n\"a comment\"\r\n"
                         "1/2 5E-1\r\n3/4 .25\r\n+0.25 7.5e-1\r\n0.5 1/2\r\n");
  EXPECT_EQ(g.title, "a \"quoted\" title");
  Eigen::MatrixXd want(2, 2);
  want << 0.5, 0.25, 0.75, 0.5;
  EXPECT_EQ(g.P, want);
  // Centered, with integers, a negative decimal without a leading digit and commas in outcomes.
  const NfgGame c = Read(dir,
                         "NFG 1 R \"\" { \"\" \"\" } { 2 2 } { { \"x\" 0 0 } { \"y\" -.25 , 1/4, } "
                         "{ \"z\" 0.25 -0.25 } } 1 2 3 1");
  EXPECT_EQ(c.form, NfgForm::kCentered);
  EXPECT_EQ(c.P(1, 0), 0.25);
  EXPECT_EQ(c.P(0, 1), 0.75);
}

TEST(ReadNfg, ReadsDecimalsCorrectlyRoundedAndRationalsAsOneDivision) {
  TempDir dir;
  const NfgGame g = Read(
      dir,
      "NFG 1 R \"\" { \"\" \"\" } { 2 2 }\n0.5 0.5\n0.1234567890123456789 0.8765432109876543211\n"
      "0.8765432109876543211 0.1234567890123456789\n1/2 1/2\n");
  EXPECT_EQ(g.P(1, 0), 0.1234567890123456789);
  const NfgGame r =
      Read(dir, "NFG 1 R \"\" { \"\" \"\" } { 2 2 }\n1/2 1/2\n1/3 2/3\n2/3 1/3\n1/2 1/2\n");
  EXPECT_EQ(r.P(1, 0), 1.0 / 3.0);
  EXPECT_EQ(r.P(0, 1), 2.0 / 3.0);
}

// What pyspiel.game_to_nfg_string writes (open_spiel/algorithms/nfg_writer.cc): its title, players
// "Player 0" and "Player 1", one profile a line with printf's %.15g, player 0's action fastest (its
// flat joint action order). %.15g is not a round trip, but both sides of a pair are printed from
// the same double, so the file stays symmetric and constant-sum within 1e-12.
TEST(ReadNfg, ReadsOpenSpielsExport) {
  TempDir dir;
  const NfgGame g = Read(dir,
                         "NFG 1 R \"OpenSpiel export of matrix_nfg()\"\n"
                         "{ \"Player 0\" \"Player 1\" } { 3 3 }\n\n"
                         "0.5 0.5\n0.333333333333333 0.666666666666667\n0.9 0.1\n"
                         "0.666666666666667 0.333333333333333\n0.5 0.5\n1e-20 1\n"
                         "0.1 0.9\n1 1e-20\n0.5 0.5\n");
  EXPECT_EQ(g.form, NfgForm::kP);
  EXPECT_EQ(g.P(1, 0), 0.333333333333333);
  EXPECT_EQ(g.P(0, 1), 0.666666666666667);
  EXPECT_EQ(g.P(2, 1), 1e-20);
  EXPECT_EQ(g.P(1, 2), 1.0);
}

// The games of the round trip: dense generators of several kinds (margins, logits, {0, 1/2, 1}).
std::vector<std::pair<std::string, GivenParams>> RoundTripGames() {
  return {{"random_uniform", {{"n", std::int64_t{40}}}},
          {"bradley_terry", {{"n", std::int64_t{30}}, {"scale", 3.0}}},
          {"tournament", {{"n", std::int64_t{25}}, {"ties", 0.2}}},
          {"rps3", {}},
          {"cyclic", {{"n", std::int64_t{9}}}},
          {"hodge", {{"n", std::int64_t{12}}}},
          {"disc", {{"n", std::int64_t{15}}}}};
}

TEST(WriteNfg, ThePFormReadsBackBitForBit) {
  TempDir dir;
  for (const auto& [name, given] : RoundTripGames()) {
    for (std::uint64_t seed : {0u, 7u}) {
      const Eigen::MatrixXd P = MakePreferenceMatrix(name, given, seed).P;
      const std::string text = NfgText(DenseOperator(P), NfgForm::kP, name);
      const NfgGame back = Read(dir, text);
      EXPECT_EQ(back.form, NfgForm::kP);
      EXPECT_TRUE(SameBits(back.P, P)) << name << " seed " << seed;
      EXPECT_EQ(back.title, name);
    }
  }
}

// P + P^T = 1 exactly in real arithmetic: for each pair the smaller entry is 1 - the larger one
// exactly (1 - larger is exact, the larger lying in [1/2, 1]).
bool ExactlyComplementary(const Eigen::MatrixXd& P) {
  for (Eigen::Index i = 0; i < P.rows(); ++i)
    for (Eigen::Index j = 0; j < P.cols(); ++j)
      if (std::min(P(i, j), P(j, i)) != 1.0 - std::max(P(i, j), P(j, i))) return false;
  return true;
}

TEST(WriteNfg,
     TheCenteredFormIsExactlyZeroSumAndReadsBackBitForBitWhenPPlusPTransposeIsExactlyOne) {
  TempDir dir;
  int exact = 0, inexact = 0;
  for (const auto& [name, given] : RoundTripGames()) {
    for (std::uint64_t seed : {0u, 7u}) {
      const Eigen::MatrixXd P = MakePreferenceMatrix(name, given, seed).P;
      const std::string text = NfgText(DenseOperator(P), NfgForm::kCentered, name);
      // Every profile line is "x -x" or "0 0": zero-sum in the decimal text itself.
      std::istringstream lines(text.substr(text.find("\n\n") + 2));
      std::string u1, u2;
      int profiles = 0;
      while (lines >> u1 >> u2) {
        ++profiles;
        ASSERT_TRUE((u1 == "0" && u2 == "0") || u2 == "-" + u1 || u1 == "-" + u2)
            << u1 << " " << u2;
      }
      EXPECT_EQ(profiles, P.size());
      const NfgGame back = Read(dir, text);
      EXPECT_EQ(back.form, NfgForm::kCentered);
      if (ExactlyComplementary(P)) {
        ++exact;
        EXPECT_TRUE(SameBits(back.P, P)) << name << " seed " << seed;
      } else {
        ++inexact;
        // The larger entry of each pair comes back exactly, the smaller as 1 - the larger.
        for (Eigen::Index i = 0; i < P.rows(); ++i) {
          for (Eigen::Index j = 0; j < P.cols(); ++j) {
            const double larger = std::max(P(i, j), P(j, i));
            EXPECT_EQ(back.P(i, j), P(i, j) == larger && i != j ? larger
                                    : i == j                    ? 0.5
                                                                : 1.0 - larger);
            EXPECT_LE(std::abs(back.P(i, j) - P(i, j)), kGameTolerance);
          }
        }
      }
    }
  }
  // Both cases occur: margins and tournaments are exact, sigmoids and 1 - U of random_uniform not.
  EXPECT_GT(exact, 0);
  EXPECT_GT(inexact, 0);
}

TEST(WriteNfg, WritesTheFormatOfGambitsDocumentationInOpenSpielsSubset) {
  Eigen::MatrixXd P(2, 2);
  P << 0.5, 0.25, 0.75, 0.5;
  EXPECT_EQ(NfgText(DenseOperator(P), NfgForm::kP, "t \"q\" \\ \n"),
            "NFG 1 R \"t 'q' /  \" { \"Player 1\" \"Player 2\" } { 2 2 }\n\n0.5 0.5\n0.75 "
            "0.25\n0.25 0.75\n0.5 0.5\n");
  EXPECT_EQ(
      NfgText(DenseOperator(P), NfgForm::kCentered, ""),
      "NFG 1 R \"\" { \"Player 1\" \"Player 2\" } { 2 2 }\n\n0 0\n0.25 -0.25\n-0.25 0.25\n0 0\n");
}

TEST(WriteNfg, WritesImplicitGamesEntryByEntryAndRefusesHugeOnes) {
  const BuiltOperator small =
      MakePreferenceOperator("low_rank_cyclic", {{"n", std::int64_t{20}}}, 0);
  ASSERT_EQ(small.P->dense(), nullptr);
  TempDir dir;
  EXPECT_TRUE(SameBits(Read(dir, NfgText(*small.P, NfgForm::kP, "")).P, Materialize(*small.P)));
  const BuiltOperator huge =
      MakePreferenceOperator("low_rank_cyclic", {{"n", std::int64_t{kMaxNfgWriteN + 1}}}, 0);
  ExpectInputError([&] { NfgText(*huge.P, NfgForm::kP, ""); },
                   {"game: has n = 6001 actions, expected at most 6000"});
}

TEST(NfgFileN, ReadsNFromTheHeaderAlone) {
  TempDir dir;
  EXPECT_EQ(NfgFileN(dir.File("a.nfg", kTwoByTwo)), 2);
  EXPECT_EQ(NfgFileN(dir.File("b.nfg", kRps)), 3);
  // Only the header is read: a claim the body cannot back is still reported (the reader refuses
  // it).
  EXPECT_EQ(NfgFileN(dir.File("c.nfg", "NFG 1 R \"\" { \"\" \"\" } { 50000 50000 } 0")), 50000);
  EXPECT_EQ(NfgFileN(dir.File("P.csv", "0.5,0.5\n0.5,0.5\n")), std::nullopt);
  EXPECT_EQ(NfgFileN(dir.Path("missing.nfg")), std::nullopt);
}

// One malformed file a row: the error's exact file:line:col, and what it says.
struct Malformed {
  const char* name;
  std::string text;
  const char* where;  // "line:col"
  const char* says;
};

const char* const kHead =
    "NFG 1 R \"\" { \"\" \"\" } { 2 2 }\n";  // 2 x 2; the body starts on line 2

std::vector<Malformed> MalformedFiles() {
  const std::string h = kHead;
  return {
      {"empty", "", "1:1", "the file is empty, expected a Gambit strategic-form game file (.nfg)"},
      {"blank", "  \n\n ", "3:2", "the file is empty"},
      {"extensive form", "EFG 2 R \"x\" { \"a\" }", "1:1",
       "found 'EFG' (an extensive-form game), expected NFG"},
      {"version", "NFG 2 R \"\"", "1:5", "found '2', expected the version number 1"},
      {"number type", "NFG 1 X \"\"", "1:7", "found 'X', expected R or D"},
      {"title unquoted", "NFG 1 R title", "1:9",
       "found 'title', expected the game's title in quotes"},
      {"unterminated string", "NFG 1 R \"\" { \"a\" \"b }\n{ 2 2 }\n", "1:18",
       "this string is not closed: the file ends before its closing '\"'"},
      {"three players", "NFG 1 R \"\" { \"a\" \"b\" \"c\" } { 2 2 2 }", "1:22",
       "a third player, expected a two-player game"},
      {"one player", "NFG 1 R \"\" { \"a\" } { 2 }", "1:18",
       "1 player(s), expected a two-player game"},
      {"players not a list", "NFG 1 R \"\" \"a\" \"b\"", "1:12",
       "found the string \"a\", expected '{' opening the list"},
      {"not square", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 2 3 }\n", "2:5",
       "player 2 has 3 strategies but player 1 has 2, expected a square game"},
      {"one strategy", "NFG 1 R \"\" { \"a\" \"b\" } { 1 1 } 0 0", "1:26",
       "player 1 has 1 strategy, expected at least 2"},
      {"count not an integer", "NFG 1 R \"\" { \"a\" \"b\" } { 2.5 2 }", "1:26",
       "found '2.5', expected the number of strategies of player 1 (an integer)"},
      {"count huge", "NFG 1 R \"\" { \"a\" \"b\" } { 99999999999 2 }", "1:26",
       "strategies, expected at most 2^31"},
      {"mixed strategy lists", "NFG 1 R \"\" { \"a\" \"b\" } { { \"x\" \"y\" } 2 }", "1:38",
       "found '2', expected '{' opening the list of player 2's strategy names"},
      {"claimed size beyond the file", "NFG 1 R \"\" { \"a\" \"b\" }\n{ 100000 100000 }\n0.5 0.5\n",
       "2:10",
       "100000 x 100000 strategies are 1e+10 strategy profiles, but only 8 bytes follow the "
       "header; expected two "
       "payoffs for every profile"},
      {"no payoffs", h, "2:1", "found the end of the file, expected the payoffs: 8 numbers"},
      {"truncated payoffs", h + "0.5 0.5\n0.75 0.25\n0.25", "4:5",
       "the file ends after 5 payoffs, expected 8"},
      {"bad number", h + "0.5 0.5\n0.75 abc\n", "3:6",
       "'abc' is not a number, expected a payoff (u2 of profile 2)"},
      {"number with junk", h + "0.5 0.5x\n", "2:5", "'0.5x' is not a number"},
      {"exponent without digits", h + "0.5 5e\n", "2:5", "'5e' is not a number"},
      {"overflow", h + "0.5 0.5\n1e400 0\n", "3:1", "'1e400' overflows (too large for a double)"},
      {"underflow", h + "0.5 0.5\n1e-400 1\n", "3:1",
       "'1e-400' underflows (too small for a double)"},
      {"division by zero", h + "1/0 0.5\n", "2:1", "'1/0' divides by zero"},
      {"binary junk", h + std::string("\x01\xff\x00zz", 5), "2:1",
       "found '\\x01\\xff\\x00zz', expected the payoffs: 8 numbers"},
      {"extra payoff", h + "0.5 0.5 0.75 0.25 0.25 0.75 0.5 0.5 0.5\n", "2:37",
       "found '0.5' after the last strategy profile, expected the end of the file"},
      {"not constant-sum", h + "0.5 0.7\n", "2:1",
       "u1 + u2 = 0.5 + 0.7 = 1.2 at strategies (1, 1), expected a symmetric constant-sum "
       "preference game"},
      {"sum changes", h + "0.5 0.5\n0.75 0.35\n", "3:1",
       "u1 + u2 = 0.75 + 0.35 = 1.1 at strategies (2, 1), expected 1 within 1e-12 (a constant-sum "
       "game in the P form"},
      {"outside [0, 1]", h + "0.5 0.5\n1.5 -0.5\n", "3:1",
       "u1 = 1.5 at strategies (2, 1) is outside [0, 1], expected a probability"},
      {"centered outside", h + "0 0\n1 -1\n", "3:1",
       "u1 = 1 at strategies (2, 1) is outside [-0.5, 0.5], expected a margin P - 1/2 (centered "
       "form"},
      {"diagonal not 1/2", h + "0.5 0.5\n0.75 0.25\n0.25 0.75\n0.6 0.4\n", "5:5",
       "u2 = 0.4 at strategies (2, 2) but u1 = 0.6 there, expected a symmetric game"},
      {"not symmetric", h + "0.5 0.5\n0.6 0.4\n0.3 0.7\n0.5 0.5\n", "4:1",
       "u1 = 0.3 at strategies (1, 2) but u2 = 0.4 at strategies (2, 1), expected a symmetric "
       "game: u1(i, j) = u2(j, i)"},
      // Each check within 1e-12 (sums off by 0.9e-12, symmetry by 0.9e-12) but P_12 + P_21 off
      // by 1.8e-12.
      {"P + P^T not 1",
       h + "0.5 0.5\n0.6 0.3999999999991\n0.3999999999982 0.6000000000009\n0.5 0.5\n", "4:1",
       "P(1, 2) + P(2, 1) = 0.3999999999982 + 0.6 = 0.9999999999982, expected P + P^T = 1 within "
       "1e-12 (P form)"},
      {"outcome without a name", h + "{ { 0.5 0.5 } } 1 1 1 1", "2:5",
       "found '0.5', expected the outcome's name in quotes"},
      {"outcome with one payoff", h + "{ { \"a\" 0.5 } } 1 1 1 1", "2:13",
       "found '}', expected the payoff of player 2 in outcome 1"},
      {"outcome list not closed", h + "{ { \"a\" 0 0 } 1 1 1 1", "2:15",
       "found '1', expected '{' opening another outcome or '}' closing the list of outcomes"},
      {"outcome number too large", h + "{ { \"a\" 0 0 } }\n1 2 1 1", "3:3",
       "outcome 2, but the file defines 1 outcome(s), expected 0 (the null outcome) to 1"},
      {"outcome number not an integer", h + "{ { \"a\" 0 0 } }\n1 1.0 1 1", "3:3",
       "found '1.0', expected the outcome number of profile 2"},
      {"outcome numbers truncated", h + "{ { \"a\" 0 0 } }\n1 1\n", "4:1",
       "the file ends after 2 outcome numbers, expected 4"},
      {"null outcome in the P form",
       h + "{ { \"half\" 1/2 1/2 } { \"win\" 1 0 } { \"loss\" 0 1 } }\n1 2 0 1", "3:5",
       "u1 + u2 = 0 + 0 = 0 at strategies (1, 2) (the null outcome 0: payoffs 0, 0), expected 1 "
       "within 1e-12"},
      {"outcome not symmetric", h + "{ { \"half\" 1/2 1/2 } { \"win\" 1 0 } }\n1 2 2 1", "3:5",
       "u1 = 1 at strategies (1, 2) (outcome 2, line 2) but u2 = 0 at strategies (2, 1), expected "
       "a symmetric game"},
  };
}

TEST(ReadNfg, EveryMalformedFileGetsOneErrorNamingItsLineAndColumn) {
  TempDir dir;
  for (const Malformed& m : MalformedFiles()) {
    const std::string path = dir.File("bad.nfg", m.text);
    try {
      ReadNfg(path, "game.path");
      ADD_FAILURE() << m.name << ": read without an error";
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path + ":" + m.where + ": game.path: ", 0), 0u) << m.name << ": " << msg;
      EXPECT_NE(msg.find(m.says), std::string::npos) << m.name << ": " << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << m.name;
    }
  }
}

TEST(ReadNfg, RefusesWhatIsNotARegularFile) {
  TempDir dir;
  ExpectInputError([&] { ReadNfg(dir.Path("nope.nfg"), "game.path"); },
                   {"nope.nfg: game.path: cannot open the file",
                    "expected a Gambit strategic-form game file (.nfg)"});
  std::filesystem::create_directory(dir.Path("d"));
  ExpectInputError([&] { ReadNfg(dir.Path("d"), "game.path"); }, {"game.path: is a directory"});
  ExpectInputError([&] { ReadNfg("/dev/zero", "game.path"); },
                   {"/dev/zero: game.path: is a device"});
}

// Deterministic mutations (bytes replaced, dropped, duplicated, truncated) of valid files: each
// reads, or throws one InputError of one line; nothing else (no crash, no other exception).
TEST(ReadNfg, EveryMutatedFileReadsOrThrowsAOneLineInputError) {
  TempDir dir;
  Rng rng(5, "nfg_fuzz");
  const std::vector<std::string> seeds = {
      kTwoByTwo, kRps,
      NfgText(DenseOperator(MakePreferenceMatrix("rps3", {}, 0).P), NfgForm::kCentered, "rps3")};
  const std::string alphabet = "{}\",.-+/eE019 \n\t\\\x01\xff";
  int rejected = 0, read = 0;
  for (int k = 0; k < 1500; ++k) {
    std::string text = seeds[static_cast<size_t>(k) % seeds.size()];
    for (int edits = 1 + static_cast<int>(rng.Below(3)); edits > 0 && !text.empty(); --edits) {
      const size_t at = rng.Below(text.size());
      switch (rng.Below(5)) {
        case 0:
          text[at] = alphabet[rng.Below(alphabet.size())];
          break;
        case 1:
          text.erase(at, 1 + rng.Below(4));
          break;
        case 2:
          text.insert(at, text.substr(at, 1 + rng.Below(8)));
          break;
        case 3:
          text.resize(at);
          break;
        default:
          text.insert(at, 1, alphabet[rng.Below(alphabet.size())]);
          break;
      }
    }
    try {
      const NfgGame g = ReadNfg(dir.File("m.nfg", text), "game.path");
      ValidatePreferenceMatrix(g.P, "game.path");  // what it reads is a valid game
      ++read;
    } catch (const InputError& e) {
      ++rejected;
      ASSERT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      FAIL() << "not an InputError: " << e.what() << "\nfrom:\n" << text;
    }
  }
  EXPECT_GT(rejected, 750);
  EXPECT_GT(read, 5);
}

}  // namespace
}  // namespace nlhf
