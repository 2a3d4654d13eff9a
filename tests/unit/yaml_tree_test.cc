#include "yaml_tree.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace nlhf::yaml {
namespace {

// The InputError that `f` throws (fails the test if it throws none).
template <typename F>
InputError ErrorOf(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError";
  return InputError("none");
}

const SourceLocation kFile{"exp.yaml"};

// --- LoadDocument ---

TEST(LoadDocument, ParsesOneDocumentAndAnEmptyTextAsNull) {
  const YAML::Node doc = LoadDocument("a: 1\nb: [2, 3]\n", kFile, true);
  ASSERT_TRUE(doc.IsMap());
  EXPECT_EQ(doc["a"].as<int>(), 1);
  EXPECT_EQ(doc["b"][1].as<int>(), 3);
  EXPECT_TRUE(LoadDocument("", kFile, true).IsNull());
}

TEST(LoadDocument, RefusesAKeyGivenTwiceNamingBothLines) {
  const InputError e = ErrorOf([] { LoadDocument("game:\n  n: 3\n  seed: 1\n  n: 4\n", kFile, true); });
  EXPECT_EQ(e.where().ToString(), "exp.yaml:4:3");
  EXPECT_EQ(e.key(), "game.n");
  EXPECT_NE(e.problem().find("given twice (first on line 2)"), std::string::npos) << e.problem();
  // In a list, the path names the index.
  const InputError in_list = ErrorOf([] { LoadDocument("solvers:\n  - {name: a, name: b}\n", kFile, true); });
  EXPECT_EQ(in_list.key(), "solvers[0].name");
}

TEST(LoadDocument, RefusesASecondDocumentAndTrailingText) {
  const InputError marker = ErrorOf([] { LoadDocument("a: 1\n---\nb: 2\n", kFile, true); });
  EXPECT_EQ(marker.where().line, 2);
  EXPECT_NE(marker.problem().find("a second YAML document"), std::string::npos) << marker.problem();
  const InputError trailing = ErrorOf([] { LoadDocument("[1]\n...\n[2]\n", kFile, true); });
  EXPECT_NE(trailing.problem().find("one document"), std::string::npos) << trailing.problem();
}

TEST(LoadDocument, NamesATabInTheIndentation) {
  const InputError e = ErrorOf([] { LoadDocument("game:\n\tn: 3\n", kFile, true); });
  EXPECT_EQ(e.where().ToString(), "exp.yaml:2:1");
  EXPECT_NE(e.problem().find("a tab in the indentation"), std::string::npos) << e.problem();
}

TEST(LoadDocument, NamesANulByteWhereItIs) {
  // yaml-cpp stops at a NUL and reported "unknown escape character" on the next line.
  const std::string text("game: {n: 3}\nbeta: 0.01\0\nx: 1\n", 30);
  const InputError e = ErrorOf([&] { LoadDocument(text, kFile, true); });
  EXPECT_EQ(e.where().ToString(), "exp.yaml:2:11");
  EXPECT_NE(e.problem().find("a NUL byte"), std::string::npos) << e.problem();
  // UTF-16 (with or without its byte-order mark) and UTF-32 text is named as such.
  for (const std::string& wide : {std::string("\xFF\xFEg\0:\0 \0""1\0", 10), std::string("g\0:\0 \0""1\0", 8),
                                  std::string("\0\0\0g\0\0\0:", 8)}) {
    const InputError w = ErrorOf([&] { LoadDocument(wide, kFile, true); });
    EXPECT_NE(w.problem().find("UTF-16 or UTF-32 text, expected UTF-8"), std::string::npos) << w.problem();
  }
}

TEST(LoadDocument, LocatesASyntaxErrorInAFileButNotInASetValue) {
  const InputError file = ErrorOf([] { LoadDocument("a: [1, 2\nb: 3\n", kFile, true); });
  EXPECT_EQ(file.where().file, "exp.yaml");
  EXPECT_GT(file.where().line, 0);
  EXPECT_NE(file.problem().find("YAML syntax error"), std::string::npos) << file.problem();
  const SourceLocation set{"--set a=[1"};
  const InputError value = ErrorOf([&] { LoadDocument("[1", set, false, "a"); });
  EXPECT_EQ(value.where().ToString(), "--set a=[1");
  // A value's error names its key and asks for a value, not for a map of experiment keys.
  EXPECT_EQ(value.key(), "a");
  EXPECT_NE(value.problem().find("expected one YAML value"), std::string::npos) << value.problem();
  EXPECT_NE(file.problem().find("expected a YAML map of experiment keys"), std::string::npos) << file.problem();
}

TEST(LoadDocument, RefusesAliasesThatExpandBeyondTheLimit) {
  // "Billion laughs": nine levels of ten aliases each expand to 10^9 nodes.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    const std::string list = fmt::format("*a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}, *a{0}", i - 1);
    text += fmt::format("a{0}: &a{0} [{1}]\n", i, list);
  }
  const InputError e = ErrorOf([&] { LoadDocument(text, kFile, true); });
  EXPECT_NE(e.problem().find("YAML nodes"), std::string::npos) << e.problem();
}

// --- With ---

TEST(With, ReturnsANewRootAndLeavesTheOldOneAndItsUntouchedNodesShared) {
  Origins origins("exp.yaml");
  const YAML::Node root = LoadDocument("game: {type: cyclic, n: 3}\nbeta: 0.1\nsolvers: [{name: omd}]\n", kFile, true);
  const YAML::Node changed = With(root, "game.n", YAML::Node(7), SourceLocation{"--set game.n=7"}, origins);
  EXPECT_EQ(changed["game"]["n"].as<int>(), 7);
  EXPECT_EQ(root["game"]["n"].as<int>(), 3);  // the old tree is not modified
  EXPECT_TRUE(changed["beta"].is(root["beta"]));  // untouched subtrees are the same nodes
  EXPECT_TRUE(changed["solvers"].is(root["solvers"]));
  EXPECT_FALSE(changed["game"].is(root["game"]));
  // A copied map is located where its original was.
  EXPECT_EQ(origins.Where(changed["game"]).ToString(), origins.Where(root["game"]).ToString());
}

TEST(With, CreatesMissingMapsAndSetsListEntries) {
  Origins origins("exp.yaml");
  const SourceLocation where{"--set stop.tolerance.gap_beta=1e-8"};
  const YAML::Node root = LoadDocument("solvers: [{name: omd}, {name: mwu}]\n", kFile, true);
  const YAML::Node a = With(root, "stop.tolerance.gap_beta", YAML::Node(1e-8), where, origins);
  EXPECT_DOUBLE_EQ(a["stop"]["tolerance"]["gap_beta"].as<double>(), 1e-8);
  EXPECT_EQ(origins.Where(a["stop"]).ToString(), where.ToString());  // created nodes are at the --set
  const YAML::Node b = With(a, "solvers[1].eta", YAML::Node(0.5), where, origins);
  EXPECT_EQ(b["solvers"][1]["eta"].as<double>(), 0.5);
  EXPECT_EQ(b["solvers"][1]["name"].as<std::string>(), "mwu");
  EXPECT_TRUE(b["solvers"][0].is(a["solvers"][0]));
}

TEST(With, KeepsTheRestOfASweepPathAsOneKey) {
  Origins origins("sweep.yaml");
  const YAML::Node root = LoadDocument("sweep: {beta: [0.1]}\nzip: [{beta: [1]}]\n", kFile, true);
  const SourceLocation where{"--set"};
  const YAML::Node a = With(root, "sweep.game.n", YAML::Load("[10, 20]"), where, origins);
  EXPECT_EQ(a["sweep"]["game.n"][1].as<int>(), 20);
  const YAML::Node b = With(a, "zip[0].game.n", YAML::Load("[5]"), where, origins);
  EXPECT_EQ(b["zip"][0]["game.n"][0].as<int>(), 5);
}

TEST(With, RefusesBadPathsAtTheGivenLocation) {
  Origins origins("exp.yaml");
  const YAML::Node root = LoadDocument("beta: 0.1\nsolvers: [{name: omd}]\n", kFile, true);
  const SourceLocation where{"--set X"};
  struct Case {
    std::string path, problem;
  };
  const std::vector<Case> cases = {
      {"a..b", "empty key"},
      {"a b", "holds a space"},
      {"solvers[0", "unclosed '['"},
      {"solvers[-1]", "not an index"},
      {"solvers[x]", "not an index"},
      {"solvers[3]", "index 3 is out of range, solvers has 1 entries"},
      {"beta[0]", "beta is not a list"},
      {"beta.x", "'x' is inside beta, which is not a map"},
      {"solvers]", "has ']' at position 8"},
      {"", "empty key"},
  };
  for (const Case& c : cases) {
    const InputError e = ErrorOf([&] { With(root, c.path, YAML::Node(1), where, origins); });
    EXPECT_EQ(e.where().ToString(), "--set X") << c.path;
    EXPECT_EQ(e.key(), c.path);
    EXPECT_NE(e.problem().find(c.problem), std::string::npos) << c.path << ": " << e.problem();
  }
}

// --- ApplySets ---

TEST(ApplySets, AppliesInOrderAndLocatesEachValueAtItsSet) {
  Origins origins("exp.yaml");
  const YAML::Node root = LoadDocument("game: {type: cyclic, n: 3}\n", kFile, true);
  const YAML::Node out = ApplySets(root, {"game.n=5", "game.n=6", "beta=[0.1, 0.2]"}, origins);
  EXPECT_EQ(out["game"]["n"].as<int>(), 6);
  EXPECT_EQ(root["game"]["n"].as<int>(), 3);
  EXPECT_EQ(origins.Where(out["game"]["n"]).ToString(), "--set game.n=6");
  EXPECT_EQ(origins.Where(out["beta"][1]).ToString(), "--set beta=[0.1, 0.2]");
  // A Null root (an empty file) becomes a map.
  const YAML::Node from_empty = ApplySets(YAML::Node(), {"beta=0.5"}, origins);
  EXPECT_EQ(from_empty["beta"].as<double>(), 0.5);
}

TEST(ApplySets, RefusesASetWithoutKeyAndValueAndATwiceGivenKeyInItsValue) {
  Origins origins("exp.yaml");
  const YAML::Node root = LoadDocument("beta: 0.1\n", kFile, true);
  for (const std::string bad : {"beta", "=1"}) {
    const InputError e = ErrorOf([&] { ApplySets(root, {bad}, origins); });
    EXPECT_EQ(e.where().ToString(), "--set " + bad);
    EXPECT_NE(e.problem().find("is not KEY=VALUE"), std::string::npos) << e.problem();
  }
  const InputError twice = ErrorOf([&] { ApplySets(root, {"game={n: 1, n: 2}"}, origins); });
  EXPECT_EQ(twice.key(), "game.n");
  EXPECT_EQ(twice.where().ToString(), "--set game={n: 1, n: 2}");
}

// --- CutTopLevelKeys ---

// Each remaining key of `text` without `cut`, located through the line shifts, is where it is in
// `text`.
void ExpectSameLocations(const std::string& text, const std::vector<std::string>& cut) {
  const YAML::Node doc = YAML::Load(text);
  std::vector<std::pair<int, int>> shifts;
  const std::string rest = CutTopLevelKeys(text, doc, cut, shifts);
  const YAML::Node cut_doc = YAML::Load(rest);
  Origins origins("f");
  origins.SetLineShifts(shifts);
  size_t kept = 0;
  for (const auto& kv : doc) {
    const std::string key = kv.first.Scalar();
    const bool gone = std::find(cut.begin(), cut.end(), key) != cut.end();
    ASSERT_EQ(cut_doc[key].IsDefined(), !gone) << key << " in\n" << rest;
    if (gone) continue;
    ++kept;
    EXPECT_EQ(FlowText(cut_doc[key]), FlowText(kv.second)) << key;
    const YAML::Mark m = kv.second.Mark();
    EXPECT_EQ(origins.Where(cut_doc[key]).ToString(), fmt::format("f:{}:{}", m.line + 1, m.column + 1)) << key << " in\n"
                                                                                                       << rest;
  }
  EXPECT_EQ(cut_doc.size(), kept);
}

TEST(CutTopLevelKeys, KeepsTheRestAtTheirLinesAndColumns) {
  const std::string block =
      "name: x\n"
      "sweep:\n"
      "  beta: [0.1, 0.2]\n"
      "  game.n: [10]\n"
      "game: {type: cyclic, n: 3}\n"
      "\n"
      "zip:\n"
      "  - {beta: [1]}\n"
      "solvers:\n"
      "  - name: omd\n"
      "beta: 0.1\n";
  ExpectSameLocations(block, {"sweep", "zip"});
  ExpectSameLocations(block, {"name"});
  ExpectSameLocations(block, {"beta"});  // the last entry
  ExpectSameLocations(block, {});
  ExpectSameLocations("{name: x, sweep: {beta: [1, 2]}, beta: 0.5}", {"sweep"});
  ExpectSameLocations("{name: x, beta: 0.5, sweep: {beta: [1, 2]}}", {"sweep"});
}

TEST(CutTopLevelKeys, LeavesATextThatIsNotAMapAsItIs) {
  std::vector<std::pair<int, int>> shifts{{1, 1}};
  const std::string text = "[1, 2]\n";
  EXPECT_EQ(CutTopLevelKeys(text, YAML::Load(text), {"sweep"}, shifts), text);
  EXPECT_TRUE(shifts.empty());
}

// --- FlowText ---

// Sweep values in runs.csv, summary.csv and messages: a value written in block style in the file
// was written as it stood, over several lines ("type: cyclic\nn: 3" in a CSV cell).
TEST(FlowText, WritesOneLineWhateverTheStyleOfTheFile) {
  EXPECT_EQ(FlowText(YAML::Load("a: 1\nb: [x, y]\n")), "{a: 1, b: [x, y]}");
  EXPECT_EQ(FlowText(YAML::Load("- type: cyclic\n  n: 3\n- k:\n    - 1\n    - {z: 2}\n")),
            "[{type: cyclic, n: 3}, {k: [1, {z: 2}]}]");
  EXPECT_EQ(FlowText(YAML::Load("plain")), "plain");
  // A multi-line string stays one line, and reads back as the same string.
  const YAML::Node text = YAML::Load("s: |\n  one\n  two\n");
  const std::string flow = FlowText(text);
  EXPECT_EQ(flow.find('\n'), std::string::npos) << flow;
  EXPECT_EQ(YAML::Load(flow)["s"].as<std::string>(), "one\ntwo\n");
  // The node and its style are left as they were.
  const YAML::Node block = YAML::Load("a:\n  b: 1\n");
  FlowText(block);
  EXPECT_EQ(block["a"].Style(), YAML::EmitterStyle::Block);
}

}  // namespace
}  // namespace nlhf::yaml
