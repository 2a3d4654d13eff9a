// Tests of lib/src/sweep_slurm.cc: the options sbatch can take, and the submit script: every value
// shell-quoted (a --set value passes through two shells: the one running the script and the job's),
// % doubled in sbatch file patterns, control characters escaped in comment lines. (The script run
// against a fake sbatch with hostile names: tests/cli/slurm_script_test.py.)
#include "nlhf/sweep_slurm.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "nlhf/shell.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;

TEST(ValidateSlurmOptions, AcceptsWhatSbatchTakes) {
  SlurmOptions o;
  for (const char* time : {"30", "30:00", "01:00:00", "2-00", "2-12:30", "2-12:30:00", "UNLIMITED"}) {
    o.time = time;
    EXPECT_NO_THROW(ValidateSlurmOptions(o)) << time;
  }
  o.partition = "gpu_a100,cpu-long.v2";
  EXPECT_NO_THROW(ValidateSlurmOptions(o));
}

TEST(ValidateSlurmOptions, RejectsWhatSbatchCannotTake) {
  SlurmOptions o;
  o.partition = "gpu; rm -rf ~";
  testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--partition", "is not a partition name"});
  o.partition = "";
  for (const char* time : {"", "1h", "01:00:00 --wrap=x", "1:2:3:4", "$(id)"}) {
    o.time = time;
    testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--time", "is not a SLURM time limit"});
  }
  o.time = "10";
  o.shards = 0;
  testing::ExpectInputError([&] { ValidateSlurmOptions(o); }, {"--shards", "expected an integer >= 1"});
}

SweepConfig Sweep(const std::vector<std::string>& sets = {}) {
  return ParseSweep("name: s\ngame: {type: random_uniform, n: 4}\nbeta: 0.1\nseeds: [0, 1]\n"
                    "solvers: [{name: nash_mp}]\nstop: {iterations: 10}\nsweep: {game.n: [4, 5, 6]}\n",
                    "s.yaml", sets, "");
}

TEST(EmitSlurm, QuotesEveryValueOnceForTheScriptAndOnceMoreForTheJob) {
  const SweepConfig s = Sweep({"name=it's $(id)"});
  SlurmOptions o;
  o.shards = 3;
  o.sweep_binary = "/opt/my bin/nlhf-sweep";
  const std::string script = EmitSlurm(s, "/data/s.yaml", "/data/out dir", o);
  // The shard command as the job's shell must see it, then quoted whole for the script's shell.
  const std::string shard_command = ShellQuote("/opt/my bin/nlhf-sweep") + " " + ShellQuote("/data/s.yaml") + " " +
                                    ShellQuote("--set=name=it's $(id)") +
                                    " --shard \"$SLURM_ARRAY_TASK_ID\"/3 --out " + ShellQuote("/data/out dir") +
                                    "/shard-\"$SLURM_ARRAY_TASK_ID\" --jobs 1 --quiet";
  EXPECT_NE(script.find("--wrap=" + ShellQuote(shard_command) + ")"), std::string::npos) << script;
  // The merge names shards 1 to 3 (a loop for sh), not a glob that would take a stale shard-4.
  const std::string merge_command = "set --; i=1; while [ \"$i\" -le 3 ]; do set -- \"$@\" " +
                                    ShellQuote("/data/out dir") + "/shard-\"$i\"; i=$((i + 1)); done; exec " +
                                    ShellQuote("/opt/my bin/nlhf-sweep") + " --merge \"$@\" --out " +
                                    ShellQuote("/data/out dir");
  EXPECT_NE(script.find("--wrap=" + ShellQuote(merge_command) + ")"), std::string::npos) << script;
  EXPECT_NE(script.find("--array=1-3 --time=" + ShellQuote("01:00:00") + " \\\n"), std::string::npos) << script;
  EXPECT_EQ(script.find("--partition"), std::string::npos) << "none given: the cluster's default";
  o.partition = "gpu,cpu-long";
  EXPECT_NE(EmitSlurm(s, "/data/s.yaml", "/data/out", o)
                .find(" --partition=" + ShellQuote("gpu,cpu-long") + " --time=" + ShellQuote("01:00:00")),
            std::string::npos);
}

// The merge job refuses files in DIR that nlhf-sweep did not write: logs there would fail it.
TEST(EmitSlurm, RefusesALogDirectoryInsideTheOutputDirectory) {
  const SweepConfig s = Sweep({});
  SlurmOptions o;
  for (const char* logs : {"/data/out/logs", "/data/out", "/data/out/a/b/"}) {
    o.log_dir = logs;
    testing::ExpectInputError([&] { EmitSlurm(s, "/data/s.yaml", "/data/out", o); },
                              {"--log-dir: ", "is inside the output directory /data/out", "expected a directory outside it"});
  }
  for (const char* logs : {"/data/out-logs", "/data/logs", "/data"}) {
    o.log_dir = logs;
    EXPECT_NE(EmitSlurm(s, "/data/s.yaml", "/data/out/", o).find("mkdir -p"), std::string::npos) << logs;
  }
}

TEST(EmitSlurm, DoublesPercentInLogPatternsAndEscapesControlCharactersInComments) {
  SlurmOptions o;
  o.log_dir = "/logs/100%";
  const std::string script = EmitSlurm(Sweep(), "/data/s.yaml", "/data/out\nrm -rf ~", o);
  EXPECT_NE(script.find("--output=" + ShellQuote("/logs/100%%/shard-%a.out")), std::string::npos) << script;
  EXPECT_NE(script.find("--output=" + ShellQuote("/logs/100%%/merge.out")), std::string::npos) << script;
  EXPECT_NE(script.find("writes /data/out\\x0arm -rf ~."), std::string::npos) << script;
  // Elsewhere the newline is inside quotes.
  EXPECT_NE(script.find(ShellQuote("/data/out\nrm -rf ~")), std::string::npos) << script;
  EXPECT_NE(script.find("(6 runs in all)"), std::string::npos) << script;  // 3 points x 2 seeds x 1 solver
}

TEST(EmitSlurm, RefusesOptionsSbatchCannotTake) {
  SlurmOptions o;
  o.cpus_per_task = 0;
  testing::ExpectInputError([&] { EmitSlurm(Sweep(), "s.yaml", "out", o); }, {"--cpus-per-task"});
}

// More array tasks than the sweep's tasks (3 points x 2 seeds) would be jobs with nothing to do.
TEST(EmitSlurm, RefusesMoreShardsThanTasks) {
  SlurmOptions o;
  o.shards = 7;
  testing::ExpectInputError([&] { EmitSlurm(Sweep(), "s.yaml", "out", o); },
                            {"--shards: 7 is more than the sweep's 6 tasks", "expected at most 6"});
  o.shards = 6;
  EXPECT_NE(EmitSlurm(Sweep(), "s.yaml", "out", o).find("--array=1-6 "), std::string::npos);
}

}  // namespace
}  // namespace nlhf
