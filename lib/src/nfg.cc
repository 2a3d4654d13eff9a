// Gambit .nfg files for preference games (nlhf/nfg.h). Format: Gambit's documentation, "The
// strategic game (.nfg) file format", payoff and outcome versions (gambitproject/gambit
// doc/formats.nfgpay.rst, doc/formats.nfgout.rst), and its reader src/games/file.cc; OpenSpiel
// reads and writes the payoff version (open_spiel/games/nfg_game.cc,
// open_spiel/algorithms/nfg_writer.cc).
//
// The reader streams the file once: tokens come from a buffered lexer that tracks line and column,
// and every check of the payoffs (range, constant sum, symmetry u2(i, j) = u1(j, i), P + P^T = 1)
// is made the moment the second token it needs is read, so each error names that token. Profiles
// come in Gambit's order k = i + n j (player 1's strategy i fastest), so of a pair (i, j), (j, i)
// the one below the diagonal (i > j) comes first: its u2 waits in the slot of its mirror until the
// mirror is read, and P needs one n x n matrix, no more.
#include "nlhf/nfg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <system_error>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/game.h"
#include "nlhf/input_file.h"
#include "nlhf/memory_estimate.h"
#include "nlhf/output/csv.h"
#include "nlhf/output/files.h"

namespace nlhf {

namespace {

constexpr const char* kWhat = "a Gambit strategic-form game file (.nfg)";
// Longest token kept: a number of more digits than this is refused (a double holds 17).
constexpr size_t kMaxTokenChars = 1000;
// P of more bytes than this is allocated only once the file's size shows it can hold the table.
constexpr double kCheckedBytes = 1 << 20;
// Characters of a quoted string kept (the title); the rest is read and dropped.
constexpr size_t kMaxKeptString = 200;

enum class Kind { kNumber, kString, kLBrace, kRBrace, kComma, kSymbol, kEnd };

// Where a token starts.
struct Pos {
  int line = 1, col = 1;
};

struct Token {
  Kind kind = Kind::kEnd;
  std::string text;  // number and symbol text, a string's contents (up to kMaxKeptString)
  int line = 1, col = 1;
  std::int64_t offset = 0;  // of its first byte
  Pos pos() const { return {line, col}; }
};

// Gambit's whitespace (isspace in the C locale).
bool IsSpace(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool Ends(int c) { return c == EOF || IsSpace(c) || c == '{' || c == '}' || c == ',' || c == '"'; }

// Bytes of a FILE as tokens, with the line and column (1-based, in bytes) of each.
class Lexer {
 public:
  Lexer(std::FILE* f, std::string path, std::string key)
      : f_(f), path_(std::move(path)), key_(std::move(key)) {}

  [[noreturn]] void Fail(int line, int col, const std::string& problem) const {
    throw InputError(SourceLocation{path_, line, col}, key_, problem);
  }
  [[noreturn]] void Fail(const Token& at, const std::string& problem) const {
    Fail(at.line, at.col, problem);
  }
  [[noreturn]] void Fail(Pos at, const std::string& problem) const {
    Fail(at.line, at.col, problem);
  }

  // The next token into `t` (its text's buffer reused).
  void Next(Token& t) {
    int c = Get();
    while (IsSpace(c)) c = Get();
    t.kind = Kind::kEnd;
    t.text.clear();
    t.line = c_line_;
    t.col = c_col_;
    t.offset = offset_ - (c == EOF ? 0 : 1);
    if (c == EOF) return;
    if (c == '{') {
      t.kind = Kind::kLBrace;
    } else if (c == '}') {
      t.kind = Kind::kRBrace;
    } else if (c == ',') {
      t.kind = Kind::kComma;
    } else if (c == '"') {
      ReadString(t);
    } else {
      t.kind = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ? Kind::kNumber
                                                                          : Kind::kSymbol;
      for (; !Ends(c); c = Get()) {
        if (t.text.size() == kMaxTokenChars)
          Fail(t, fmt::format("a token of more than {} characters, expected a number, a quoted "
                              "string, or a brace",
                              kMaxTokenChars));
        t.text.push_back(static_cast<char>(c));
      }
      Unget(c);
    }
  }

 private:
  // The next byte, or EOF; c_line_/c_col_ are its position.
  int Get() {
    if (pending_ != kNone) {
      const int c = pending_;
      pending_ = kNone;
      Advance(c);
      return c;
    }
    if (pos_ == len_) {
      len_ = std::fread(buffer_.get(), 1, kBufferBytes, f_);
      pos_ = 0;
      if (len_ == 0) {
        if (std::ferror(f_))
          Fail(line_, col_,
               fmt::format("cannot be read ({}), expected {}", std::strerror(errno), kWhat));
        Advance(EOF);
        return EOF;
      }
    }
    const int c = static_cast<unsigned char>(buffer_[pos_++]);
    Advance(c);
    return c;
  }
  void Advance(int c) {
    c_line_ = line_;
    c_col_ = col_;
    if (c == EOF) return;
    ++offset_;
    // Saturated: a 2 GiB file may hold more lines (or a line more columns) than an int counts.
    constexpr int kMax = std::numeric_limits<int>::max();
    if (c == '\n') {
      line_ += line_ < kMax ? 1 : 0;
      col_ = 1;
    } else {
      col_ += col_ < kMax ? 1 : 0;
    }
  }
  // Puts back the byte that ended a token (one at most), restoring the position.
  void Unget(int c) {
    if (c == EOF) return;
    pending_ = c;
    line_ = c_line_;
    col_ = c_col_;
    --offset_;
  }

  // A quoted string; \" is a quote (Gambit's rule: a backslash before any other character is kept).
  void ReadString(Token& t) {
    t.kind = Kind::kString;
    bool escaped = false;
    for (int c = Get();; c = Get()) {
      if (c == EOF) Fail(t, "this string is not closed: the file ends before its closing '\"'");
      if (!escaped && c == '"') return;
      if (escaped && c != '"' && t.text.size() < kMaxKeptString) t.text.push_back('\\');
      escaped = !escaped && c == '\\';
      if (!escaped && t.text.size() < kMaxKeptString) t.text.push_back(static_cast<char>(c));
    }
  }

  static constexpr int kNone = -2;
  static constexpr size_t kBufferBytes = size_t{1} << 16;
  std::FILE* f_;
  std::string path_, key_;
  std::unique_ptr<char[]> buffer_ = std::make_unique<char[]>(kBufferBytes);
  size_t pos_ = 0, len_ = 0;
  int pending_ = kNone;
  int line_ = 1, col_ = 1;      // of the next byte
  int c_line_ = 1, c_col_ = 1;  // of the byte last returned
  std::int64_t offset_ = 0;
};

// What a token is, for messages.
std::string Describe(const Token& t) {
  switch (t.kind) {
    case Kind::kEnd:
      return "the end of the file";
    case Kind::kLBrace:
      return "'{'";
    case Kind::kRBrace:
      return "'}'";
    case Kind::kComma:
      return "','";
    case Kind::kString:
      return fmt::format("the string \"{}\"", t.text.substr(0, 40));
    default:
      return fmt::format("'{}'", t.text.substr(0, 40));
  }
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Gambit's number syntax: [+-] then digits [. [digits]] or . digits, then [e|E [+-] digits]; or
// [+-] digits / digits. nullopt with `why` set when `s` is not one.
std::optional<double> ParseNumber(std::string_view s, std::string& why) {
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  auto to_double = [&](std::string_view digits, double& out) {
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    if (ec == std::errc::result_out_of_range) {
      why = fmt::format("'{}' {}", s, OutOfRangeText(s));
      return false;
    }
    return ec == std::errc() && ptr == digits.data() + digits.size();
  };
  if (const size_t slash = body.find('/'); slash != std::string_view::npos) {
    const std::string_view p = body.substr(0, slash), q = body.substr(slash + 1);
    double num = 0.0, den = 0.0;
    if (!IsDigits(p) || !IsDigits(q)) {
      why = fmt::format("'{}' is not a number", s);
      return std::nullopt;
    }
    if (!to_double(p, num) || !to_double(q, den)) {
      if (why.empty()) why = fmt::format("'{}' is not a number", s);
      return std::nullopt;
    }
    if (den == 0.0) {
      why = fmt::format("'{}' divides by zero", s);
      return std::nullopt;
    }
    const double v = num / den;
    return negative ? -v : v;
  }
  // Decimal: mantissa digits with at most one point and at least one digit, then an exponent.
  size_t k = 0, digits = 0;
  bool point = false;
  for (; k < body.size(); ++k) {
    if (body[k] >= '0' && body[k] <= '9')
      ++digits;
    else if (body[k] == '.' && !point)
      point = true;
    else
      break;
  }
  bool ok = digits > 0;
  if (ok && k < body.size()) {
    ok = body[k] == 'e' || body[k] == 'E';
    size_t e = k + 1;
    if (e < body.size() && (body[e] == '+' || body[e] == '-')) ++e;
    ok = ok && IsDigits(body.substr(e));
  }
  double v = 0.0;
  if (!ok || !to_double(body, v)) {
    if (why.empty()) why = fmt::format("'{}' is not a number", s);
    return std::nullopt;
  }
  return negative ? -v : v;
}

// The rules a file's payoffs must follow, checked profile by profile as they are read.
class PayoffChecker {
 public:
  PayoffChecker(const Lexer& lex, Eigen::Index n, Eigen::MatrixXd& M) : lex_(lex), n_(n), M_(M) {}

  // Profile k = i + n j has payoffs (u1, u2), read at `at1` and `at2` (the same token for an
  // outcome number: `outcome` >= 0 is then its number, defined on `outcome_line`). M holds the u1
  // read so far (and u2 values waiting for their mirror). Messages are formatted only when a check
  // fails.
  void Check(std::int64_t k, double u1, double u2, Pos at1, Pos at2, std::int64_t outcome = -1,
             int outcome_line = 0) {
    const Eigen::Index i = static_cast<Eigen::Index>(k % n_), j = static_cast<Eigen::Index>(k / n_);
    auto where = [&] {
      const std::string source = outcome < 0 ? ""
                                 : outcome == 0
                                     ? " (the null outcome 0: payoffs 0, 0)"
                                     : fmt::format(" (outcome {}, line {})", outcome, outcome_line);
      return fmt::format("strategies ({}, {}){}", i + 1, j + 1, source);
    };
    if (k == 0) Detect(u1, u2, at1, where());
    const double lo = form_ == NfgForm::kP ? 0.0 : -0.5, hi = form_ == NfgForm::kP ? 1.0 : 0.5;
    for (const auto& [u, at, name] : {std::tuple{u1, at1, "u1"}, std::tuple{u2, at2, "u2"}}) {
      if (!(u >= lo && u <= hi))
        lex_.Fail(at, fmt::format("{} = {} at {} is outside [{}, {}], expected {} ({}, detected "
                                  "from strategies (1, 1)){}",
                                  name, u, where(), lo, hi,
                                  form_ == NfgForm::kP ? "a probability" : "a margin P - 1/2",
                                  NfgFormName(form_),
                                  form_ == NfgForm::kP
                                      ? ""
                                      : "; a zero-sum game with larger payoffs must be scaled "
                                        "to |u| <= 1/2"));
    }
    const double sum = u1 + u2;
    if (!(std::abs(sum - constant_) <= kGameTolerance))
      lex_.Fail(
          at1,
          fmt::format(
              "u1 + u2 = {} + {} = {} at {}, expected {} within {} (a constant-sum game in the {}, "
              "detected from strategies (1, 1))",
              u1, u2, sum, where(), constant_, kGameTolerance, NfgFormName(form_)));
    if (i == j) {
      if (!Near(u2, u1))
        Asymmetric(at2, fmt::format("u2 = {} at {} but u1 = {} there", u2, where(), u1));
      if (!PairSumsToOne(u1, u1))
        PairFails(at1, fmt::format("P({0}, {0}) + P({0}, {0}) = {1} + {1}", i + 1, ToP(u1)), u1, u1,
                  " (so 1/2 on the diagonal)");
      M_(i, j) = u1;
    } else if (i >
               j) {  // the mirror (j, i) comes later: its u2 check needs this u2, kept in its slot
      M_(i, j) = u1;
      M_(j, i) = u2;
    } else {  // the mirror (j, i) came first
      const double u2_mirror = M_(i, j), u1_mirror = M_(j, i);
      auto mirror = [&] { return fmt::format("strategies ({}, {})", j + 1, i + 1); };
      if (!Near(u1, u2_mirror))
        Asymmetric(
            at1, fmt::format("u1 = {} at {} but u2 = {} at {}", u1, where(), u2_mirror, mirror()));
      if (!Near(u2, u1_mirror))
        Asymmetric(
            at2, fmt::format("u2 = {} at {} but u1 = {} at {}", u2, where(), u1_mirror, mirror()));
      if (!PairSumsToOne(u1, u1_mirror))
        PairFails(at1,
                  fmt::format("P({}, {}) + P({}, {}) = {} + {}", i + 1, j + 1, j + 1, i + 1,
                              ToP(u1), ToP(u1_mirror)),
                  u1, u1_mirror, "");
      M_(i, j) = u1;
    }
  }

  NfgForm form() const { return form_; }
  double ToP(double u) const { return form_ == NfgForm::kP ? u : 0.5 + u; }

 private:
  void Detect(double u1, double u2, Pos at, const std::string& where) {
    const double sum = u1 + u2;
    if (std::abs(sum - 1.0) <= kGameTolerance) {
      form_ = NfgForm::kP;
      constant_ = 1.0;
    } else if (std::abs(sum) <= kGameTolerance) {
      form_ = NfgForm::kCentered;
      constant_ = 0.0;
    } else {
      lex_.Fail(at, fmt::format("u1 + u2 = {} + {} = {} at {}, expected a symmetric constant-sum "
                                "preference game: the "
                                "P form (u1 = P, u2 = 1 - P, sum 1) or the centered form (u1 = P - "
                                "1/2, u2 = -u1, sum 0)",
                                u1, u2, sum, where));
    }
  }
  static bool Near(double a, double b) { return std::abs(a - b) <= kGameTolerance; }
  [[noreturn]] void Asymmetric(Pos at, const std::string& what) const {
    lex_.Fail(at, fmt::format("{}, expected a symmetric game: u1(i, j) = u2(j, i) within {}", what,
                              kGameTolerance));
  }
  // P_ij + P_ji = 1, computed on P as ValidatePreferenceMatrix does.
  bool PairSumsToOne(double u1, double u1_mirror) const {
    return Near(ToP(u1) + ToP(u1_mirror), 1.0);
  }
  [[noreturn]] void PairFails(Pos at, const std::string& what, double u1, double u1_mirror,
                              const char* note) const {
    lex_.Fail(at, fmt::format("{} = {}, expected P + P^T = 1 within {}{} ({})", what,
                              ToP(u1) + ToP(u1_mirror), kGameTolerance, note, NfgFormName(form_)));
  }

  const Lexer& lex_;
  Eigen::Index n_;
  Eigen::MatrixXd& M_;
  NfgForm form_ = NfgForm::kP;
  double constant_ = 1.0;
};

struct Outcome {
  double u1 = 0.0, u2 = 0.0;
  int line = 0;
};

class Parser {
 public:
  Parser(std::FILE* f, std::string path, std::string key, std::int64_t file_bytes)
      : lex_(f, std::move(path), std::move(key)), file_bytes_(file_bytes) {}

  // The header, up to the strategy counts (and the optional comment): n.
  Eigen::Index Header() {
    Advance();
    if (tok_.kind == Kind::kEnd)
      lex_.Fail(tok_, fmt::format("the file is empty, expected {} (NFG 1 R ...)", kWhat));
    if (tok_.kind != Kind::kSymbol || tok_.text != "NFG")
      lex_.Fail(tok_,
                fmt::format("found {}{}, expected NFG: {} starts with NFG 1 R", Describe(tok_),
                            tok_.text == "EFG" ? " (an extensive-form game)" : "", kWhat));
    Advance();
    if (tok_.text != "1")
      lex_.Fail(tok_,
                fmt::format("found {}, expected the version number 1 (NFG 1 R)", Describe(tok_)));
    Advance();
    if (tok_.kind != Kind::kSymbol || (tok_.text != "R" && tok_.text != "D"))
      lex_.Fail(tok_, fmt::format("found {}, expected R or D (the number type: NFG 1 R)",
                                  Describe(tok_)));
    Advance();
    if (tok_.kind != Kind::kString)
      lex_.Fail(tok_, fmt::format("found {}, expected the game's title in quotes", Describe(tok_)));
    title_ = tok_.text;
    Players();
    const Eigen::Index n = Strategies();
    if (tok_.kind == Kind::kString) Advance();  // the optional comment
    return n;
  }

  // The payoffs of an n x n game into P (checked), after Header(); then the end of the file.
  NfgGame Body(Eigen::Index n) {
    const auto count = static_cast<std::int64_t>(n) * n;
    const bool outcomes = tok_.kind == Kind::kLBrace;
    if (!outcomes && tok_.kind != Kind::kNumber)
      lex_.Fail(
          tok_,
          fmt::format(
              "found {}, expected the payoffs: {} numbers (payoff version) or a '{{' opening the "
              "list of outcomes (outcome version)",
              Describe(tok_), 2 * count));
    // A large table the header claims must fit the file before P is allocated: each profile takes
    // at least 4 bytes ("0 0 ", payoff version) or 2 ("1 ", an outcome number), and P takes 8 bytes
    // of memory. (A small one is just read: a short file then fails where it ends.)
    const double profiles = static_cast<double>(n) * static_cast<double>(n);
    const auto left = static_cast<double>(file_bytes_ - tok_.offset);
    if (8.0 * profiles > kCheckedBytes) {
      if ((outcomes ? 2.0 : 4.0) * profiles - 1.0 > left)
        lex_.Fail(
            count_,
            fmt::format(
                "{0} x {0} strategies are {1:.4g} strategy profiles, but only {2:.4g} bytes follow "
                "the header; expected {3} for every profile",
                n, profiles, left, outcomes ? "an outcome number" : "two payoffs"));
      const double available = AvailableMemoryBytes();
      if (8.0 * profiles > available)
        lex_.Fail(
            count_,
            fmt::format("{0} x {0} strategies need {1:.3g} GB for P, but {2:.3g} GB are available",
                        n, 8.0 * profiles / 1e9, available / 1e9));
    }
    NfgGame game;
    game.title = title_;
    game.P.resize(n, n);
    PayoffChecker check(lex_, n, game.P);
    if (outcomes) {
      OutcomeBody(count, check);
    } else {
      for (std::int64_t k = 0; k < count; ++k) {
        const Pos at1 = tok_.pos();
        const double u1 = Payoff(2 * k, count);
        const Pos at2 = tok_.pos();
        const double u2 = Payoff(2 * k + 1, count);
        check.Check(k, u1, u2, at1, at2);
      }
    }
    if (tok_.kind != Kind::kEnd)
      lex_.Fail(
          tok_,
          fmt::format(
              "found {} after the last strategy profile, expected the end of the file ({} x {} "
              "profiles)",
              Describe(tok_), n, n));
    game.form = check.form();
    if (game.form == NfgForm::kCentered) game.P.array() += 0.5;
    return game;
  }

 private:
  void Advance() { lex_.Next(tok_); }

  void Expect(Kind kind, const std::string& what) {
    if (tok_.kind != kind)
      lex_.Fail(tok_, fmt::format("found {}, expected {}", Describe(tok_), what));
  }

  void Players() {
    Advance();
    Expect(Kind::kLBrace, "'{' opening the list of players' names");
    int players = 0;
    for (Advance(); tok_.kind == Kind::kString; Advance()) {
      if (++players > 2) lex_.Fail(tok_, "a third player, expected a two-player game");
    }
    Expect(Kind::kRBrace, "a player's name in quotes or '}'");
    if (players != 2)
      lex_.Fail(tok_, fmt::format("{} player(s), expected a two-player game", players));
  }

  // { n1 n2 } or { { "s" ... } { "s" ... } } (the first token decides, as in Gambit); n1 = n2 >= 2.
  Eigen::Index Strategies() {
    Advance();
    Expect(Kind::kLBrace,
           "'{' opening the strategies (their numbers, or a list of names per player)");
    Advance();
    const bool labels = tok_.kind == Kind::kLBrace;
    std::int64_t counts[2] = {0, 0};
    for (int p = 0; p < 2; ++p) {
      count_ = tok_;
      if (labels) {
        Expect(Kind::kLBrace,
               fmt::format("'{{' opening the list of player {}'s strategy names", p + 1));
        for (Advance(); tok_.kind == Kind::kString; Advance()) ++counts[p];
        Expect(Kind::kRBrace, "a strategy name in quotes or '}'");
      } else {
        if (tok_.kind != Kind::kNumber || !IsDigits(tok_.text))
          lex_.Fail(
              tok_,
              fmt::format("found {}, expected the number of strategies of player {} (an integer)",
                          Describe(tok_), p + 1));
        const auto [ptr, ec] =
            std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), counts[p]);
        if (ec != std::errc() || counts[p] > (std::int64_t{1} << 31))
          lex_.Fail(tok_,
                    fmt::format("{} strategies, expected at most 2^31", tok_.text.substr(0, 40)));
      }
      if (counts[p] < 2)
        lex_.Fail(
            count_,
            fmt::format(
                "player {} has {} strateg{}, expected at least 2 (a preference game has n >= 2 "
                "actions)",
                p + 1, counts[p], counts[p] == 1 ? "y" : "ies"));
      if (p == 1 && counts[1] != counts[0])
        lex_.Fail(
            count_,
            fmt::format(
                "player 2 has {} strategies but player 1 has {}, expected a square game (both "
                "players choose among the same n actions)",
                counts[1], counts[0]));
      Advance();
    }
    Expect(Kind::kRBrace, "'}' closing the strategies (one entry per player)");
    Advance();
    return static_cast<Eigen::Index>(counts[0]);
  }

  // Body token `m` of `count` profiles (2 per profile), a number; then the next token.
  double Payoff(std::int64_t m, std::int64_t count) {
    if (tok_.kind == Kind::kEnd)
      lex_.Fail(
          tok_,
          fmt::format(
              "the file ends after {} payoffs, expected {} (u1 and u2 for each of the {} strategy "
              "profiles)",
              m, 2 * count, count));
    const double v =
        Number([&] { return fmt::format("a payoff (u{} of profile {})", m % 2 + 1, m / 2 + 1); });
    Advance();
    return v;
  }

  // The current token as a number; `what` (called only on failure) says what was expected.
  template <class What>
  double Number(const What& what) {
    std::string why;
    if (tok_.kind == Kind::kNumber) {
      if (const std::optional<double> v = ParseNumber(tok_.text, why)) return *v;
    } else if (tok_.kind == Kind::kSymbol) {
      why = fmt::format("'{}' is not a number", tok_.text.substr(0, 40));
    } else {
      why = "found " + Describe(tok_);
    }
    lex_.Fail(tok_,
              fmt::format("{}, expected {}: a number such as 0.25, -1/3 or 2.5e-3", why, what()));
  }

  void OutcomeBody(std::int64_t count, PayoffChecker& check) {
    std::vector<Outcome> outcomes;
    for (Advance(); tok_.kind == Kind::kLBrace; Advance()) {
      Outcome o;
      o.line = tok_.line;
      Advance();
      Expect(Kind::kString, "the outcome's name in quotes");
      Advance();
      for (double* u : {&o.u1, &o.u2}) {
        *u = Number([&] {
          return fmt::format("the payoff of player {} in outcome {}", u == &o.u1 ? 1 : 2,
                             outcomes.size() + 1);
        });
        Advance();
        if (tok_.kind == Kind::kComma) Advance();
      }
      Expect(Kind::kRBrace,
             fmt::format("'}}' closing outcome {} (a name and two payoffs)", outcomes.size() + 1));
      outcomes.push_back(o);
    }
    Expect(Kind::kRBrace, "'{' opening another outcome or '}' closing the list of outcomes");
    Advance();
    for (std::int64_t k = 0; k < count; ++k) {
      if (tok_.kind == Kind::kEnd)
        lex_.Fail(
            tok_,
            fmt::format(
                "the file ends after {} outcome numbers, expected {} (one per strategy profile)", k,
                count));
      std::int64_t index = -1;
      if (tok_.kind == Kind::kNumber && IsDigits(tok_.text)) {
        const auto [ptr, ec] =
            std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), index);
        if (ec != std::errc()) index = std::numeric_limits<std::int64_t>::max();
      } else {
        lex_.Fail(
            tok_,
            fmt::format(
                "found {}, expected the outcome number of profile {} (an integer from 0 to {})",
                Describe(tok_), k + 1, outcomes.size()));
      }
      if (index > static_cast<std::int64_t>(outcomes.size()))
        lex_.Fail(tok_, fmt::format("outcome {}, but the file defines {} outcome(s), expected 0 "
                                    "(the null outcome) to {}",
                                    tok_.text.substr(0, 40), outcomes.size(), outcomes.size()));
      const Outcome o = index == 0 ? Outcome{} : outcomes[static_cast<size_t>(index - 1)];
      check.Check(k, o.u1, o.u2, tok_.pos(), tok_.pos(), index, o.line);
      Advance();
    }
  }

  Lexer lex_;
  std::int64_t file_bytes_;
  Token tok_;
  Token count_;  // player 2's strategy count (or list), where a claimed size is refused
  std::string title_;
};

// The file opened and its size, with OpenInputFile's checks (a regular file, at most 2 GiB).
std::pair<FilePtr, std::int64_t> Open(const std::string& path, const std::string& key) {
  FilePtr f = OpenInputFile(path, key, kWhat, kMaxCsvBytes);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return {std::move(f), ec ? std::int64_t{0} : static_cast<std::int64_t>(size)};
}

}  // namespace

std::string_view NfgFormName(NfgForm form) {
  return form == NfgForm::kP ? "P form" : "centered form";
}

NfgGame ReadNfg(const std::string& path, const std::string& key) {
  auto [f, bytes] = Open(path, key);
  Parser parser(f.get(), path, key, bytes);
  const Eigen::Index n = parser.Header();
  return parser.Body(n);
}

std::optional<Eigen::Index> NfgFileN(const std::string& path) {
  try {
    auto [f, bytes] = Open(path, "");
    return Parser(f.get(), path, "", bytes).Header();
  } catch (const InputError&) {
    return std::nullopt;
  }
}

namespace {

// The shortest decimal that reads back to x (0 for -0, so the file never shows "-0"): the CSV
// files' writer for finite x (a game's entries are), fmt's "{}" for anything else.
void AppendNfgNumber(std::string& out, double x) {
  if (x == 0.0) {
    out.push_back('0');
  } else if (std::isfinite(x)) {
    AppendNumber(out, x);
  } else {
    fmt::format_to(std::back_inserter(out), "{}", x);
  }
}

}  // namespace

void CheckNfgWritable(Eigen::Index n) {
  if (n > kMaxNfgWriteN)
    throw InputError(
        "game",
        fmt::format(
            "has n = {} actions, expected at most {} for a .nfg file (it holds n^2 = {:.3g} "
            "payoff pairs, up to {:.3g} GB; nlhf reads back files of at most 2 GiB)",
            n, kMaxNfgWriteN, static_cast<double>(n) * n, 52.0 * static_cast<double>(n) * n / 1e9));
}

namespace {

// The file in pieces of about 1 MiB, each handed to `sink`.
template <class Sink>
void WriteNfgPieces(const PreferenceOperator& P, NfgForm form, std::string_view title,
                    const Sink& sink) {
  const Eigen::Index n = P.n();
  CheckNfgWritable(n);
  std::string clean;
  for (const char c : title) {
    const auto u = static_cast<unsigned char>(c);
    clean.push_back(c == '"' ? '\'' : c == '\\' ? '/' : (u < 0x20 || u == 0x7f) ? ' ' : c);
  }
  std::string buf =
      fmt::format("NFG 1 R \"{}\" {{ \"Player 1\" \"Player 2\" }} {{ {} {} }}\n\n", clean, n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const double pij = P.Entry(i, j), pji = P.Entry(j, i);
      double u1 = pij, u2 = pji;
      if (form == NfgForm::kCentered) {
        // The larger entry of the pair gives the margin (exact: it lies in [1/2, 1]); ties go to i
        // > j.
        const bool ij_larger = pij > pji || (pij == pji && i > j);
        u1 = i == j ? 0.0 : ij_larger ? pij - 0.5 : -(pji - 0.5);
        u2 = -u1;
      }
      AppendNfgNumber(buf, u1);
      buf.push_back(' ');
      AppendNfgNumber(buf, u2);
      buf.push_back('\n');
    }
    if (buf.size() >= (1u << 20)) {
      sink(buf);
      buf.clear();
    }
  }
  sink(buf);
}

}  // namespace

void WriteNfg(std::FILE* out, const PreferenceOperator& P, NfgForm form, std::string_view title) {
  WriteNfgPieces(P, form, title, [&](const std::string& piece) { WriteString(out, piece); });
}

std::string NfgText(const PreferenceOperator& P, NfgForm form, std::string_view title) {
  std::string text;
  WriteNfgPieces(P, form, title, [&](const std::string& piece) { text += piece; });
  return text;
}

}  // namespace nlhf
