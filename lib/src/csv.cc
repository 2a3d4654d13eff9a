#include "nlhf/csv.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sys/types.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/input_file.h"
#include "nlhf/params.h"

namespace nlhf {

namespace {

struct Rows {
  std::vector<std::vector<double>> values;
  std::vector<int> lines;  // the line number of each row
};

// Why a cell that is not a number may look like one, for its message: a character a spreadsheet or
// a web page puts where a person sees a blank or nothing (no-break space, byte order mark,
// zero-width space: echoed as they are, they are invisible), or another separator (';', a tab: the
// file is read with commas only; a decimal comma splits a number in two). "" if none applies.
std::string CellHint(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kInvisible[] = {
      {"\xC2\xA0", "U+00A0 NO-BREAK SPACE"},
      {"\xEF\xBB\xBF", "U+FEFF BYTE ORDER MARK"},
      {"\xE2\x80\x8B", "U+200B ZERO WIDTH SPACE"},
      {"\xE2\x80\xAF", "U+202F NARROW NO-BREAK SPACE"}};
  for (const auto& [bytes, name] : kInvisible)
    if (const size_t at = text.find(bytes); at != std::string_view::npos)
      return fmt::format(" (it holds the invisible character {} at byte {} of the cell)", name, at + 1);
  if (text.find(';') != std::string_view::npos)
    return " (the file seems to separate values with ';': nlhf reads commas only, with '.' as the decimal point)";
  if (text.find('\t') != std::string_view::npos)
    return " (the file seems to separate values with tabs: nlhf reads commas only)";
  return "";
}

// A line as ReadRows reads it: without its newline and carriage return, and line 1 without a UTF-8
// byte order mark (spreadsheets write one when saving "CSV UTF-8"; it is no part of a number).
void TrimLine(std::string& line, int line_no) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
}

// The cell of `line` from `start` to the next comma: its text without the spaces and tabs around
// it, and the number from_chars reads from that text (a leading '+' accepted).
struct Cell {
  size_t begin = 0, end = 0;         // the text: [begin, end) of the line
  size_t comma = std::string::npos;  // the comma after it; npos for the line's last cell
  double value = 0.0;
  std::errc ec{};
  bool whole = false;  // from_chars read the text up to its end
};

Cell ReadCell(std::string_view line, size_t start) {
  Cell c;
  c.comma = line.find(',', start);
  c.begin = start;
  c.end = c.comma == std::string::npos ? line.size() : c.comma;
  while (c.begin < c.end && (line[c.begin] == ' ' || line[c.begin] == '\t')) ++c.begin;
  while (c.end > c.begin && (line[c.end - 1] == ' ' || line[c.end - 1] == '\t')) --c.end;
  const char* first = line.data() + c.begin;
  const char* last = line.data() + c.end;
  if (first != last && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, c.value);
  c.ec = ec;
  c.whole = ptr == last;
  return c;
}

// Reads every non-empty line as comma-separated finite numbers. Trailing empty lines are ignored;
// an empty line between rows is an error.
Rows ReadRows(const std::string& path, const std::string& key) {
  const FilePtr file = OpenInputFile(path, key, "a CSV file of numbers", kMaxCsvBytes);
  Rows rows;
  std::string line;
  int line_no = 0;
  int blank_after = 0;  // line number of the first blank line seen after data
  char* raw = nullptr;
  size_t capacity = 0;
  struct Free {
    char*& p;
    ~Free() { std::free(p); }
  } free_raw{raw};
  ssize_t got = 0;
  while ((got = ::getline(&raw, &capacity, file.get())) >= 0) {
    line.assign(raw, static_cast<size_t>(got));
    TrimLine(line, ++line_no);
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (blank_after == 0) blank_after = line_no;
      continue;
    }
    if (blank_after != 0 && !rows.values.empty())
      throw InputError(SourceLocation{path, blank_after, 1}, key, "empty line between rows, expected one row per line");
    blank_after = 0;
    std::vector<double> row;
    size_t start = 0;
    while (true) {
      const Cell c = ReadCell(line, start);
      const std::string_view text = std::string_view(line).substr(c.begin, c.end - c.begin);
      const std::string cell = Excerpt(text);  // as the messages echo it
      const SourceLocation where{path, line_no, static_cast<int>(c.begin) + 1};
      if (text.empty())
        throw InputError(where, key, c.comma == std::string::npos && start > 0
                                         ? "empty cell after the last comma, expected a number (a trailing comma?)"
                                         : "empty cell, expected a number");
      if (c.ec == std::errc::result_out_of_range && c.whole)
        throw InputError(where, key, fmt::format("'{}' {}, expected a finite number of magnitude between about "
                                                 "1e-308 and 1e308 (or 0)",
                                                 cell, OutOfRangeText(text)));
      if (c.ec != std::errc() || !c.whole)
        throw InputError(where, key, fmt::format("'{}' is not a number{}, expected a finite number", cell,
                                                 CellHint(text)));
      if (!std::isfinite(c.value))
        throw InputError(where, key, fmt::format("'{}' is not finite, expected a finite number", cell));
      row.push_back(c.value);
      if (c.comma == std::string::npos) break;
      start = c.comma + 1;
    }
    rows.values.push_back(std::move(row));
    rows.lines.push_back(line_no);
  }
  if (rows.values.empty()) throw InputError(SourceLocation{path}, key, "the file has no numbers, expected CSV rows of numbers");
  return rows;
}

}  // namespace

Eigen::MatrixXd ReadMatrixCsv(const std::string& path, const std::string& key, std::vector<int>* row_lines) {
  Rows rows = ReadRows(path, key);
  const size_t n = rows.values.size();
  Eigen::MatrixXd P(n, n);
  for (size_t i = 0; i < n; ++i) {
    if (rows.values[i].size() != n) {
      // Rows of one length k but not k of them: the rows beyond the k-th, or the file, are at fault,
      // not row 1. Rows of different lengths: the first that differs from row 1.
      const size_t k = rows.values[0].size();
      const bool even = std::all_of(rows.values.begin(), rows.values.end(), [&](const auto& r) { return r.size() == k; });
      if (even && n > k)
        throw InputError(SourceLocation{path, rows.lines[k]}, key,
                         fmt::format("row {} is beyond a square matrix: the rows have {} values each, so the file "
                                     "should have {} rows, not {} (expected n lines of n comma-separated numbers)",
                                     k + 1, k, k, n));
      if (even) {
        // Twice n values per row, every other one 0 or 1: probabilities with a decimal comma (0,5).
        bool decimal_comma = k == 2 * n;
        for (const auto& r : rows.values)
          for (size_t j = 0; j < k && decimal_comma; j += 2) decimal_comma = r[j] == 0.0 || r[j] == 1.0;
        throw InputError(SourceLocation{path}, key,
                         fmt::format("the file has {} rows of {} values each{}, expected a square matrix: n lines of n "
                                     "comma-separated numbers",
                                     n, k,
                                     decimal_comma ? " (this looks like decimals written with a comma, 0,5 for 0.5: "
                                                     "nlhf reads ',' as the separator and '.' as the decimal point)"
                                                   : ""));
      }
      size_t bad = 1;
      while (rows.values[bad].size() == k) ++bad;
      throw InputError(SourceLocation{path, rows.lines[bad]}, key,
                       fmt::format("row {} has {} values but row 1 has {}, expected a square matrix: n lines of n "
                                   "comma-separated numbers",
                                   bad + 1, rows.values[bad].size(), k));
    }
    for (size_t j = 0; j < n; ++j) P(i, j) = rows.values[i][j];
  }
  if (row_lines != nullptr) *row_lines = std::move(rows.lines);
  return P;
}

SourceLocation CsvCellLocation(const std::string& path, int line, Eigen::Index field, double value) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  for (int k = 0; k < line; ++k)
    if (!std::getline(in, text)) return {path};
  TrimLine(text, line);
  Cell c = ReadCell(text, 0);
  for (Eigen::Index f = 0; f < field; ++f) {
    if (c.comma == std::string::npos) return {path};
    c = ReadCell(text, c.comma + 1);
  }
  // The cell as ReadRows reads it must still be `value` (NaN and infinities never read).
  if (c.ec != std::errc() || !c.whole || c.value != value) return {path};
  return {path, line, static_cast<int>(c.begin) + 1};
}

Eigen::VectorXd ReadVectorCsv(const std::string& path, const std::string& key, std::vector<int>* row_lines) {
  Rows rows = ReadRows(path, key);
  Eigen::VectorXd v(rows.values.size());
  for (size_t i = 0; i < rows.values.size(); ++i) {
    if (rows.values[i].size() != 1) {
      throw InputError(SourceLocation{path, rows.lines[i]}, key,
                       fmt::format("line {} has {} values, expected one number per line",
                                   rows.lines[i], rows.values[i].size()));
    }
    v[i] = rows.values[i][0];
  }
  if (row_lines != nullptr) *row_lines = std::move(rows.lines);
  return v;
}

}  // namespace nlhf
