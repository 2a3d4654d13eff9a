// YAML text as yaml-cpp's Emitter writes it, each scalar's form asked of it once (yaml_emitter.h).
#include "yaml_emitter.h"

#include <array>
#include <string_view>
#include <unordered_map>

#include "nlhf/errors.h"

namespace nlhf::yaml {

namespace {

// Where a scalar is: its form depends on it (a flow collection does not allow "," or "[" in a
// plain scalar, a key has rules of its own).
enum class Place { kBlockKey, kBlockValue, kBlockItem, kFlowKey, kFlowValue, kFlowItem };
constexpr size_t kPlaces = 6;

// Distinct texts remembered per place, beyond which the memory starts over: a sweep's texts are
// its keys, names and values, far fewer than this.
constexpr size_t kMaxRemembered = 1 << 16;

// How YAML::Emitter writes `text` at `place`: a document holding the text there, cut to the text.
std::string AskYamlCpp(const std::string& text, Place place, bool quoted) {
  YAML::Emitter e;
  const auto scalar = [&] {
    if (quoted) e << YAML::DoubleQuoted;
    e << text;
  };
  std::string_view before, after;
  switch (place) {
    case Place::kBlockKey:
      e << YAML::BeginMap << YAML::Key;
      scalar();
      e << YAML::Value << 0 << YAML::EndMap;
      after = ": 0";
      break;
    case Place::kBlockValue:
      e << YAML::BeginMap << YAML::Key << "k" << YAML::Value;
      scalar();
      e << YAML::EndMap;
      before = "k: ";
      break;
    case Place::kBlockItem:
      e << YAML::BeginSeq;
      scalar();
      e << YAML::EndSeq;
      before = "- ";
      break;
    case Place::kFlowKey:
      e << YAML::Flow << YAML::BeginMap << YAML::Key;
      scalar();
      e << YAML::Value << 0 << YAML::EndMap;
      before = "{";
      after = ": 0}";
      break;
    case Place::kFlowValue:
      e << YAML::Flow << YAML::BeginMap << YAML::Key << "k" << YAML::Value;
      scalar();
      e << YAML::EndMap;
      before = "{k: ";
      after = "}";
      break;
    case Place::kFlowItem:
      e << YAML::Flow << YAML::BeginSeq;
      scalar();
      e << YAML::EndSeq;
      before = "[";
      after = "]";
      break;
  }
  const std::string_view all(e.c_str(), e.size());
  // A scalar on one line (plain or double-quoted); a long key's "? " form is not reproduced here.
  NLHF_CHECK(e.good() && all.size() >= before.size() + after.size() && all.starts_with(before) &&
                 all.ends_with(after) && all.find('\n') == std::string_view::npos && !all.starts_with("? "),
             fmt::format("yaml-cpp wrote '{}' for the scalar '{}'", all, text));
  return std::string(all.substr(before.size(), all.size() - before.size() - after.size()));
}

const std::string& Remembered(const std::string& text, Place place, bool quoted) {
  thread_local std::array<std::unordered_map<std::string, std::string>, 2 * kPlaces> known;
  auto& texts = known[2 * static_cast<size_t>(place) + (quoted ? 1 : 0)];
  if (const auto it = texts.find(text); it != texts.end()) return it->second;
  if (texts.size() >= kMaxRemembered) texts.clear();
  return texts.emplace(text, AskYamlCpp(text, place, quoted)).first->second;
}

}  // namespace

Emitter& Emitter::operator<<(YAML::EMITTER_MANIP m) {
  const bool in_map = !groups_.empty() && groups_.back().map;
  switch (m) {
    case YAML::Key:
      NLHF_CHECK(in_map && groups_.back().key_next && !expect_key_, "YAML::Key where a map's key goes");
      expect_key_ = true;
      break;
    case YAML::Value:
      NLHF_CHECK(in_map && !groups_.back().key_next && !expect_value_, "YAML::Value after a map's key");
      expect_value_ = true;
      break;
    case YAML::Flow: next_flow_ = true; break;
    case YAML::DoubleQuoted: next_quoted_ = true; break;
    case YAML::BeginMap: Begin(true); break;
    case YAML::EndMap: End(true); break;
    case YAML::BeginSeq: Begin(false); break;
    case YAML::EndSeq: End(false); break;
    default: NLHF_CHECK(false, fmt::format("the YAML manipulator {} is not supported", static_cast<int>(m)));
  }
  return *this;
}

bool Emitter::BeforeNode(bool block_collection) {
  NLHF_CHECK(!groups_.empty(), "a node outside the root block map");
  Group& g = groups_.back();
  const bool key = g.map && g.key_next;
  if (g.map) NLHF_CHECK(key ? expect_key_ : expect_value_, "YAML::Key or YAML::Value before each node of a map");
  expect_key_ = expect_value_ = false;
  if (g.flow) {
    NLHF_CHECK(!block_collection, "a block collection inside a flow collection");
    if (key || !g.map) {
      if (g.items++ > 0) out_ += ", ";
    } else {
      out_ += ": ";
    }
  } else if (key || !g.map) {
    NLHF_CHECK(g.map || !block_collection, "a block collection as an item of a block sequence");
    if (groups_.size() > 1 || g.items > 0) {
      out_ += '\n';
      out_.append(static_cast<size_t>(g.indent), ' ');
    }
    if (!g.map) out_ += "- ";
    ++g.items;
  } else {
    out_ += block_collection ? ":" : ": ";
  }
  if (g.map) g.key_next = !g.key_next;
  return key;
}

void Emitter::Scalar(const std::string& text, bool as_string) {
  NLHF_CHECK(!next_flow_, "YAML::Flow before a scalar");
  const bool quoted = next_quoted_;
  next_quoted_ = false;
  NLHF_CHECK(as_string || !quoted, "YAML::DoubleQuoted before an integer");
  const bool key = BeforeNode(false);
  if (!as_string) {
    out_ += text;
    return;
  }
  const Group& g = groups_.back();
  const Place place = g.flow ? (g.map ? (key ? Place::kFlowKey : Place::kFlowValue) : Place::kFlowItem)
                             : (g.map ? (key ? Place::kBlockKey : Place::kBlockValue) : Place::kBlockItem);
  out_ += Remembered(text, place, quoted);
}

void Emitter::Begin(bool map) {
  NLHF_CHECK(!next_quoted_, "YAML::DoubleQuoted before a collection");
  const bool flow = next_flow_ || (!groups_.empty() && groups_.back().flow);
  next_flow_ = false;
  int indent = 0;
  if (groups_.empty()) {
    NLHF_CHECK(map && !flow && out_.empty(), "one root, a block map");
  } else {
    NLHF_CHECK(!BeforeNode(!flow), "a collection as a map's key");
    const Group& parent = groups_.back();
    // yaml-cpp aligns a collection that opens a flow sequence by columns this class does not follow
    // (it writes "[ [" or "[ {" in some places, "[[" and "[{" in others).
    NLHF_CHECK(!parent.flow || parent.map, "a collection as an item of a flow sequence");
    indent = parent.indent + 2;
  }
  if (flow) out_ += map ? '{' : '[';
  groups_.push_back(Group{map, flow, indent});
}

void Emitter::End(bool map) {
  NLHF_CHECK(!groups_.empty() && groups_.back().map == map && (!map || groups_.back().key_next) && !expect_key_ &&
                 !expect_value_ && !next_flow_ && !next_quoted_,
             "the end of a collection after its last entry");
  const Group g = groups_.back();
  groups_.pop_back();
  if (g.flow) {
    out_ += map ? '}' : ']';
  } else if (g.items == 0) {  // an empty block collection: in flow form, on a line of its own
    if (!groups_.empty()) {
      out_ += '\n';
      out_.append(static_cast<size_t>(g.indent), ' ');
    }
    out_ += map ? "{}" : "[]";
  }
}

}  // namespace nlhf::yaml
