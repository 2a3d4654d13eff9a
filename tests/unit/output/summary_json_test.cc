// summary.json (lib/src/output/summary_json.cc).
#include "nlhf/output/summary_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nlhf/config.h"
#include "nlhf/experiment.h"

namespace nlhf {
namespace {

TEST(SummaryJson, HoldsOneObjectPerRunInRunOrderWithNullsForWhatIsAbsent) {
  const ExperimentConfig c = ParseExperiment(
      "name: \"t \\\"q\\\"\"\ngame: {type: rps3}\nreference: {type: uniform}\nbeta: 0.1\nseeds: [0, 1]\n"
      "solvers: [{name: nash_mp}, {name: mwu}]\nstop: {iterations: 20}\n",
      "exp.yaml", {}, "");
  ExperimentOptions options;
  const ExperimentResult result = RunExperiment(c, options);
  const nlohmann::json j = nlohmann::json::parse(SummaryJson(c, result));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 4u);
  for (size_t k = 0; k < j.size(); ++k) {
    EXPECT_EQ(j[k]["run_id"], result.runs[k].run_id);
    EXPECT_EQ(j[k]["experiment"], "t \"q\"");
    EXPECT_EQ(j[k]["iterations"], 20);
    EXPECT_EQ(j[k]["final"]["gap_beta"].get<double>(), result.runs[k].summary.final_metrics[0]);
    EXPECT_EQ(j[k]["policy"].size(), 3u);
  }
  EXPECT_EQ(j[0]["solver"], "nash_mp");
  EXPECT_EQ(j[1]["solver"], "mwu");
  EXPECT_TRUE(j[0]["final"].contains("fp_residual"));
  EXPECT_FALSE(j[0].contains("final_average"));  // nash_mp keeps no average iterate
  EXPECT_TRUE(j[1].contains("final_average"));
  EXPECT_TRUE(j[1]["stability_limit"].is_null());  // mwu has no stability limit
  EXPECT_TRUE(j[0]["stability_limit"].is_number());
  EXPECT_TRUE(j[0]["descriptors"]["condorcet_winner"].is_null());  // rps3 is cyclic
  // The documented key order.
  std::vector<std::string> keys;
  const nlohmann::ordered_json first = nlohmann::ordered_json::parse(SummaryJson(c, result))[0];
  for (auto it = first.begin(); it != first.end(); ++it) keys.push_back(it.key());
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "run_id");
  EXPECT_EQ(keys[1], "experiment");
  EXPECT_EQ(keys.back(), "descriptors");
}

}  // namespace
}  // namespace nlhf
