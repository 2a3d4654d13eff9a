#include "nlhf/output/csv.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
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
  // Each quote doubled: the text between quotes appended at once.
  for (size_t start = 0;;) {
    const size_t quote = text.find('"', start);
    out.append(text.data() + start, (quote == std::string_view::npos ? text.size() : quote + 1) - start);
    if (quote == std::string_view::npos) break;
    out += '"';
    start = quote + 1;
  }
  out += '"';
}

std::string NumberText(double x) {
  std::string out;
  AppendNumber(out, x);
  return out;
}

namespace {

// "00" "01" … "99": two digits per division.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// v < 10^8 as exactly 8 digits (leading zeros included).
inline void WriteEightDigits(std::uint32_t v, char* out) {
  const std::uint32_t high = v / 10000, low = v % 10000;
  std::memcpy(out, kDigitPairs + (high / 100) * 2, 2);
  std::memcpy(out + 2, kDigitPairs + (high % 100) * 2, 2);
  std::memcpy(out + 4, kDigitPairs + (low / 100) * 2, 2);
  std::memcpy(out + 6, kDigitPairs + (low % 100) * 2, 2);
}

// x, finite and nonzero, as fmt's "{}" writes it: Dragonbox's shortest digits, in fixed notation
// when the decimal exponent is in [-4, 16) and as d.ddde±XX otherwise. fmt's own writer spends
// more than Dragonbox's time placing the digits (its general code serves every format spec); this
// one writes all 17 digit places without a branch and moves the text with fixed-size copies.
// Returns the end of the text; `out` holds at least kNumberRoom chars.
char* WriteShortest(double x, char* out) {
  if (std::signbit(x)) *out++ = '-';
  const auto decimal = fmt::detail::dragonbox::to_decimal(std::fabs(x));
  const std::uint64_t significand = decimal.significand;  // < 10^17
  char places[48];
  const auto high = static_cast<std::uint32_t>(significand / 100000000);  // < 10^9
  places[0] = static_cast<char>('0' + high / 100000000);
  WriteEightDigits(high % 100000000, places + 1);
  WriteEightDigits(static_cast<std::uint32_t>(significand % 100000000), places + 9);
  std::memset(places + 17, '0', sizeof places - 17);
  const int count = fmt::detail::count_digits(significand);
  const char* digits = places + 17 - count;
  const int exponent = decimal.exponent;     // x = digits × 10^exponent
  const int leading = exponent + count - 1;  // x = d.ddd × 10^leading
  if (leading < -4 || leading >= 16) {
    *out++ = digits[0];
    if (count > 1) {
      *out++ = '.';
      std::memcpy(out, digits + 1, 16);
      out += count - 1;
    }
    *out++ = 'e';
    *out++ = leading < 0 ? '-' : '+';
    const int e = leading < 0 ? -leading : leading;
    if (e >= 100) *out++ = static_cast<char>('0' + e / 100);
    std::memcpy(out, kDigitPairs + (e % 100) * 2, 2);
    return out + 2;
  }
  if (exponent >= 0) {  // an integer: its digits, then zeros (at most 15)
    std::memcpy(out, digits, 17);
    out += count;
    std::memset(out, '0', 16);
    return out + exponent;
  }
  if (leading >= 0) {  // ddd.ddd
    std::memcpy(out, digits, 16);
    out += leading + 1;
    *out++ = '.';
    std::memcpy(out, digits + leading + 1, 16);
    return out + (count - leading - 1);
  }
  *out++ = '0';  // 0.000ddd (at most 3 zeros after the point)
  *out++ = '.';
  std::memset(out, '0', 4);
  out += -leading - 1;
  std::memcpy(out, digits, 17);
  return out + count;
}

}  // namespace

char* WriteNumber(char* out, double x) {
  if (std::isnan(x)) return out;
  return x != 0 && std::isfinite(x) ? WriteShortest(x, out) : fmt::format_to(out, FMT_COMPILE("{}"), x);  // 0, -0, ±inf
}

void AppendNumber(std::string& out, double x) {
  char text[kNumberRoom];
  out.append(text, static_cast<size_t>(WriteNumber(text, x) - text));
}

bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields) {
  // The view version's fields, copied into strings that keep their storage from line to line.
  thread_local std::vector<std::string_view> views;
  thread_local std::string scratch;
  const bool whole = SplitCsvLine(line, views, scratch);
  if (fields.size() < views.size()) fields.resize(views.size());
  for (size_t k = 0; k < views.size(); ++k) fields[k].assign(views[k]);
  fields.resize(views.size());
  return whole;
}

bool SplitCsvLine(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch) {
  fields.clear();
  scratch.clear();
  scratch.reserve(line.size());  // never reallocated below: the views into it stay valid
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    // The field starting at i: plain text up to a comma, or one quoted stretch that is all of it.
    size_t end = i;
    while (end < n && line[end] != ',' && line[end] != '"') ++end;
    if (end == n || line[end] == ',') {
      fields.push_back(line.substr(i, end - i));
    } else if (end == i) {
      const size_t close = line.find('"', i + 1);
      if (close == std::string_view::npos) return false;
      if (close + 1 == n || line[close + 1] == ',') {
        fields.push_back(line.substr(i + 1, close - i - 1));
        end = close + 1;
      } else {
        end = i;  // a doubled quote, or text after the quotes: unquoted below
      }
    }
    if (end < n && line[end] == '"') {
      // Unquoted into scratch, as SplitCsvLine does it, up to the comma that ends the field.
      const size_t start = scratch.size();
      bool quoted = false;
      for (end = i; end < n && (quoted || line[end] != ','); ++end) {
        const char c = line[end];
        if (c != '"') {
          scratch += c;
        } else if (quoted && end + 1 < n && line[end + 1] == '"') {
          scratch += '"';
          ++end;
        } else {
          quoted = !quoted;
        }
      }
      if (quoted) return false;
      fields.push_back(std::string_view(scratch).substr(start));
    }
    if (end == n) return true;
    i = end + 1;  // past the comma
  }
}

std::optional<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  if (!SplitCsvLine(line, fields)) return std::nullopt;
  return fields;
}

std::optional<double> ParseCsvNumber(std::string_view text) {
  if (text.empty()) return std::numeric_limits<double>::quiet_NaN();
  // from_chars reads exactly what AppendNumber writes (and inf, nan), with no locale and no copy;
  // it refuses a leading '+' or space, hex, and a value that overflows or underflows to 0.
  double x = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return x;
}

}  // namespace nlhf
