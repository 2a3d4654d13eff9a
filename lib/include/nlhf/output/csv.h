#pragma once
// CSV text: the one writer and reader of nlhf's output files (trace.csv, runs.csv, summary.csv and
// a sweep's part files). Fields are quoted only when they must be; numbers are the shortest text
// that reads back to the same double, and an empty cell is a value not computed (NaN).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nlhf {

// A field: quoted (with "" escapes) when it holds a comma, quote or newline.
std::string CsvField(std::string_view text);
void AppendCsvField(std::string& out, std::string_view text);
// Shortest text that reads back to the same double; "" for NaN (an empty cell).
std::string NumberText(double x);
void AppendNumber(std::string& out, double x);
// The same text written at `out`, which must have room for kNumberRoom chars (the text has at most
// 24; the chars after it may be overwritten); returns the text's end (`out` itself for NaN).
inline constexpr size_t kNumberRoom = 48;
char* WriteNumber(char* out, double x);
// One line (without its newline) split into fields, quotes undone; nullopt if a quote is unbalanced.
std::optional<std::vector<std::string>> SplitCsvLine(std::string_view line);
// The same into `fields`, whose strings keep their storage from one line to the next (a reader of
// many lines of one width allocates for the first only); false if a quote is unbalanced.
bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields);
// The same as views, for a reader that copies only some fields: a field that is plain text, or one
// quoted stretch with no doubled quote, is a view into `line`; any other field is unquoted into
// `scratch` (cleared, and reserved for the whole line first, so its views stay valid). The views
// last while `line` and `scratch` do; false if a quote is unbalanced.
bool SplitCsvLine(std::string_view line, std::vector<std::string_view>& fields, std::string& scratch);
// A number as AppendNumber wrote it ("" is NaN; also "nan", "inf", "-inf"); nullopt for anything
// else (a leading space or '+', hex, a value that overflows or underflows to 0: none of them is
// written by AppendNumber). Not std::stod, which throws on subnormal values (kl_to_star reaches them
// on games with a pure equilibrium); std::from_chars, which reads them (since GCC 12; a test checks).
std::optional<double> ParseCsvNumber(std::string_view text);

}  // namespace nlhf
