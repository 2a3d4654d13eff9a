#include "nlhf/errors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <tuple>

namespace nlhf {

std::string SourceLocation::ToString() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

std::string EscapeControl(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [&](unsigned char c) { out += fmt::format("\\x{:02x}", c); };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\n') {
      out += "\\n";
      ++i;
    } else if (c == '\r') {
      out += "\\r";
      ++i;
    } else if (c == '\t') {
      out += "\\t";
      ++i;
    } else if (c < 0x80) {
      hex(c);
      ++i;
    } else {
      // A valid UTF-8 sequence of a printable code point passes; anything else is escaped bytewise.
      const size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
      bool ok = len > 0 && len <= 4 && i + len <= text.size();
      std::uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
      for (size_t k = 1; ok && k < len; ++k) {
        const auto d = static_cast<unsigned char>(text[i + k]);
        ok = (d & 0xc0) == 0x80;
        cp = (cp << 6) | (d & 0x3f);
      }
      // Overlong forms, surrogates, beyond U+10FFFF, C1 controls (U+0080..U+009F) and the line and
      // paragraph separators are escaped.
      ok = ok && !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10ffff)) &&
           !(cp >= 0xd800 && cp <= 0xdfff) && !(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 && cp != 0x2029;
      if (ok) {
        out.append(text.substr(i, len));
        i += len;
      } else {
        hex(c);
        ++i;
      }
    }
  }
  return out;
}

namespace {

// A cut at or before `at` that does not split a UTF-8 sequence.
size_t CharBoundary(std::string_view text, size_t at) {
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) --at;
  return at;
}

std::string Compose(const SourceLocation& where, const std::string& key,
                    const std::string& problem) {
  std::string out;
  const std::string loc = where.ToString();
  if (!loc.empty()) out += loc + ": ";
  if (!key.empty()) out += key + ": ";
  return LimitMessage(EscapeControl(out + problem));
}

// The errors in the order of their places: by file (in the order the files first appear), then
// line and column; unlocated ones first within their file, each group in the order found.
std::vector<InputError> InFileOrder(std::vector<InputError> errors) {
  NLHF_CHECK(!errors.empty(), "InputErrors of no error");
  std::vector<std::string> files;
  for (const InputError& e : errors)
    if (std::find(files.begin(), files.end(), e.where().file) == files.end()) files.push_back(e.where().file);
  const auto key = [&](const InputError& e) {
    const auto rank = std::find(files.begin(), files.end(), e.where().file) - files.begin();
    return std::tuple(rank, e.where().line, e.where().col);
  };
  std::stable_sort(errors.begin(), errors.end(), [&](const InputError& a, const InputError& b) { return key(a) < key(b); });
  return errors;
}

}  // namespace

std::string Excerpt(std::string_view value, size_t max_chars) {
  if (value.size() <= max_chars) return std::string(value);
  return fmt::format("{}... ({} bytes)", value.substr(0, CharBoundary(value, max_chars)), value.size());
}

std::string LimitMessage(std::string text) {
  // Cut only where the cut saves more than the marker costs.
  if (text.size() <= kMaxMessageChars + kMessageCutMarkerRoom) return text;
  // The head names the place and the key, the tail what is allowed: the middle is an echoed value.
  size_t head = CharBoundary(text, kMaxMessageChars / 2);
  size_t tail = CharBoundary(text, text.size() - kMaxMessageChars / 2);
  // Not inside an escape of EscapeControl (\xNN, \n, \r, \t): the head ends before one, the tail
  // starts after one.
  const auto escape_length = [&](size_t at) -> size_t {
    if (text[at] != '\\' || at + 1 >= text.size()) return 0;
    return text[at + 1] == 'x' ? 4 : (text[at + 1] == 'n' || text[at + 1] == 'r' || text[at + 1] == 't') ? 2 : 0;
  };
  for (size_t k = 1; k <= 3 && k <= head; ++k)
    if (escape_length(head - k) > k) {
      head -= k;
      break;
    }
  for (size_t k = 1; k <= 3 && k <= tail; ++k)
    if (const size_t len = escape_length(tail - k); len > k) {
      tail = tail - k + len;
      break;
    }
  return fmt::format("{} ... ({} bytes left out) ... {}", text.substr(0, head), tail - head, text.substr(tail));
}

InputError::InputError(const std::string& problem) : InputError(SourceLocation{}, "", problem) {}

InputError::InputError(const std::string& key, const std::string& problem)
    : InputError(SourceLocation{}, key, problem) {}

InputError::InputError(const SourceLocation& where, const std::string& key,
                       const std::string& problem)
    : std::runtime_error(Compose(where, key, problem)),
      where_(where),
      key_(key),
      problem_(problem) {}

InputError InputError::Located(const SourceLocation& where, const std::string& key_prefix) const {
  std::string key = key_;
  if (!key_prefix.empty()) key = key.empty() ? key_prefix : key_prefix + "." + key;
  return InputError(where_.file.empty() ? where : where_, key, problem_);
}

InputErrors::InputErrors(std::vector<InputError> errors)
    : InputErrors(InFileOrder(std::move(errors)), 0) {}

InputErrors::InputErrors(std::vector<InputError> sorted, int)
    : InputError(sorted.front()), errors_(std::move(sorted)) {}

void FailCheck(const char* condition, const char* file, int line, const std::string& detail) {
  throw InternalError(fmt::format("internal error: {}:{}: check failed: {}{}{}", file, line,
                                  condition, detail.empty() ? "" : ": ", detail));
}

}  // namespace nlhf
