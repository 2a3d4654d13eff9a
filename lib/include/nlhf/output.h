#pragma once
// Output formats of a run directory (INTERFACE.md section 3): the trace CSV (fixed header, numbers
// that read back exactly, empty cells for metrics not computed), JSON values, and atomic writes.
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace nlhf {

// The trace.csv header, in the contract's order.
const std::vector<std::string>& TraceColumns();
std::string TraceHeader();  // joined with commas, newline-terminated

// A CSV field: quoted (with "" escapes) when it holds a comma, quote or newline.
std::string CsvField(std::string_view text);
// Shortest text that reads back to the same double; "" for NaN (an empty cell).
std::string NumberText(double x);
// The same, appended to `out` without a temporary.
void AppendNumber(std::string& out, double x);
// A JSON string literal, and a JSON number (null for NaN/inf).
std::string JsonString(std::string_view text);
std::string JsonNumber(double x);

// Writes one file's contents to an open stream (so large traces stream without a full copy).
using FileWriter = std::function<void(std::FILE*)>;
void WriteString(std::FILE* f, const std::string& text);  // throws std::runtime_error on failure

// Writes `path` atomically: into a temp file beside it, flushed and fsynced, then renamed over it.
// A crash leaves either the old file or the complete new one. Throws std::runtime_error.
void WriteFileAtomic(const std::string& path, const FileWriter& write);

// Creates `dir` with `files` (name, writer) atomically: everything is written into a staging
// folder beside it, synced, and renamed into place at the end, so an interrupted run never leaves
// a folder that looks complete. An existing `dir` is replaced only when `force`; refusing is an
// InputError.
void WriteRunDirectory(const std::string& dir, const std::vector<std::pair<std::string, FileWriter>>& files,
                       bool force);
// Throws InputError if `dir` exists and is not empty (unless `force`): checked before any work.
void CheckOutputDirectory(const std::string& dir, bool force);

}  // namespace nlhf
