#pragma once
// Gambit's strategic-form game files (.nfg) for a preference game, read and written; they are also
// OpenSpiel's string form of a matrix game.
//
// Source of the format: the Gambit documentation, "The strategic game (.nfg) file format, payoff
// version" and "..., outcome version" (gambitproject/gambit doc/formats.nfgpay.rst,
// doc/formats.nfgout.rst), and Gambit's reader, src/games/file.cc (GameFileLexer, ParseNfgHeader,
// ReadStrategies, ReadOutcomeList, ParseOutcomeBody, ParsePayoffBody). OpenSpiel has no matrix-game
// string of its own: its string form is this file's payoff version, read by
// open_spiel::nfg_game::LoadNFGGame (python: pyspiel.load_nfg_game(text); or
// pyspiel.load_game("nfg_game(filename=PATH)")) and written by open_spiel::GameToNFGString
// (pyspiel.game_to_nfg_string(game)), open_spiel/games/nfg_game.cc and algorithms/nfg_writer.cc.
//
// What is read (the subset of Gambit's grammar for two players; whitespace is any of space, tab,
// newline, return, vertical tab, form feed, as Gambit's isspace; the format has no comment syntax
// besides its optional comment string):
//   NFG 1 R|D "title" { "name1" "name2" } STRATEGIES ["comment"] BODY
//   STRATEGIES: { n1 n2 } (counts), or { { "s1" "s2" ... } { "s1" ... } } (names, counted)
//   BODY, payoff version:  2 n1 n2 numbers, u1 u2 for each strategy profile, player 1's
//                          strategy varying fastest: (1,1), (2,1), ..., (n1,1), (1,2), ...
//   BODY, outcome version: { { "name" u1 [,] u2 [,] } ... } then n1 n2 outcome numbers in the
//                          same profile order, 1-based; 0 is the null outcome (payoffs 0, 0)
// followed by the end of the file. Numbers: integers, decimals with optional exponent (3, -.5, 1.,
// 2.5e-3, 1E+2), rationals p/q (3/4, -1/3); decimals are correctly rounded to double, p/q is
// double(p)/double(q) (correctly rounded when |p|, q < 2^53). Labels are quoted strings with \" for
// a quote. Stricter than Gambit: a token such as 0.5x is an error (Gambit would split it), an
// outcome number must be a plain integer, exactly two players and a square table of n >= 2.
//
// What the payoffs must mean: a symmetric two-player constant-sum game, u1(i, j) = u2(j, i), in one
// of two conventions, detected from the first profile (1,1), whose payoffs sum to 1 or to 0:
//   P form:        u1(i, j) = P_ij (the probability that i beats j), u2(i, j) = P_ji = 1 - P_ij;
//                  payoffs in [0, 1], u1 + u2 = 1, so 1/2 on the diagonal;
//   centered form: u1(i, j) = A_ij = P_ij - 1/2, u2(i, j) = -A_ij = A_ji (zero-sum); payoffs in
//                  [-1/2, 1/2]; P = A + 1/2.
// Checked at every profile, each with the tolerance kGameTolerance (1e-12) of the `matrix` CSV
// game: u1 + u2 equals the detected constant, u2(i, j) = u1(j, i), and P_ij + P_ji = 1 (the check
// of ValidatePreferenceMatrix, on the P this file gives). P is u1 (P form) or 1/2 + u1 (centered).
//
// Errors: every problem is one InputError naming file:line:col of the offending token (1-based
// columns in bytes) and what was expected. A claimed table whose P would take more than 1 MiB is
// checked against the file's size and the memory available before P is allocated.
#include <Eigen/Core>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "nlhf/preference_operator.h"

namespace nlhf {

enum class NfgForm {
  kP,         // u1 = P, u2 = P^T (constant-sum 1)
  kCentered,  // u1 = A = P - 1/2, u2 = -A (zero-sum)
};
std::string_view NfgFormName(NfgForm form);  // "P form", "centered form"

struct NfgGame {
  Eigen::MatrixXd P;  // validated (ValidatePreferenceMatrix's invariants hold)
  NfgForm form = NfgForm::kP;
  std::string title;
};

// Reads a .nfg file. `key` is the key path that named it, for messages ("game.path").
NfgGame ReadNfg(const std::string& path, const std::string& key);

// n of a .nfg file from its header alone (the memory estimate, before the game is built); nullopt
// when the file does not start like a two-player square .nfg file (the reader then says why).
std::optional<Eigen::Index> NfgFileN(const std::string& path);

// Writing, in the payoff version, in the subset of the format that both Gambit's and OpenSpiel's
// readers accept (OpenSpiel's is narrower: strategy counts, not labels; no comment string; tokens
// separated by spaces or newlines; no quote inside a string):
//   NFG 1 R "TITLE" { "Player 1" "Player 2" } { n n }
//   <blank line>
//   u1 u2        one line per profile, in Gambit's order
// The title has '"' and '\' replaced by ' and / and control characters by spaces. Every number is
// the shortest decimal that reads back to the same double (fmt "{}"; -0 is written 0), so reading
// the P form back gives P bit for bit. The centered form is written exactly skew-symmetric: for
// each pair i != j, a = max(P_ij, P_ji) - 1/2 (exact: the larger entry lies in [1/2, 1]) goes to
// the larger entry's side and -a to the other, and the diagonal is 0, so the file is exactly
// zero-sum and symmetric (Gambit sees a zero-sum game in exact rationals, OpenSpiel a ZERO_SUM
// MatrixGame). Its round trip gives P bit for bit exactly when P + P^T = 1 holds exactly (in real
// arithmetic, so P_ii = 1/2); otherwise the smaller entry of each pair comes back as 1 - the larger
// one, moved by |P_ij + P_ji - 1| <= kGameTolerance. Games of more than kMaxNfgWriteN actions are
// refused (InputError): the file would pass the size limit nlhf reads back (2 GiB; a profile takes
// up to 52 bytes), and no Gambit or OpenSpiel solver takes a game that large.
inline constexpr Eigen::Index kMaxNfgWriteN = 6000;
// Throws the InputError WriteNfg throws for a game of n actions it refuses (n > kMaxNfgWriteN), so
// that a caller that knows n from the spec can refuse before building the game.
void CheckNfgWritable(Eigen::Index n);
// Streams the file to `out`; a write failure throws std::system_error (WriteString's errno).
void WriteNfg(std::FILE* out, const PreferenceOperator& P, NfgForm form, std::string_view title);
// The same text, in memory.
std::string NfgText(const PreferenceOperator& P, NfgForm form, std::string_view title);

}  // namespace nlhf
