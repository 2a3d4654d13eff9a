#pragma once
// The three error channels:
//   * bad input (files, specs, values)   -> InputError, thrown; main() prints one `error:` line, exit 2;
//   * algorithm outcomes (not certified) -> status data in result structs, never an exception;
//   * broken invariants                  -> InternalError, thrown by NLHF_CHECK, always on.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nlhf {

// Where a bad value came from. Empty file means "not from a file" (a spec string, a flag).
struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 = unknown
  int col = 0;   // 1-based; 0 = unknown
  std::string ToString() const;  // "file:line:col", "file:line", "file" or ""
};

// `text` with every non-printable character escaped: newline, return and tab as \n, \r, \t, other control
// bytes (ESC, DEL, C1 controls) and bytes that are not valid UTF-8 become \xNN. Printable ASCII and
// valid UTF-8 text pass unchanged. The result is one line and holds no terminal escape sequence.
std::string EscapeControl(std::string_view text);

// `value` as an error message echoes it: whole up to `max_chars` bytes, else its first `max_chars`
// (not splitting a UTF-8 sequence), "..." and its length ("1.0.0.0... (2000000 bytes)").
std::string Excerpt(std::string_view value, size_t max_chars = 60);

// An error message of at most about kMaxMessageChars bytes: one longer by more than the marker's
// room keeps its first and last kMaxMessageChars / 2 bytes (not splitting a UTF-8 sequence or an
// escape of EscapeControl) and says how many bytes of the middle it left out. Every InputError's
// what() passes through it, so a value echoed from a huge input cannot make a huge error line.
inline constexpr size_t kMaxMessageChars = 1000;
inline constexpr size_t kMessageCutMarkerRoom = 64;
std::string LimitMessage(std::string text);

// Bad user input. what() reads "<file>:<line>:<col>: <key>: <problem>" with absent parts omitted;
// the problem says what is wrong and what is allowed. what() is escaped (EscapeControl), so a value
// echoed from the input can never split the message or reach the terminal as an escape sequence,
// and limited (LimitMessage).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& problem);
  InputError(const std::string& key, const std::string& problem);
  InputError(const SourceLocation& where, const std::string& key, const std::string& problem);

  const SourceLocation& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

  // The same error, located (used when a layer that knows the file re-throws a library error).
  InputError Located(const SourceLocation& where, const std::string& key_prefix) const;

 private:
  SourceLocation where_;
  std::string key_;
  std::string problem_;
};

// Several input errors found in one pass; what() is the first.
class InputErrors : public InputError {
 public:
  // Kept in the order of their places in the files (file, line, column), as a compiler lists them;
  // what() is the first.
  explicit InputErrors(std::vector<InputError> errors);
  const std::vector<InputError>& errors() const { return errors_; }

 private:
  // `sorted` is already in file order (the int tells this constructor apart).
  InputErrors(std::vector<InputError> sorted, int);
  std::vector<InputError> errors_;
};

// A broken invariant: a bug in nlhf, never the user's fault.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void FailCheck(const char* condition, const char* file, int line,
                            const std::string& detail);

}  // namespace nlhf

#define NLHF_CHECK(cond, detail)                                     \
  do {                                                               \
    if (!(cond)) ::nlhf::FailCheck(#cond, __FILE__, __LINE__, detail); \
  } while (false)
