#include "nlhf/output/csv.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace nlhf {

std::string CsvField(std::string_view text) {
  std::string out;
  AppendCsvField(out, text);
  return out;
}

void AppendCsvField(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string NumberText(double x) {
  std::string out;
  AppendNumber(out, x);
  return out;
}

void AppendNumber(std::string& out, double x) {
  if (std::isnan(x)) return;
  // Into a stack buffer with a compiled format: a third of the cost of format_to(back_inserter).
  char text[32];
  const char* end = fmt::format_to(text, FMT_COMPILE("{}"), x);
  out.append(text, static_cast<size_t>(end - text));
}

std::optional<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

std::optional<double> ParseCsvNumber(std::string_view text) {
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;  // strtod would skip it
  const std::string s(text);  // strtod needs a terminated string
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return x;  // ERANGE on underflow still gives the (subnormal or zero) value written
}

}  // namespace nlhf
