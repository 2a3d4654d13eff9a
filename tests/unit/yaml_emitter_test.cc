#include "yaml_emitter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "nlhf/errors.h"

namespace nlhf::yaml {
namespace {

// A document as the calls that write it, replayed on YAML::Emitter and on ours.
using Op = std::variant<YAML::EMITTER_MANIP, std::string, std::int64_t, std::uint64_t>;

template <class Out>
void Replay(Out& out, const std::vector<Op>& ops) {
  for (const Op& op : ops) std::visit([&out](const auto& x) { out << x; }, op);
}

// Texts whose form yaml-cpp decides in every way it can: plain, quoted for a null or a leading
// indicator, quoted in a flow collection only (",", "[", "{"), escapes, non-ASCII, bad UTF-8.
const std::vector<std::string> kTexts = {
    "", "~", "null", "Null", "NULL", "true", "yes", "no", "1e-10", "-1", "0.9*limit", "a: b", "a:b", "#x", "x #y",
    "- a", "-a", "? x", "?x", "x ", " x", "[a]", "{b}", "a,b", "a]", "é", "中文", "\t", "a\tb", "\n", "a\nb",
    std::string("\x01", 1), "\x7f", "\xff", "\xc3", "'q'", "\"q\"", "a\\b", "@x", "`x", "%x", "!x", "&x", "*x", "|",
    ">", "nash_mp", "gap_beta", "runs/some dir", "/abs/P.csv", "omd(eta=auto)", "Online IPO 1 (OMD), pairs B=10"};

class RandomDocument {
 public:
  explicit RandomDocument(std::uint64_t seed) : rng_(seed) {}

  std::vector<Op> Make() {
    ops_.clear();
    ops_.push_back(YAML::BeginMap);
    for (int i = Below(7); i > 0; --i) {
      ops_.push_back(YAML::Key);
      Text();
      ops_.push_back(YAML::Value);
      Value(/*block=*/true, /*depth=*/0);
    }
    ops_.push_back(YAML::EndMap);
    return ops_;
  }

 private:
  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  void Text() {
    if (Below(3) > 0) {
      ops_.push_back(kTexts[static_cast<size_t>(Below(static_cast<int>(kTexts.size())))]);
      return;
    }
    static const std::string kChars = "ab09 .:-#,[]{}?&*!|>'\"%@`~\\\t\n\xc3\xa9";
    std::string text;
    for (int i = Below(6); i > 0; --i) text += kChars[static_cast<size_t>(Below(static_cast<int>(kChars.size())))];
    ops_.push_back(text);
  }

  void Scalar() {
    switch (Below(4)) {
      case 0: ops_.push_back(static_cast<std::int64_t>(Below(2001) - 1000)); break;
      case 1: ops_.push_back(std::uint64_t{9'000'000'000'000'000'000u}); break;
      case 2:
        ops_.push_back(YAML::DoubleQuoted);
        Text();
        break;
      default: Text();
    }
  }

  // A flow map of scalars and (to depth 2) flow collections, or a flow sequence of scalars (a
  // collection in a flow sequence is not written by config.cc, nor reproduced: the emitter refuses it).
  void Flow(int depth) {
    const bool map = Below(2) == 0;
    ops_.push_back(YAML::Flow);
    ops_.push_back(map ? YAML::BeginMap : YAML::BeginSeq);
    for (int i = Below(4); i > 0; --i) {
      if (map) {
        ops_.push_back(YAML::Key);
        Text();
        ops_.push_back(YAML::Value);
      }
      if (map && depth < 2 && Below(4) == 0)
        Flow(depth + 1);
      else
        Scalar();
    }
    ops_.push_back(map ? YAML::EndMap : YAML::EndSeq);
  }

  // A value in a block map: a scalar, a flow collection, or (to depth 2) a block map of such values
  // or a block sequence of scalars and flow collections.
  void Value(bool block, int depth) {
    const int kind = Below(block && depth < 2 ? 4 : 2);
    if (kind == 0) return Scalar();
    if (kind == 1) return Flow(0);
    if (kind == 2) {
      ops_.push_back(YAML::BeginMap);
      for (int i = Below(4); i > 0; --i) {
        ops_.push_back(YAML::Key);
        Text();
        ops_.push_back(YAML::Value);
        Value(true, depth + 1);
      }
      ops_.push_back(YAML::EndMap);
      return;
    }
    ops_.push_back(YAML::BeginSeq);
    for (int i = Below(4); i > 0; --i) Value(false, depth + 1);
    ops_.push_back(YAML::EndSeq);
  }

  std::mt19937_64 rng_;
  std::vector<Op> ops_;
};

TEST(YamlEmitter, WritesWhatYamlCppWritesForRandomDocuments) {
  int compared = 0;
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    const std::vector<Op> ops = RandomDocument(seed).Make();
    YAML::Emitter theirs;
    Replay(theirs, ops);
    ASSERT_TRUE(theirs.good()) << "seed " << seed << ": " << theirs.GetLastError();
    Emitter ours;
    Replay(ours, ops);
    ASSERT_EQ(ours.str(), std::string(theirs.c_str(), theirs.size())) << "seed " << seed;
    ++compared;
  }
  EXPECT_EQ(compared, 3000);
}

TEST(YamlEmitter, WritesAResolvedExperimentsShapes) {
  // The shapes config.cc's Emit writes, with the texts it writes most.
  const std::vector<Op> ops = {
      YAML::BeginMap, YAML::Key, "name", YAML::Value, "quickstart", YAML::Key, "game", YAML::Value, YAML::Flow,
      YAML::BeginMap, YAML::Key, "type", YAML::Value, "random_uniform", YAML::Key, "n", YAML::Value, "10",
      YAML::EndMap, YAML::Key, "seeds", YAML::Value, YAML::Flow, YAML::BeginSeq, std::uint64_t{0}, std::uint64_t{1},
      YAML::EndSeq, YAML::Key, "solvers", YAML::Value, YAML::BeginSeq, YAML::Flow, YAML::BeginMap, YAML::Key, "name",
      YAML::Value, "omd", YAML::Key, "label", YAML::Value, YAML::DoubleQuoted, "omd(eta=auto)", YAML::Key, "oracle",
      YAML::Value, YAML::Flow, YAML::BeginMap, YAML::Key, "batch", YAML::Value, std::int64_t{10}, YAML::EndMap,
      YAML::EndMap, YAML::EndSeq, YAML::Key, "stop", YAML::Value, YAML::BeginMap, YAML::Key, "iterations",
      YAML::Value, "1000", YAML::Key, "tolerance", YAML::Value, YAML::Flow, YAML::BeginMap, YAML::Key, "gap_beta",
      YAML::Value, "1e-10", YAML::EndMap, YAML::EndMap, YAML::Key, "output", YAML::Value, "runs/a b", YAML::EndMap};
  Emitter ours;
  Replay(ours, ops);
  EXPECT_EQ(ours.str(),
            "name: quickstart\n"
            "game: {type: random_uniform, n: 10}\n"
            "seeds: [0, 1]\n"
            "solvers:\n"
            "  - {name: omd, label: \"omd(eta=auto)\", oracle: {batch: 10}}\n"
            "stop:\n"
            "  iterations: 1000\n"
            "  tolerance: {gap_beta: 1e-10}\n"
            "output: runs/a b");
  YAML::Emitter theirs;
  Replay(theirs, ops);
  EXPECT_EQ(ours.str(), theirs.c_str());
}

TEST(YamlEmitter, AShapeItDoesNotWriteIsAnInternalErrorNotWrongText) {
  // A block map as an item of a block sequence ("- a: 1") is not reproduced.
  Emitter seq_of_maps;
  seq_of_maps << YAML::BeginMap << YAML::Key << "a" << YAML::Value << YAML::BeginSeq;
  EXPECT_THROW(seq_of_maps << YAML::BeginMap, InternalError);
  // A node of a map without YAML::Key, and a second root.
  Emitter no_key;
  no_key << YAML::BeginMap;
  EXPECT_THROW(no_key << "a", InternalError);
  // A collection in a flow sequence, which yaml-cpp writes "[[" or "[ [" by columns.
  Emitter nested;
  nested << YAML::BeginMap << YAML::Key << "a" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  EXPECT_THROW(nested << YAML::BeginMap, InternalError);
  Emitter two_roots;
  two_roots << YAML::BeginMap << YAML::EndMap;
  EXPECT_THROW(two_roots << YAML::BeginMap, InternalError);
}

}  // namespace
}  // namespace nlhf::yaml
