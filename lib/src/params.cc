#include "nlhf/params.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "nlhf/errors.h"

namespace nlhf {

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt: return "int";
    case ParamType::kDouble: return "double";
    case ParamType::kBool: return "bool";
    case ParamType::kString: return "string";
    case ParamType::kDoubleList: return "list of double";
  }
  return "?";
}

// ---- builders ------------------------------------------------------------------------------

ParamSpec ParamSpec::Int(std::string name, std::optional<std::int64_t> def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kInt;
  if (def) s.default_value = *def;
  s.doc = std::move(doc);
  return s;
}

ParamSpec ParamSpec::Double(std::string name, std::optional<double> def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kDouble;
  if (def) s.default_value = *def;
  s.doc = std::move(doc);
  return s;
}

ParamSpec ParamSpec::Bool(std::string name, bool def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kBool;
  s.default_value = def;
  s.doc = std::move(doc);
  return s;
}

ParamSpec ParamSpec::String(std::string name, std::optional<std::string> def, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kString;
  if (def) s.default_value = *def;
  s.doc = std::move(doc);
  return s;
}

ParamSpec ParamSpec::DoubleList(std::string name, std::string doc) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = ParamType::kDoubleList;
  s.default_value = std::vector<double>{};
  s.doc = std::move(doc);
  return s;
}

ParamSpec&& ParamSpec::Range(double lo, double hi) && {
  min = lo;
  max = hi;
  return std::move(*this);
}
ParamSpec&& ParamSpec::Above(double lo) && {
  min = lo;
  min_open = true;
  return std::move(*this);
}
ParamSpec&& ParamSpec::AtLeast(double lo) && {
  min = lo;
  return std::move(*this);
}
ParamSpec&& ParamSpec::OpenRange(double lo, double hi) && {
  min = lo;
  max = hi;
  min_open = max_open = true;
  return std::move(*this);
}
ParamSpec&& ParamSpec::HalfOpen(double lo, double hi) && {
  min = lo;
  max = hi;
  max_open = true;
  return std::move(*this);
}
ParamSpec&& ParamSpec::Check(std::function<std::string(const ParamValue&)> fn, std::string d) && {
  check = std::move(fn);
  check_doc = std::move(d);
  return std::move(*this);
}
ParamSpec&& ParamSpec::AllowedDoc(std::string d) && {
  allowed_doc = std::move(d);
  return std::move(*this);
}
ParamSpec&& ParamSpec::DefaultDoc(std::string d) && {
  default_doc = std::move(d);
  return std::move(*this);
}
ParamSpec&& ParamSpec::Optional(std::string d) && {
  optional = true;
  default_doc = std::move(d);
  return std::move(*this);
}
ParamSpec&& ParamSpec::AllowAuto() && {
  auto_allowed = true;
  return std::move(*this);
}
ParamSpec&& ParamSpec::AllowLimit() && {
  limit_allowed = true;
  return std::move(*this);
}

namespace {

// A bound that an int64 holds exactly, so that an integer is compared with it as an integer and it is
// written in digits (as a double, 9000000000000000001 rounds to 9e18).
bool IsInt64Bound(double b) {
  constexpr double kTop = 9.2e18;  // below 2^63
  return std::isfinite(b) && std::floor(b) == b && std::abs(b) < kTop;
}

}  // namespace

std::string ParamSpec::AllowedText() const {
  std::string text = AllowedTextWithoutAuto();
  if (auto_allowed) text += " or auto";
  if (limit_allowed) text += " or X*limit (X > 0 times the stability limit)";
  return text;
}

std::string ParamSpec::AllowedTextWithoutAuto() const {
  if (!allowed_doc.empty()) return allowed_doc;
  std::string what;
  switch (type) {
    case ParamType::kInt: what = "integer"; break;
    case ParamType::kDouble: what = "number"; break;
    case ParamType::kBool: return "true or false";
    case ParamType::kString: return check_doc.empty() ? "a string" : check_doc;
    case ParamType::kDoubleList: what = "list of numbers"; break;
  }
  if (!check_doc.empty()) what = check_doc + " " + what;
  const bool has_lo = std::isfinite(min), has_hi = std::isfinite(max);
  // An integer's bounds in its own digits: 9000000000000000000, not 9e+18.
  const auto bound = [this](double b) {
    return type == ParamType::kInt && IsInt64Bound(b) ? fmt::format("{}", static_cast<std::int64_t>(b))
                                                      : fmt::format("{}", b);
  };
  if (has_lo && has_hi) {
    return fmt::format("{} in {}{}, {}{}", what, min_open ? "(" : "[", bound(min), bound(max),
                       max_open ? ")" : "]");
  }
  if (has_lo) return fmt::format("{} {} {}", what, min_open ? ">" : ">=", bound(min));
  if (has_hi) return fmt::format("{} {} {}", what, max_open ? "<" : "<=", bound(max));
  return type == ParamType::kDouble ? "finite number" : what;
}

std::string ParamSpec::DefaultText() const {
  if (default_value) {
    const std::string text = FormatParamValue(*default_value);
    return text.empty() ? "\"\"" : text;
  }
  return default_doc.empty() ? "required" : default_doc;
}

// ---- ParamMap ------------------------------------------------------------------------------

void ParamMap::Set(const std::string& name, ParamValue value) {
  for (auto& [k, v] : items_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  items_.emplace_back(name, std::move(value));
}

bool ParamMap::Has(std::string_view name) const {
  return std::any_of(items_.begin(), items_.end(), [&](const auto& kv) { return kv.first == name; });
}

bool ParamMap::IsAuto(std::string_view name) const {
  return Has(name) && std::holds_alternative<AutoValue>(Get(name));
}

std::optional<double> ParamMap::LimitMultipleOf(std::string_view name) const {
  if (!Has(name)) return std::nullopt;
  const auto* v = std::get_if<LimitMultiple>(&Get(name));
  return v ? std::optional<double>(v->multiple) : std::nullopt;
}

const ParamValue& ParamMap::Get(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return v;
  throw InternalError(fmt::format("internal error: parameter '{}' was not resolved", name));
}

namespace {
template <class T>
const T& GetAs(const ParamMap& m, std::string_view name) {
  const T* v = std::get_if<T>(&m.Get(name));
  if (v == nullptr)
    throw InternalError(fmt::format("internal error: parameter '{}' has another type", name));
  return *v;
}
}  // namespace

std::int64_t ParamMap::Int(std::string_view name) const { return GetAs<std::int64_t>(*this, name); }
double ParamMap::Double(std::string_view name) const { return GetAs<double>(*this, name); }
bool ParamMap::Bool(std::string_view name) const { return GetAs<bool>(*this, name); }
const std::string& ParamMap::String(std::string_view name) const {
  return GetAs<std::string>(*this, name);
}
const std::vector<double>& ParamMap::DoubleList(std::string_view name) const {
  return GetAs<std::vector<double>>(*this, name);
}

// ---- formatting and parsing ----------------------------------------------------------------

std::string FormatParamValue(const ParamValue& value) {
  struct Visitor {
    // Compiled formats: every run's spec is formatted, and parsing "{}" each time cost more.
    std::string operator()(std::int64_t v) const { return fmt::format(FMT_COMPILE("{}"), v); }
    std::string operator()(double v) const { return fmt::format(FMT_COMPILE("{}"), v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<double>& v) const {
      return fmt::format("[{}]", fmt::join(v, ","));
    }
    std::string operator()(const AutoValue&) const { return "auto"; }
    std::string operator()(const LimitMultiple& v) const { return fmt::format("{}*limit", v.multiple); }
  };
  return std::visit(Visitor{}, value);
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes one leading '+' (from_chars takes only '-'); false when a sign follows it: "+-5", "++5".
bool StripPlus(std::string_view& s) {
  if (s.empty() || s.front() != '+') return true;
  s.remove_prefix(1);
  return s.empty() || (s.front() != '+' && s.front() != '-');
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  if (!StripPlus(s)) return std::nullopt;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return v;
  // Also accept integers written in decimal notation, like 1e3, 2.5e6 or 8e18, read exactly from
  // their digits (as a double, 1.0000000000000001e16 would round to an integer it does not name).
  bool negative = false;
  std::string_view rest = s;
  if (!rest.empty() && rest.front() == '-') {
    negative = true;
    rest.remove_prefix(1);
  }
  std::string digits;
  std::int64_t exponent = 0;  // the value is digits * 10^exponent
  size_t i = 0;
  bool point = false, any = false;
  for (; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c >= '0' && c <= '9') {
      digits += c;
      any = true;
      if (point) --exponent;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i < rest.size()) {
    if (rest[i] != 'e' && rest[i] != 'E') return std::nullopt;
    std::string_view e = rest.substr(i + 1);
    if (!StripPlus(e)) return std::nullopt;  // "1e+-3"
    int written = 0;
    const auto [end, code] = std::from_chars(e.data(), e.data() + e.size(), written);
    if (code != std::errc() || end != e.data() + e.size() || e.empty() || written < -400 || written > 400)
      return std::nullopt;
    exponent += written;
  }
  const size_t lead = digits.find_first_not_of('0');
  if (lead == std::string::npos) return 0;
  digits.erase(0, lead);
  for (; exponent < 0; ++exponent) {  // a fraction: only trailing zeros may go
    if (digits.back() != '0') return std::nullopt;
    digits.pop_back();
  }
  if (exponent > 19) return std::nullopt;
  digits.append(static_cast<size_t>(exponent), '0');
  if (negative) digits.insert(digits.begin(), '-');
  const auto [ptr2, ec2] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec2 != std::errc() || ptr2 != digits.data() + digits.size()) return std::nullopt;
  return v;
}

bool InRange(const ParamSpec& spec, double x) {
  if (spec.min_open ? !(x > spec.min) : !(x >= spec.min)) return false;
  if (spec.max_open ? !(x < spec.max) : !(x <= spec.max)) return false;
  return true;
}

// InRange for an integer, compared as an integer where a bound is one a 64-bit integer holds (as a
// double, 9000000000000000001 rounds to the bound 9e18 and passed).
bool IntInRange(const ParamSpec& spec, std::int64_t v) {
  const auto x = static_cast<double>(v);
  // Each bound on its own: as integers where it is one, else as doubles.
  const bool above_min = IsInt64Bound(spec.min)
                             ? (spec.min_open ? v > static_cast<std::int64_t>(spec.min) : v >= static_cast<std::int64_t>(spec.min))
                             : (spec.min_open ? x > spec.min : x >= spec.min);
  const bool below_max = IsInt64Bound(spec.max)
                             ? (spec.max_open ? v < static_cast<std::int64_t>(spec.max) : v <= static_cast<std::int64_t>(spec.max))
                             : (spec.max_open ? x < spec.max : x <= spec.max);
  return above_min && below_max;
}

[[noreturn]] void Reject(const ParamSpec& spec, const std::string& shown, const std::string& key,
                         const std::string& why) {
  throw InputError(key, fmt::format("{} {}, expected {}", shown, why, spec.AllowedText()));
}

// CheckParamValue, its messages echoing `as_written` (the value as the user wrote it: '2e7', not
// the parsed 20000000) when given.
void CheckValue(const ParamSpec& spec, const ParamValue& value, const std::string& key, const std::string* as_written) {
  // (Formatted only for a message: RunSolver checks every run's options through here.)
  const auto shown = [&value, as_written] {
    return as_written != nullptr ? *as_written : fmt::format("'{}'", FormatParamValue(value));
  };
  if (std::holds_alternative<AutoValue>(value)) {
    if (!spec.auto_allowed) Reject(spec, shown(), key, "is not available here");
    return;
  }
  if (const auto* m = std::get_if<LimitMultiple>(&value)) {
    if (!spec.limit_allowed) Reject(spec, shown(), key, "is not available here");
    if (!std::isfinite(m->multiple) || !(m->multiple > 0.0))
      Reject(spec, shown(), key, "is not a positive multiple of the limit");
    return;
  }
  switch (spec.type) {
    case ParamType::kInt: {
      const auto* v = std::get_if<std::int64_t>(&value);
      if (!v) Reject(spec, shown(), key, "is not an integer");
      if (!IntInRange(spec, *v)) Reject(spec, shown(), key, "is out of range");
      break;
    }
    case ParamType::kDouble: {
      const auto* v = std::get_if<double>(&value);
      if (!v) Reject(spec, shown(), key, "is not a number");
      if (!std::isfinite(*v)) Reject(spec, shown(), key, "is not finite");
      if (!InRange(spec, *v)) Reject(spec, shown(), key, "is out of range");
      break;
    }
    case ParamType::kBool:
      if (!std::holds_alternative<bool>(value)) Reject(spec, shown(), key, "is not a boolean");
      break;
    case ParamType::kString:
      if (!std::holds_alternative<std::string>(value)) Reject(spec, shown(), key, "is not a string");
      break;
    case ParamType::kDoubleList: {
      const auto* v = std::get_if<std::vector<double>>(&value);
      if (!v) Reject(spec, shown(), key, "is not a list of numbers");
      for (double x : *v) {
        if (!std::isfinite(x)) Reject(spec, shown(), key, "has a non-finite element");
        if (!InRange(spec, x)) Reject(spec, shown(), key, fmt::format("has element {} out of range", x));
      }
      break;
    }
  }
  if (spec.check) {
    const std::string problem = spec.check(value);
    if (!problem.empty()) throw InputError(key, fmt::format("{} {}", shown(), problem));
  }
}

}  // namespace

std::optional<double> ParseDouble(std::string_view s) {
  s = Trim(s);
  if (!StripPlus(s)) return std::nullopt;
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::string NotANumberWhy(std::string_view s) {
  s = Trim(s);
  if (!StripPlus(s)) return "is not a finite number";
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ptr == s.data() + s.size() && !s.empty()) {
    if (ec == std::errc::result_out_of_range) return OutOfRangeText(s);
  }
  return "is not a finite number";
}

void CheckParamValue(const ParamSpec& spec, const ParamValue& value, const std::string& key) {
  CheckValue(spec, value, key, nullptr);
}

ParamValue ParseParamValue(const ParamSpec& spec, std::string_view raw, const std::string& key) {
  const std::string shown = "'" + std::string(raw) + "'";
  // "auto" is a value of its own for numbers; for a string parameter (a name, a label) it is text.
  if (Trim(raw) == "auto" && spec.type != ParamType::kString) {
    if (spec.auto_allowed) return AutoValue{};
    Reject(spec, shown, key, "is not available for this parameter");
  }
  // "X*limit": a multiple of the stability limit, for a step.
  if (const std::string_view t = Trim(raw); spec.type == ParamType::kDouble && t.ends_with("limit")) {
    const std::string_view head = Trim(t.substr(0, t.size() - 5));
    if (!spec.limit_allowed) Reject(spec, shown, key, "is not available for this parameter");
    if (head.empty() || head.back() != '*') Reject(spec, shown, key, "is not of the form X*limit");
    const auto x = ParseDouble(head.substr(0, head.size() - 1));
    if (!x) Reject(spec, shown, key, "has a multiple that is not a finite number");
    const ParamValue value = LimitMultiple{*x};
    CheckValue(spec, value, key, &shown);
    return value;
  }
  ParamValue value;
  switch (spec.type) {
    case ParamType::kInt: {
      const auto v = ParseInt(raw);
      if (!v) {  // an integer beyond 64 bits is out of range, not "not an integer"
        const std::optional<double> d = ParseDouble(raw);
        Reject(spec, shown, key, d && std::isfinite(*d) && std::floor(*d) == *d && std::abs(*d) >= 9.2e18
                                     ? "is out of range (beyond 64 bits: at most 9223372036854775807)"
                                     : "is not an integer");
      }
      value = *v;
      break;
    }
    case ParamType::kDouble: {
      const auto v = ParseDouble(raw);
      if (!v) Reject(spec, shown, key, NotANumberWhy(raw));
      value = *v;
      break;
    }
    case ParamType::kBool: {
      const std::string_view t = Trim(raw);
      if (t == "true") value = true;
      else if (t == "false") value = false;
      else Reject(spec, shown, key, "is not a boolean");
      break;
    }
    case ParamType::kString:
      value = std::string(raw);
      break;
    case ParamType::kDoubleList: {
      std::string_view t = Trim(raw);
      if (t.size() < 2 || t.front() != '[' || t.back() != ']')
        Reject(spec, shown, key, "is not a list like [1,2,3]");
      t = Trim(t.substr(1, t.size() - 2));
      std::vector<double> list;
      while (!t.empty()) {
        const size_t comma = t.find(',');
        const std::string_view item = t.substr(0, comma);
        const auto v = ParseDouble(item);
        if (!v) Reject(spec, shown, key, fmt::format("has element '{}' that {}", Trim(item), NotANumberWhy(item)));
        list.push_back(*v);
        if (comma == std::string_view::npos) break;
        t = t.substr(comma + 1);
      }
      value = std::move(list);
      break;
    }
  }
  CheckValue(spec, value, key, &shown);
  return value;
}

ParamMap ResolveParams(const std::vector<ParamSpec>& specs,
                       const std::vector<std::pair<std::string, ParamValue>>& given,
                       const std::map<std::string, ParamValue>& context,
                       const std::string& key_prefix) {
  auto key_of = [&](const std::string& name) {
    return key_prefix.empty() ? name : key_prefix + "." + name;
  };
  std::vector<std::string> names;
  for (const ParamSpec& s : specs) names.push_back(s.name);
  for (size_t i = 0; i < given.size(); ++i) {
    const std::string& name = given[i].first;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string problem = "unknown parameter '" + name + "'";
      problem += DidYouMeanSuffix(name, names);
      problem += names.empty() ? ", this entry takes no parameters"
                               : ", valid: " + JoinNames(names);
      throw InputError(key_of(name), problem);
    }
    for (size_t j = 0; j < i; ++j)
      if (given[j].first == name) throw InputError(key_of(name), "is given twice, give it once");
  }
  ParamMap out;
  for (const ParamSpec& s : specs) {
    auto it = std::find_if(given.begin(), given.end(), [&](const auto& kv) { return kv.first == s.name; });
    if (it != given.end()) {
      CheckParamValue(s, it->second, key_of(s.name));
      out.Set(s.name, it->second);
    } else if (s.default_value) {
      out.Set(s.name, *s.default_value);
    } else if (auto c = context.find(s.name); c != context.end()) {
      CheckParamValue(s, c->second, key_of(s.name));
      out.Set(s.name, c->second);
    } else if (s.optional) {
      // Left out: the owner computes it (and reports the value it used).
    } else {
      throw InputError(key_of(s.name), "is required, expected " + s.AllowedText());
    }
  }
  return out;
}

// ---- names ---------------------------------------------------------------------------------

namespace {
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string DidYouMeanSuffix(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string guess = DidYouMean(word, candidates);
  return guess.empty() ? "" : " (did you mean '" + guess + "'?)";
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Close, and not a replacement of every letter (a one-letter key is no misspelling of another).
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_d <= limit && best_d < std::max(word.size(), best.size()) ? best : "";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::string OutOfRangeText(std::string_view number) {
  const bool huge = std::isinf(std::strtod(std::string(number).c_str(), nullptr));
  return huge ? "overflows (too large for a double)" : "underflows (too small for a double)";
}

}  // namespace nlhf
