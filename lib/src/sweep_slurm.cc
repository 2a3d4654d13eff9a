// The SLURM submit script of a sweep (nlhf/sweep_slurm.h).
#include "nlhf/sweep_slurm.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>

#include "nlhf/errors.h"
#include "nlhf/shell.h"
#include "nlhf/sweep_tasks.h"
#include "nlhf/version.h"

namespace nlhf {

namespace fs = std::filesystem;

namespace {

// Text for a comment line of a script: control characters (a newline would end the comment and
// start a command) as \xNN.
std::string CommentText(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

// An sbatch --output file name: sbatch replaces %-patterns (%a, %j, ...), so a literal % is %%.
std::string SlurmFilePattern(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}


// sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED / INFINITE. (Hand-written: GCC 12
// warns inside std::regex under the sanitizer build.)
bool IsSlurmTime(const std::string& t) {
  if (t == "UNLIMITED" || t == "INFINITE") return true;
  const size_t dash = t.find('-');
  const std::string clock = dash == std::string::npos ? t : t.substr(dash + 1);
  if (dash != std::string::npos) {
    if (dash == 0 || t.find_first_not_of("0123456789") != dash) return false;
  }
  // One to three groups of digits separated by ':'.
  int groups = 0;
  size_t start = 0;
  while (true) {
    const size_t colon = clock.find(':', start);
    const std::string group = clock.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (group.empty() || group.find_first_not_of("0123456789") != std::string::npos) return false;
    ++groups;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return groups <= 3;
}

// Whether `path` is `dir` or inside it (both absolute and normal).
bool IsWithin(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d) {
    if (d->empty()) continue;  // the empty last element of a path ending in '/'
    if (p == path.end() || *p != *d) return false;
    ++p;
  }
  return true;
}

}  // namespace

void ValidateSlurmOptions(const SlurmOptions& o) {
  if (o.shards < 1)
    throw InputError("--shards", fmt::format("{} is not allowed, expected an integer >= 1", o.shards));
  if (o.cpus_per_task < 1)
    throw InputError("--cpus-per-task",
                     fmt::format("{} is not allowed, expected an integer >= 1", o.cpus_per_task));
  // Partition names: letters, digits, _ - . (a comma-separated list is allowed by sbatch).
  const bool partition_ok = std::all_of(o.partition.begin(), o.partition.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ',';
  });
  if (!partition_ok)
    throw InputError("--partition", fmt::format("'{}' is not a partition name, expected letters, digits, _ - . "
                                                "(a comma-separated list of names)",
                                                CommentText(o.partition)));
  // sbatch --time: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED / INFINITE.
  if (!IsSlurmTime(o.time))
    throw InputError("--time", fmt::format("'{}' is not a SLURM time limit, expected MINUTES, HH:MM:SS, "
                                           "D-HH:MM:SS (or MM:SS, D-HH, D-HH:MM, UNLIMITED)",
                                           CommentText(o.time)));
  if (o.log_dir.empty()) throw InputError("--log-dir", "is empty, expected a directory for the job logs");
}

std::string EmitSlurm(const SweepConfig& s, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& o) {
  ValidateSlurmOptions(o);
  // A shard runs whole tasks (SweepTasks: one game and seed with all its solvers), so array tasks
  // beyond their number would start jobs with nothing to do.
  const size_t tasks = SweepTasks(s).size();
  if (static_cast<size_t>(o.shards) > tasks)
    throw InputError("--shards", fmt::format("{} is more than the sweep's {} tasks (a task is one game and seed with "
                                             "all its solvers, and a shard runs whole tasks), expected at most {}",
                                             o.shards, tasks, tasks));
  const std::string sweep = fs::absolute(sweep_path).lexically_normal().string();
  const std::string dir = fs::absolute(out).lexically_normal().string();
  const std::string logs = fs::absolute(o.log_dir).lexically_normal().string();
  // The merge job writes DIR and refuses files there that nlhf-sweep did not write: logs inside it
  // would make it fail once every shard had run.
  if (IsWithin(fs::path(logs), fs::path(dir)))
    throw InputError("--log-dir",
                     fmt::format("{} is inside the output directory {}, where the merge job refuses files that "
                                 "nlhf-sweep did not write, expected a directory outside it",
                                 logs, dir));
  // Every value is quoted for the shell that runs the script; the --wrap commands are quoted once
  // for the job's shell (sbatch runs them with sh) and again, whole, for the submitting shell.
  const std::string q_bin = ShellQuote(o.sweep_binary), q_dir = ShellQuote(dir);
  std::string sets;
  // (Appended in two steps: GCC 12 warns falsely (-Wrestrict) inside `" " + std::string&&` here.)
  for (const std::string& set : s.sets) {
    sets += ' ';
    sets += ShellQuote("--set=" + set);
  }
  const std::string shard_command =
      fmt::format("{} {}{} --shard \"$SLURM_ARRAY_TASK_ID\"/{} --out {}/shard-\"$SLURM_ARRAY_TASK_ID\" --jobs {} --quiet",
                  q_bin, ShellQuote(sweep), sets, o.shards, q_dir, o.cpus_per_task);
  // The merge names this submission's shards, DIR/shard-1 to DIR/shard-N (a loop: sbatch runs the
  // command with sh, which has no {1..N}); a glob would also take the shards an earlier submission
  // with more of them left there.
  const std::string merge_command = fmt::format(
      "set --; i=1; while [ \"$i\" -le {} ]; do set -- \"$@\" {}/shard-\"$i\"; i=$((i + 1)); done; "
      "exec {} --merge \"$@\" --out {}",
      o.shards, q_dir, q_bin, q_dir);
  const std::string common = fmt::format(
      "{} --time={}", o.partition.empty() ? "" : " --partition=" + ShellQuote(o.partition), ShellQuote(o.time));
  return fmt::format(
      R"(#!/usr/bin/env bash
# nlhf-sweep on SLURM: {shards} array tasks each run one shard of {sweep_text} ({runs} runs in all),
# then a merge job (started only if every shard succeeded) writes {dir_text}.
# Submit with: bash THIS_SCRIPT     (needs sbatch; generated by nlhf {version})
set -euo pipefail
mkdir -p -- {logs}
array=$(sbatch --parsable --job-name=nlhf-sweep --array=1-{shards}{common} \
  --cpus-per-task={cpus} --output={shard_log} \
  --wrap={shard_command})
merge=$(sbatch --parsable --job-name=nlhf-merge --dependency="afterok:$array"{common} \
  --output={merge_log} \
  --wrap={merge_command})
printf '%s\n' "submitted shards as job $array and the merge as job $merge; results in "{dir}
)",
      fmt::arg("shards", o.shards), fmt::arg("sweep_text", CommentText(sweep)), fmt::arg("runs", s.RunCount()),
      fmt::arg("dir_text", CommentText(dir)), fmt::arg("version", kVersion), fmt::arg("logs", ShellQuote(logs)),
      fmt::arg("common", common), fmt::arg("cpus", o.cpus_per_task),
      fmt::arg("shard_log", ShellQuote(SlurmFilePattern(logs) + "/shard-%a.out")),
      fmt::arg("merge_log", ShellQuote(SlurmFilePattern(logs) + "/merge.out")),
      fmt::arg("shard_command", ShellQuote(shard_command)), fmt::arg("merge_command", ShellQuote(merge_command)),
      fmt::arg("dir", q_dir));
}

}  // namespace nlhf
