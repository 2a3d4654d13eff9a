#pragma once
// Internal to the library (config.cc): YAML text byte for byte as yaml-cpp's YAML::Emitter writes
// it, for the shapes of a resolved experiment: a block map whose values are scalars, flow maps (of
// scalars, flow maps and flow sequences), flow sequences of scalars, block maps of such values, and
// block sequences of scalars and flow collections.
//
// Why not YAML::Emitter itself: it decides every string's form (plain or double-quoted) by matching
// regular expressions at each character, and a sweep writes two resolved experiments per point (its
// fingerprints). That was half of a sweep's expansion time, for texts that repeat from point to
// point. Here each distinct text is put to YAML::Emitter once per context (a key or a value, in a
// block or a flow collection, quoted on request or not) and its answer is remembered, so the result is
// still yaml-cpp's own decision, and the fingerprints, task ids and config.resolved.yaml files of
// earlier versions stay the same. tests/unit/yaml_emitter_test.cc drives both emitters with the same
// random documents and requires the same bytes.
#include <yaml-cpp/yaml.h>

#include <concepts>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

namespace nlhf::yaml {

class Emitter {
 public:
  // YAML::Key, YAML::Value, YAML::Flow, YAML::BeginMap, YAML::EndMap, YAML::BeginSeq, YAML::EndSeq
  // and YAML::DoubleQuoted (for the next string). Anything else, or a shape outside the one above,
  // is a bug (InternalError).
  Emitter& operator<<(YAML::EMITTER_MANIP m);
  Emitter& operator<<(const std::string& text) {
    Scalar(text, true);
    return *this;
  }
  Emitter& operator<<(const char* text) { return *this << std::string(text); }
  // An integer, in decimal (as yaml-cpp writes one: plain, never quoted).
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Emitter& operator<<(T value) {
    Scalar(fmt::format("{}", value), false);
    return *this;
  }
  // What YAML::Emitter::c_str() would return.
  const std::string& str() const { return out_; }

 private:
  struct Group {
    bool map = false;
    bool flow = false;
    int indent = 0;    // of a block collection's entries
    size_t items = 0;  // entries begun (a map's keys, a sequence's items)
    bool key_next = true;
  };
  // Writes what comes before a node (a scalar or a collection) in the innermost group: separators,
  // a new line and indentation, a map's ": ". Returns whether the node is a key.
  bool BeforeNode(bool block_collection);
  // `text` as a scalar: as YAML::Emitter would write this string here (`as_string`), or as it is (an
  // integer's digits).
  void Scalar(const std::string& text, bool as_string);
  void Begin(bool map);
  void End(bool map);

  std::string out_;
  std::vector<Group> groups_;
  bool next_flow_ = false;
  bool next_quoted_ = false;
  bool expect_key_ = false;    // YAML::Key given, its scalar not yet written
  bool expect_value_ = false;  // YAML::Value given, its node not yet written
};

}  // namespace nlhf::yaml
