// Fuzz smoke of the input parsers (lib/src/config.cc, lib/src/csv.cc, lib/src/game.cc): thousands of
// deterministic mutations of valid experiment YAML and matrix CSV files, each of which must either
// parse or throw InputError whose message is one line without control characters. Any other
// exception, a crash or a hang is a bug. The mutations are fixed by the seed, so a failure repeats.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nlhf/config.h"
#include "nlhf/csv.h"
#include "nlhf/game.h"
#include "nlhf/rng.h"
#include "test_util.h"

namespace nlhf {
namespace {

const std::vector<std::string> kSeedsYaml = {
    "name: fuzz\n"
    "game: {type: random_uniform, n: 10}\n"
    "reference: {type: softmax_normal, scale: 1.0}\n"
    "beta: 0.01\n"
    "seeds: [0, 1, 2]\n"
    "solvers:\n"
    "  - {name: nash_mp}\n"
    "  - {name: omd, eta: auto}\n"
    "  - {name: nash_md, schedule: decaying, label: md}\n"
    "stop: {iterations: 1000, tolerance: {gap_beta: 1.0e-12}}\n"
    "log: {every: 1, spacing: linear}\n",
    "game:\n"
    "  type: matrix\n"
    "  path: P.csv\n"
    "reference:\n"
    "  type: file\n"
    "  path: mu.csv\n"
    "beta: 0.1\n"
    "seeds: {from: 0, to: 3}\n"
    "solvers:\n"
    "  - name: egpo\n"
    "    eta: 1.9\n"
    "  - name: mwu\n"
    "stop:\n"
    "  iterations: 50\n"
    "  oracle_calls: 0\n"
    "log:\n"
    "  spacing: log\n"
    "  points_per_decade: 5\n"
    "  metrics: [gap_beta, kl_to_star]\n"
    "output: runs/x\n",
};

const std::vector<std::string> kOddValues = {
    "1e400", "-1e400", "1e-400", "5e-324", "1e308", "-1", "0", "99999999999999999999", "nan", ".inf", "-.inf",
    "0x10", "1_000", "~", "null", "''", "[]", "{}", "[1, [2]]", "{a: {b: c}}", "auto", "true", "\"\\x1b[2J\"",
    "&a [*a]", "!!binary aGk=", "\"\\n error: fake\"", "'\t'", "1e-8", "1e6", "2.5", "solvers"};

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed, "fuzz") {}
  size_t Below(size_t k) { return k == 0 ? 0 : static_cast<size_t>(rng_.Below(k)); }

  std::string Mutate(const std::string& text, bool yaml) {
    std::vector<std::string> lines = Split(text);
    const int rounds = 1 + static_cast<int>(Below(3));
    for (int r = 0; r < rounds; ++r) {
      if (lines.empty()) lines.push_back("");
      const size_t i = Below(lines.size()), j = Below(lines.size());
      switch (Below(yaml ? 11 : 8)) {
        case 0: lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i)); break;
        case 1: lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), lines[i]); break;  // duplicate
        case 2: std::swap(lines[i], lines[j]); break;
        case 3: {  // random bytes, control characters included
          std::string& l = lines[i];
          const size_t at = Below(l.size() + 1);
          std::string bytes;
          for (size_t k = 0, n = 1 + Below(4); k < n; ++k) bytes += static_cast<char>(Below(256));
          l = l.substr(0, at) + bytes + l.substr(at);
          break;
        }
        case 4: lines[i] = "\t" + lines[i]; break;
        case 5: {  // a number replaced by an odd value
          std::string& l = lines[i];
          const size_t d = l.find_first_of("0123456789");
          if (d == std::string::npos) break;
          const size_t e = l.find_first_not_of("0123456789.e-", d);
          l = l.substr(0, d) + kOddValues[Below(kOddValues.size())] + (e == std::string::npos ? "" : l.substr(e));
          break;
        }
        case 6: lines[i] = lines[i].substr(0, Below(lines[i].size() + 1)); break;  // truncate
        case 7: lines[i] += std::string(1, ",;:[]{}#'\"\\"[Below(11)]); break;
        case 8: {  // a value replaced by another shape
          std::string& l = lines[i];
          const size_t colon = l.find(": ");
          if (colon != std::string::npos) l = l.substr(0, colon + 2) + kOddValues[Below(kOddValues.size())];
          break;
        }
        case 9: lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(i), Below(2) ? "---" : "beta: 0.5"); break;
        case 10: lines[i] = std::string(Below(5), ' ') + lines[i]; break;  // indentation
      }
    }
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
  }

 private:
  static std::vector<std::string> Split(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }
  Rng rng_;
};

// "" when the message is one line of printable text, else what is wrong.
std::string CheckMessage(const std::string& msg) {
  if (msg.empty()) return "empty message";
  for (unsigned char c : msg)
    if (c < 0x20 || c == 0x7f) return "control character in the message";
  return "";
}

TEST(ConfigFuzz, EveryMutatedExperimentParsesOrThrowsAOneLineInputError) {
  nlhf::testing::TempDir dir;
  dir.File("P.csv", "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n");
  dir.File("mu.csv", "0.25\n0.25\n0.5\n");
  const std::string base = dir.Path("");
  Mutator m(20240509);
  int parsed = 0, rejected = 0;
  for (int k = 0; k < 4000; ++k) {
    const std::string text = m.Mutate(kSeedsYaml[static_cast<size_t>(k) % kSeedsYaml.size()], true);
    try {
      ParseExperiment(text, "fuzz.yaml", {}, base);
      ++parsed;
    } catch (const InputError& e) {
      ++rejected;
      const std::string problem = CheckMessage(e.what());
      ASSERT_EQ(problem, "") << e.what() << "\nfrom:\n" << text;
    } catch (const std::exception& e) {
      FAIL() << "not an InputError: " << e.what() << "\nfrom:\n" << text;
    }
  }
  // Both outcomes happen, so the mutations neither always break nor never touch the file.
  EXPECT_GT(parsed, 100);
  EXPECT_GT(rejected, 1000);
}

TEST(ConfigFuzz, EveryMutatedSetParsesOrThrowsAOneLineInputError) {
  Mutator m(7);
  const std::vector<std::string> sets = {"game.n=20", "stop.iterations=5", "solvers[1].eta=0.1", "log.every=2",
                                         "game={type: rps3}", "seeds=[1, 2]", "sweep.game.n=[1]"};
  for (int k = 0; k < 1000; ++k) {
    std::string set = m.Mutate(sets[static_cast<size_t>(k) % sets.size()], false);
    if (!set.empty()) set.pop_back();  // the mutator's final newline
    try {
      ParseExperiment(kSeedsYaml[0], "fuzz.yaml", {set}, "");
    } catch (const InputError& e) {
      ASSERT_EQ(CheckMessage(e.what()), "") << e.what() << "\nfrom --set " << set;
    } catch (const std::exception& e) {
      FAIL() << "not an InputError: " << e.what() << "\nfrom --set " << set;
    }
  }
}

TEST(CsvFuzz, EveryMutatedMatrixReadsOrThrowsAOneLineInputError) {
  nlhf::testing::TempDir dir;
  Mutator m(99);
  const std::string seed = "0.5,0.7,0.2\n0.3,0.5,0.6\n0.8,0.4,0.5\n";
  int rejected = 0;
  for (int k = 0; k < 2000; ++k) {
    const std::string text = m.Mutate(seed, false);
    const std::string path = dir.File("P.csv", text);
    try {
      const Eigen::MatrixXd P = ReadMatrixCsv(path, "game.path");
      ValidatePreferenceMatrix(P, "game.path");
    } catch (const InputError& e) {
      ++rejected;
      ASSERT_EQ(CheckMessage(e.what()), "") << e.what() << "\nfrom:\n" << text;
    } catch (const std::exception& e) {
      FAIL() << "not an InputError: " << e.what() << "\nfrom:\n" << text;
    }
  }
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace nlhf
