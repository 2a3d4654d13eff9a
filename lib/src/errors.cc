#include "nlhf/errors.h"

#include <fmt/format.h>

namespace nlhf {

std::string SourceLocation::ToString() const {
  if (file.empty()) return "";
  if (line <= 0) return file;
  if (col <= 0) return fmt::format("{}:{}", file, line);
  return fmt::format("{}:{}:{}", file, line, col);
}

namespace {
std::string Compose(const SourceLocation& where, const std::string& key,
                    const std::string& problem) {
  std::string out;
  const std::string loc = where.ToString();
  if (!loc.empty()) out += loc + ": ";
  if (!key.empty()) out += key + ": ";
  return out + problem;
}
}  // namespace

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

void FailCheck(const char* condition, const char* file, int line, const std::string& detail) {
  throw InternalError(fmt::format("internal error: {}:{}: check failed: {}{}{}", file, line,
                                  condition, detail.empty() ? "" : ": ", detail));
}

}  // namespace nlhf
