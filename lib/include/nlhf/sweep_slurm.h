#pragma once
// A submit script for a SLURM cluster: a job array of `shards` tasks, each running one shard of a
// sweep, and a merge job that depends on the array's success.
#include <string>

#include "nlhf/sweep_config.h"

namespace nlhf {

struct SlurmOptions {
  int shards = 4;
  std::string partition;  // "" = the cluster's default
  std::string time = "01:00:00";
  int cpus_per_task = 1;
  std::string log_dir = "slurm-logs";
  std::string sweep_binary = "nlhf-sweep";
};
// Throws InputError for a value the script cannot pass to sbatch (a count < 1, a partition or time
// limit sbatch does not accept).
void ValidateSlurmOptions(const SlurmOptions& options);
// Every interpolated value is shell-quoted, so any file name or --set value arrives unchanged.
std::string EmitSlurm(const SweepConfig& sweep, const std::string& sweep_path, const std::string& out,
                      const SlurmOptions& options);

}  // namespace nlhf
