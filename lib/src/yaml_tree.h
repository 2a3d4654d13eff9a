#pragma once
// Internal to the library (config.cc, sweep.cc): the YAML layer under the experiment and sweep
// parsers. yaml-cpp silently keeps the first of two equal keys and ignores extra documents; here
// both are errors. Trees are never modified in place: With() returns a new root that shares every
// untouched node with the old one, so a sweep builds each point from the one parsed base tree in
// time proportional to the point's key paths, not to the file.
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "nlhf/errors.h"

namespace nlhf::yaml {

// Where each node came from: its mark in `file`, or a location registered for it (every node of a
// `--set` value is located at "--set KEY=VALUE"; maps copied by With() at their original).
class Origins {
 public:
  explicit Origins(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }
  void Add(const YAML::Node& n, const SourceLocation& where) { placed_.emplace_back(n, where); }
  void AddTree(const YAML::Node& n, const SourceLocation& where);  // n and everything under it
  void AddCopy(const YAML::Node& copy, const YAML::Node& original) { copies_.emplace_back(copy, original); }
  // Locates each empty value under `root` (`beta:` with nothing after it) at its key: yaml-cpp marks
  // an empty value where the next token starts, the next line or past the end of the file.
  void PlaceEmptyValuesAtKeys(const YAML::Node& root);
  // Marks at 0-based line >= first are reported `shift` lines further down (CutTopLevelKeys);
  // pairs in increasing order, each shift cumulative.
  void SetLineShifts(std::vector<std::pair<int, int>> shifts) { line_shifts_ = std::move(shifts); }
  SourceLocation Where(const YAML::Node& n) const;

 private:
  std::string file_;
  std::vector<std::pair<YAML::Node, SourceLocation>> placed_;
  std::vector<std::pair<YAML::Node, YAML::Node>> copies_;
  std::vector<std::pair<int, int>> line_shifts_;
};

// Parses one YAML document. Throws InputError for a syntax error (naming tabs in the indentation
// when there are any), a second document and trees nested or aliased beyond sane limits, and
// InputErrors for the keys given twice in one map (every one, each naming the first one's line). `where` locates the errors: with
// `use_marks` the line and column of the problem in `where.file` are added (a file), without them
// every error is at `where` (a --set value). Key paths in messages start with `key_prefix` (the
// --set key). An empty text gives a Null node.
YAML::Node LoadDocument(const std::string& text, const SourceLocation& where, bool use_marks,
                        const std::string& key_prefix = "");

// A new root equal to `root` with `value` at `path` ("a.b[2].c"; indexes are plain decimal);
// missing or empty maps on the way are created. Path errors are thrown at `where`, which also
// locates the nodes created on the way.
YAML::Node With(const YAML::Node& root, const std::string& path, const YAML::Node& value,
                const SourceLocation& where, Origins& origins);

// `text` without the top-level entries `keys` of its parsed `document`: the rest parses to the same
// nodes at the same columns; lines move up, by the shifts returned in `line_shifts` (for
// Origins::SetLineShifts). The text shrinks, so parsing it costs what the rest costs.
std::string CutTopLevelKeys(const std::string& text, const YAML::Node& document, const std::vector<std::string>& keys,
                            std::vector<std::pair<int, int>>& line_shifts);

// Applies `--set KEY=VALUE` overrides to `root` (a Null root becomes a map), in order.
YAML::Node ApplySets(YAML::Node root, const std::vector<std::string>& sets, Origins& origins);

// The node in flow style, one line (for runs.csv columns and messages).
std::string FlowText(const YAML::Node& n);

}  // namespace nlhf::yaml
