#include "yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace nlhf::yaml {

namespace {

// Limits of the duplicate-key walk: nesting (a cyclic alias would otherwise recurse forever) and
// visited nodes (aliases can make a small file expand exponentially: "billion laughs").
constexpr int kMaxDepth = 200;
constexpr size_t kMaxNodes = 2000000;

SourceLocation At(const SourceLocation& where, bool use_marks, const YAML::Mark& m) {
  if (!use_marks || m.is_null()) return where;
  return SourceLocation{where.file, m.line + 1, m.column + 1};
}

// Collects every key given twice into `duplicates` (all reported together), each once: a map that
// aliases reuse is walked at every use, but its duplicate is one place in the text (`reported`
// holds the places, by offset); the limits throw.
void CheckTree(const YAML::Node& n, const SourceLocation& where, bool use_marks, int depth, size_t& visited,
               const std::string& path, std::vector<InputError>& duplicates, std::set<int>& reported) {
  if (++visited > kMaxNodes)
    throw InputError(where, "", fmt::format("expands to more than {} YAML nodes (through aliases?), expected "
                                            "a plain experiment", kMaxNodes));
  if (depth > kMaxDepth)
    throw InputError(At(where, use_marks, n.Mark()), path,
                     fmt::format("nests deeper than {} levels (a recursive alias?), expected a plain experiment",
                                 kMaxDepth));
  if (n.IsMap()) {
    std::map<std::string, YAML::Mark> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : FlowText(kv.first);
      const std::string child = path.empty() ? key : path + "." + key;
      auto [it, fresh] = seen.emplace(key, kv.first.Mark());
      if (!fresh && reported.insert(kv.first.Mark().pos).second) {
        const std::string first =
            use_marks && !it->second.is_null() ? fmt::format(" (first on line {})", it->second.line + 1) : "";
        duplicates.emplace_back(At(where, use_marks, kv.first.Mark()), child,
                                fmt::format("is given twice{}, expected each key once", first));
      }
      CheckTree(kv.second, where, use_marks, depth + 1, visited, child, duplicates, reported);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i)
      CheckTree(n[i], where, use_marks, depth + 1, visited, fmt::format("{}[{}]", path, i), duplicates, reported);
  }
}

// The first line whose indentation holds a tab: (line, column), 1-based; (0, 0) if none.
std::pair<int, int> TabInIndentation(const std::string& text) {
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    for (size_t i = start; i < end && (text[i] == ' ' || text[i] == '\t'); ++i)
      if (text[i] == '\t') return {line, static_cast<int>(i - start) + 1};
    start = end + 1;
    ++line;
  }
  return {0, 0};
}

// Parses a path segment's index: plain decimal digits only.
bool ParseIndex(const std::string& s, size_t& out) {
  if (s.empty() || s.size() > 9) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

struct Segment {
  bool is_index = false;
  std::string key;
  size_t index = 0;
};

std::vector<Segment> ParsePath(const std::string& path, const SourceLocation& where) {
  std::vector<Segment> segs;
  size_t pos = 0;
  while (pos < path.size()) {
    // Inside `sweep` or a `zip` group the keys are themselves key paths: `sweep.game.n` is the
    // key `game.n` of the map `sweep`.
    const bool in_sweep = (segs.size() == 1 && segs[0].key == "sweep") ||
                          (segs.size() == 2 && segs[0].key == "zip" && segs[1].is_index);
    if (in_sweep) {
      Segment rest;
      rest.key = path.substr(pos);
      segs.push_back(rest);
      break;
    }
    const size_t end = path.find_first_of(".[]", pos);
    Segment seg;
    seg.key = path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (seg.key.empty())
      throw InputError(where, path, "has an empty key, expected KEY.KEY[INDEX]=VALUE");
    if (seg.key.find_first_of(" \t") != std::string::npos)
      throw InputError(where, path, fmt::format("key '{}' holds a space, expected KEY.KEY[INDEX]=VALUE", seg.key));
    segs.push_back(seg);
    pos = end == std::string::npos ? path.size() : end;
    while (pos < path.size() && path[pos] == '[') {
      const size_t close = path.find(']', pos);
      if (close == std::string::npos)
        throw InputError(where, path, "has an unclosed '[', expected KEY[INDEX]");
      Segment idx;
      idx.is_index = true;
      const std::string text = path.substr(pos + 1, close - pos - 1);
      if (!ParseIndex(text, idx.index))
        throw InputError(where, path,
                         fmt::format("'{}' is not an index, expected a plain decimal index: KEY[0], KEY[1], ...", text));
      segs.push_back(idx);
      pos = close + 1;
    }
    if (pos < path.size()) {
      if (path[pos] != '.' || pos + 1 == path.size())
        throw InputError(where, path, fmt::format("has '{}' at position {}, expected KEY.KEY[INDEX]=VALUE",
                                                  path.substr(pos, 1), pos + 1));
      ++pos;
    }
  }
  if (segs.empty()) throw InputError(where, path, "has an empty key, expected KEY.KEY[INDEX]=VALUE");
  return segs;
}

std::string PathOf(const std::vector<Segment>& segs, size_t upto) {
  std::string out;
  for (size_t i = 0; i < upto; ++i)
    out += segs[i].is_index ? fmt::format("[{}]", segs[i].index) : (out.empty() ? "" : ".") + segs[i].key;
  return out;
}

YAML::Node WithAt(const YAML::Node& n, const std::vector<Segment>& segs, size_t i, const YAML::Node& value,
                  const std::string& path, const SourceLocation& where, Origins& origins) {
  if (i == segs.size()) return value;
  const Segment& seg = segs[i];
  if (seg.is_index) {
    if (!n.IsSequence() || seg.index >= n.size())
      throw InputError(where, path,
                       n.IsSequence() ? fmt::format("index {} is out of range, {} has {} entries", seg.index,
                                                    PathOf(segs, i), n.size())
                                      : fmt::format("{} is not a list, so it has no index {}", PathOf(segs, i),
                                                    seg.index));
    YAML::Node copy(YAML::NodeType::Sequence);
    for (size_t k = 0; k < n.size(); ++k)
      copy.push_back(k == seg.index ? WithAt(n[k], segs, i + 1, value, path, where, origins) : n[k]);
    origins.AddCopy(copy, n);
    return copy;
  }
  if (n.IsDefined() && !n.IsNull() && !n.IsMap())
    throw InputError(where, path,
                     fmt::format("'{}' is inside {}, which is not a map", seg.key, i == 0 ? "the top level" : PathOf(segs, i)));
  YAML::Node copy(YAML::NodeType::Map);
  bool found = false;
  if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!found && kv.first.IsScalar() && kv.first.Scalar() == seg.key) {
        copy.force_insert(kv.first, WithAt(kv.second, segs, i + 1, value, path, where, origins));
        found = true;
      } else {
        copy.force_insert(kv.first, kv.second);
      }
    }
    origins.AddCopy(copy, n);
  } else {
    origins.Add(copy, where);
  }
  if (!found) {
    const YAML::Node key(seg.key);
    origins.Add(key, where);
    copy.force_insert(key, WithAt(YAML::Node(), segs, i + 1, value, path, where, origins));
  }
  return copy;
}

}  // namespace

void Origins::AddTree(const YAML::Node& n, const SourceLocation& where) {
  Add(n, where);
  if (n.IsMap()) {
    for (const auto& kv : n) {
      AddTree(kv.first, where);
      AddTree(kv.second, where);
    }
  } else if (n.IsSequence()) {
    for (const auto& child : n) AddTree(child, where);
  }
}

void Origins::PlaceEmptyValuesAtKeys(const YAML::Node& root) {
  if (root.IsMap()) {
    for (const auto& kv : root) {
      if (kv.second.IsNull() && !kv.second.Mark().is_null() && !kv.first.Mark().is_null())
        placed_.emplace_back(kv.second, Where(kv.first));
      else
        PlaceEmptyValuesAtKeys(kv.second);
    }
  } else if (root.IsSequence()) {
    for (const auto& child : root) PlaceEmptyValuesAtKeys(child);
  }
}

SourceLocation Origins::Where(const YAML::Node& n) const {
  for (const auto& [copy, original] : copies_)
    if (copy.is(n)) return Where(original);
  for (const auto& [node, where] : placed_)
    if (node.is(n)) return where;
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return SourceLocation{file_};
  int line = m.line;
  for (const auto& [from, shift] : line_shifts_)
    if (m.line >= from) line = m.line + shift;
  return SourceLocation{file_, line + 1, m.column + 1};
}

// Notes where the second document starts (the events are otherwise ignored).
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark start = YAML::Mark::null_mark();
};

namespace {

// What a document that does not parse should have been: a file's, a map of keys; a value's (a --set
// value, a swept value: `key` names it), one YAML value.
std::string Expected(const std::string& key) {
  return key.empty() ? "expected a YAML map of experiment keys"
                     : "expected one YAML value (a number, a word, [a, list] or {a: map}; quote text that YAML "
                       "would read otherwise, as in '\"a: b\"')";
}

}  // namespace

YAML::Node LoadDocument(const std::string& text, const SourceLocation& where, bool use_marks,
                        const std::string& key_prefix) {
  // yaml-cpp reads a NUL as the end of the stream and reports whatever follows as a syntax error
  // elsewhere; YAML text cannot hold one (nor can a file of text).
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    // UTF-16 and UTF-32 text (a byte-order mark, FE or FF, never in UTF-8; or a NUL in the first
    // two bytes, as in "g\0a\0") is told as such: yaml-cpp would decode it, but keys are located by
    // UTF-8 byte offsets.
    const bool wide = nul < 2 || static_cast<unsigned char>(text[0]) >= 0xFE;
    if (wide)
      throw InputError(where, "", "the file is UTF-16 or UTF-32 text, expected UTF-8 (save it as UTF-8)");
    const size_t newline = text.rfind('\n', nul);
    const size_t line_start = newline == std::string::npos ? 0 : newline + 1;
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(nul), '\n');
    const SourceLocation at{where.file, static_cast<int>(line), static_cast<int>(nul - line_start) + 1};
    throw InputError(use_marks ? at : where, "",
                     "a NUL byte (\\x00): YAML text cannot hold one, expected printable text (not a binary file)");
  }
  YAML::Node doc;
  std::optional<YAML::Mark> second;
  try {
    // Not YAML::LoadAll: yaml-cpp 0.7 loops allocating forever on trailing text such as "[1],".
    doc = YAML::Load(text);
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    parser.HandleNextDocument(starts);
    if (parser.HandleNextDocument(starts)) second = starts.start;
  } catch (const YAML::ParserException& e) {
    const auto [tab_line, tab_col] = TabInIndentation(text);
    if (tab_line > 0 && (!use_marks || tab_line <= e.mark.line + 1))
      throw InputError(use_marks ? SourceLocation{where.file, tab_line, tab_col} : where, "",
                       "a tab in the indentation: tabs are not allowed in YAML indentation, expected spaces");
    throw InputError(At(where, use_marks, e.mark), key_prefix, "YAML syntax error: " + e.msg + ", " + Expected(key_prefix));
  } catch (const YAML::Exception& e) {
    throw InputError(At(where, use_marks, e.mark), key_prefix, "YAML error: " + e.msg + ", " + Expected(key_prefix));
  }
  if (second) {
    const size_t pos = second->is_null() ? 0 : static_cast<size_t>(second->pos);
    const bool marker = text.compare(std::min(pos, text.size()), 3, "---") == 0;
    throw InputError(At(where, use_marks, *second), "",
                     marker ? "a second YAML document starts here (after '---'), expected one document per file"
                            : "unexpected text after the end of the YAML document, expected one document");
  }
  size_t visited = 0;
  std::vector<InputError> duplicates;
  std::set<int> reported;
  CheckTree(doc, where, use_marks, 0, visited, key_prefix, duplicates, reported);
  if (!duplicates.empty()) throw InputErrors(std::move(duplicates));
  return doc;
}

YAML::Node With(const YAML::Node& root, const std::string& path, const YAML::Node& value,
                const SourceLocation& where, Origins& origins) {
  const std::vector<Segment> segs = ParsePath(path, where);
  return WithAt(root, segs, 0, value, path, where, origins);
}

std::string CutTopLevelKeys(const std::string& text, const YAML::Node& document, const std::vector<std::string>& keys,
                            std::vector<std::pair<int, int>>& line_shifts) {
  line_shifts.clear();
  if (!document.IsMap()) return text;
  struct Entry {
    YAML::Mark mark;
    bool cut;
  };
  std::vector<Entry> entries;
  for (const auto& kv : document) {
    const bool cut = kv.first.IsScalar() && std::find(keys.begin(), keys.end(), kv.first.Scalar()) != keys.end();
    entries.push_back({kv.first.Mark(), cut});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.mark.pos < b.mark.pos; });
  std::string out;
  size_t copied = 0;  // text[0, copied) is handled
  int removed_lines = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].cut) continue;
    const YAML::Mark& a = entries[i].mark;
    out.append(text, copied, static_cast<size_t>(a.pos) - copied);
    if (i + 1 == entries.size()) {
      // The last entry: drop it, except the closing brace of a flow map.
      copied = document.Style() == YAML::EmitterStyle::Flow ? text.rfind('}') : text.size();
      break;
    }
    const YAML::Mark& b = entries[i + 1].mark;
    if (b.line == a.line) {
      out.append(static_cast<size_t>(b.pos - a.pos), ' ');  // a flow map on one line: keep the columns
    } else {
      out += '\n';
      out.append(static_cast<size_t>(b.column), ' ');
      removed_lines += b.line - a.line - 1;
      // Lines from here on (0-based, in the new text) are `removed_lines` further down in `text`.
      line_shifts.emplace_back(b.line - removed_lines, removed_lines);
    }
    copied = static_cast<size_t>(b.pos);
  }
  if (copied < text.size()) out.append(text, copied, std::string::npos);
  return out;
}

YAML::Node ApplySets(YAML::Node root, const std::vector<std::string>& sets, Origins& origins) {
  // reset(), not operator=: assigning to a YAML::Node handle overwrites the node it refers to, which
  // the caller's document shares (its positions are then lost).
  if (root.IsNull() && !sets.empty()) root.reset(YAML::Node(YAML::NodeType::Map));
  for (const std::string& s : sets) {
    const SourceLocation where{"--set " + s};
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(where, "", "is not KEY=VALUE, expected for example --set game.n=100");
    const std::string key = s.substr(0, eq), text = s.substr(eq + 1);
    const YAML::Node value = LoadDocument(text, where, false, key);
    origins.AddTree(value, where);
    if (!root.IsMap()) break;  // the caller reports a root that is not a map
    root.reset(With(root, key, value, where, origins));
  }
  return root;
}

namespace {

// Every map and list in `n` (a clone: node styles are shared state) in flow style.
void SetFlowStyle(YAML::Node n) {
  if (n.IsMap()) {
    n.SetStyle(YAML::EmitterStyle::Flow);
    for (const auto& kv : n) {
      SetFlowStyle(kv.first);
      SetFlowStyle(kv.second);
    }
  } else if (n.IsSequence()) {
    n.SetStyle(YAML::EmitterStyle::Flow);
    for (const auto& child : n) SetFlowStyle(child);
  }
}

}  // namespace

std::string FlowText(const YAML::Node& n) {
  // The emitter's Flow applies to the outermost group only: a map or list parsed in block style
  // keeps its style when emitted, and its text would span lines.
  const YAML::Node copy = YAML::Clone(n);
  SetFlowStyle(copy);
  YAML::Emitter e;
  e << YAML::Flow << copy;
  return e.c_str();
}

}  // namespace nlhf::yaml
