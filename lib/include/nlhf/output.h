#pragma once
// Output formats of a run directory (docs/cli.md): the trace CSV (fixed header, numbers
// that read back exactly, empty cells for metrics not computed), JSON values, and atomic writes.
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "nlhf/errors.h"

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
// Throws std::system_error carrying errno on failure (a full disk, a file size limit).
void WriteString(std::FILE* f, const std::string& text);

// A failed write of an output file (full disk, file size limit, permissions): an unusable
// environment, so main() prints "error: writing FILE: REASON" and exits 2. `err` is an errno value.
InputError WriteError(const std::string& file, int err);

// Creates `path`, runs `write`, flushes and fsyncs. On failure the file is removed and the error
// is WriteError(`shown`, errno) (an exception thrown by `write` itself passes through unchanged).
void WriteFileSynced(const std::string& path, const FileWriter& write, const std::string& shown);

// Writes `path` atomically: into a temp file beside it (".NAME.tmp-PID-THREAD"), flushed and fsynced,
// then renamed over it. A crash leaves either the old file or the complete new one; a failure removes
// the temp file and throws WriteError(path, errno).
void WriteFileAtomic(const std::string& path, const FileWriter& write);

}  // namespace nlhf
