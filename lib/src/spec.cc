#include "nlhf/spec.h"

#include <fmt/format.h>

#include <cctype>

#include "nlhf/errors.h"

namespace nlhf {

namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

class SpecParser {
 public:
  explicit SpecParser(std::string_view text) : text_(text) {}

  SpecCall Parse() {
    SpecCall call;
    SkipSpace();
    call.name = Name("a name");
    SkipSpace();
    if (AtEnd()) return call;
    Expect('(');
    SkipSpace();
    if (Peek() == ')') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        std::string key = Name("a parameter name");
        SkipSpace();
        Expect('=');
        SkipSpace();
        std::string value = Value();
        call.args.emplace_back(std::move(key), std::move(value));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        Expect(')');
        break;
      }
    }
    SkipSpace();
    if (!AtEnd()) Fail("unexpected text after ')'");
    return call;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  [[noreturn]] void Fail(const std::string& what) const {
    throw InputError(fmt::format("spec '{}': {} at column {}, expected name(key=value,...)", text_,
                                 what, pos_ + 1));
  }
  void Expect(char c) {
    if (Peek() != c) {
      Fail(AtEnd() ? fmt::format("missing '{}'", c)
                   : fmt::format("unexpected '{}' where '{}' belongs", Peek(), c));
    }
    ++pos_;
  }
  std::string Name(const char* what) {
    const size_t start = pos_;
    while (!AtEnd() && IsNameChar(text_[pos_])) ++pos_;
    if (pos_ == start) Fail(AtEnd() ? fmt::format("missing {}", what)
                                    : fmt::format("unexpected '{}' where {} belongs", Peek(), what));
    return std::string(text_.substr(start, pos_ - start));
  }
  std::string Value() {
    if (Peek() == '"') {
      ++pos_;
      std::string out;
      while (!AtEnd() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        out += text_[pos_++];
      }
      Expect('"');
      return out;
    }
    const size_t start = pos_;
    if (Peek() == '[') {
      while (!AtEnd() && text_[pos_] != ']') ++pos_;
      Expect(']');
      return std::string(text_.substr(start, pos_ - start));
    }
    while (!AtEnd() && text_[pos_] != ',' && text_[pos_] != ')') {
      if (std::string_view("([]=\"").find(text_[pos_]) != std::string_view::npos)
        Fail(fmt::format("unexpected '{}' in a value (quote it)", text_[pos_]));
      ++pos_;
    }
    std::string_view v = text_.substr(start, pos_ - start);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty()) Fail("missing value");
    return std::string(v);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

std::string QuoteIfNeeded(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_of(",()[]=\" \t\\") == std::string::npos;
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

SpecCall ParseSpec(std::string_view text) { return SpecParser(text).Parse(); }

std::string FormatSpec(std::string_view name, const ParamMap& params) {
  if (params.items().empty()) return std::string(name);
  std::string out(name);
  out += '(';
  bool first = true;
  for (const auto& [key, value] : params.items()) {
    if (!first) out += ',';
    first = false;
    out += key;
    out += '=';
    out += std::holds_alternative<std::string>(value) ? QuoteIfNeeded(std::get<std::string>(value)) : FormatParamValue(value);
  }
  out += ')';
  return out;
}

}  // namespace nlhf
