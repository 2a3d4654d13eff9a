#pragma once
// Parameter tables. Every registered generator, reference policy and solver declares its
// parameters once, as a table of ParamSpec; the same table drives spec-string parsing, YAML
// parsing, range checks, `--list` and the canonical spec string written into outputs.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace nlhf {

enum class ParamType { kInt, kDouble, kBool, kString, kDoubleList };
std::string_view ParamTypeName(ParamType type);  // "int", "double", "bool", "string", "list of double"

// The word `auto` for a numeric parameter that allows it (a step size chosen from the game).
struct AutoValue {
  bool operator==(const AutoValue&) const = default;
};

// A step written as a multiple of the game's stability limit, `0.9*limit`; the solver resolves it
// to a number when it knows the game (Reset).
struct LimitMultiple {
  double multiple = 1.0;
  bool operator==(const LimitMultiple&) const = default;
};

using ParamValue =
    std::variant<std::int64_t, double, bool, std::string, std::vector<double>, AutoValue, LimitMultiple>;

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kDouble;
  // The default; nullopt means the value comes from the context (for `seed`: the run seed) or,
  // when the context has none either, that the parameter is required.
  std::optional<ParamValue> default_value;
  std::string default_doc;  // shown by --list when default_value is nullopt ("run seed", "required")
  std::string doc;          // one line
  // Numeric range for int, double and list elements; bounds are inclusive unless *_open.
  double min = -1.0 / 0.0;
  double max = 1.0 / 0.0;
  bool min_open = false;
  bool max_open = false;
  // Extra constraint: returns "" when the value is fine, else what is allowed ("an odd integer").
  std::function<std::string(const ParamValue&)> check;
  std::string check_doc;  // appended to the allowed-range text, e.g. "odd"
  // What is allowed, in place of the range text where the range alone would mislead (beta: the
  // range is [0, inf), but what is allowed is 0 or a number in [1e-8, 1e6]).
  std::string allowed_doc;
  // Absent is allowed: the owner computes the value (a step size whose default depends on beta).
  bool optional = false;
  // The word `auto` is accepted (AutoValue).
  bool auto_allowed = false;
  // `X*limit` is accepted (LimitMultiple, X > 0 finite).
  bool limit_allowed = false;

  // Builders, so the registry tables read as one line per parameter.
  static ParamSpec Int(std::string name, std::optional<std::int64_t> def, std::string doc);
  static ParamSpec Double(std::string name, std::optional<double> def, std::string doc);
  static ParamSpec Bool(std::string name, bool def, std::string doc);
  static ParamSpec String(std::string name, std::optional<std::string> def, std::string doc);
  static ParamSpec DoubleList(std::string name, std::string doc);  // default: empty list
  ParamSpec&& Range(double lo, double hi) &&;
  ParamSpec&& Above(double lo) &&;       // (lo, +inf)
  ParamSpec&& AtLeast(double lo) &&;     // [lo, +inf)
  ParamSpec&& OpenRange(double lo, double hi) &&;  // (lo, hi)
  ParamSpec&& HalfOpen(double lo, double hi) &&;   // [lo, hi)
  ParamSpec&& Check(std::function<std::string(const ParamValue&)> fn, std::string doc) &&;
  ParamSpec&& AllowedDoc(std::string doc) &&;
  ParamSpec&& DefaultDoc(std::string doc) &&;
  ParamSpec&& Optional(std::string default_doc) &&;  // absent allowed; --list shows default_doc
  ParamSpec&& AllowAuto() &&;
  ParamSpec&& AllowLimit() &&;  // X*limit

  // "integer in [2, 100000]", "double in (0, 1]", "odd integer >= 3", "any string", ...
  // ... followed by " or auto" and " or X*limit (X times the stability limit)" where accepted.
  std::string AllowedText() const;
  std::string AllowedTextWithoutAuto() const;  // the number range only
  // The default as --list shows it.
  std::string DefaultText() const;
};

// Resolved parameter values, in table order.
class ParamMap {
 public:
  void Set(const std::string& name, ParamValue value);
  bool Has(std::string_view name) const;
  bool IsAuto(std::string_view name) const;  // present and `auto`
  // The multiple X when present and `X*limit`, else nullopt.
  std::optional<double> LimitMultipleOf(std::string_view name) const;
  const ParamValue& Get(std::string_view name) const;  // InternalError when absent
  std::int64_t Int(std::string_view name) const;
  double Double(std::string_view name) const;
  bool Bool(std::string_view name) const;
  const std::string& String(std::string_view name) const;
  const std::vector<double>& DoubleList(std::string_view name) const;
  const std::vector<std::pair<std::string, ParamValue>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, ParamValue>> items_;
};

// Formats a value so that it reads back exactly (doubles in shortest round-trip form).
std::string FormatParamValue(const ParamValue& value);

// Parses `raw` as a value of spec.type and checks its range; throws InputError(key, problem).
// `key` is the key path used in the message (for example "game.n").
ParamValue ParseParamValue(const ParamSpec& spec, std::string_view raw, const std::string& key);
// For number text that std::from_chars found out of range: "overflows (too large for a double)" or
// "underflows (too small for a double)" (shared by YAML values and CSV cells).
std::string OutOfRangeText(std::string_view number);
// A finite double as a YAML value is read (blanks around it and one leading '+' allowed; an
// overflow or underflow is not a number), or nullopt; NotANumberWhy says why not ("underflows (too
// small for a double)", "is not a finite number").
std::optional<double> ParseDouble(std::string_view text);
std::string NotANumberWhy(std::string_view text);

// Checks a typed value against spec's type and range; throws InputError(key, problem).
void CheckParamValue(const ParamSpec& spec, const ParamValue& value, const std::string& key);

// Builds the full parameter map: given values (already typed), then defaults, then `context`
// (values such as the run seed for parameters without a default). Throws InputError for unknown
// names (with a "did you mean"), values out of range and missing required parameters.
// `key_prefix` names the owner in messages, e.g. "game" gives "game.n".
ParamMap ResolveParams(const std::vector<ParamSpec>& specs,
                       const std::vector<std::pair<std::string, ParamValue>>& given,
                       const std::map<std::string, ParamValue>& context,
                       const std::string& key_prefix);

// The closest candidate by edit distance, or "" if none is close enough to be a likely typo.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);
// DidYouMean as a message's suffix: " (did you mean 'x'?)", or "" without a close candidate.
std::string DidYouMeanSuffix(std::string_view word, const std::vector<std::string>& candidates);

// "a, b or c"
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace nlhf
