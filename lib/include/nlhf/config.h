#pragma once
// Experiment configuration: the YAML file of `nlhf-run` (INTERFACE.md section 2), parsed strictly.
// Unknown keys (with a "did you mean"), wrong types, out-of-range values and unknown generator or
// solver names are all reported at once, each with file:line:col and its key path. `--set
// KEY=VALUE` overrides are applied to the YAML tree before validation, with the same checks.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/run.h"

namespace nlhf {

// Several input errors found in one pass; what() is the first.
class InputErrors : public InputError {
 public:
  explicit InputErrors(std::vector<InputError> errors);
  const std::vector<InputError>& errors() const { return errors_; }

 private:
  std::vector<InputError> errors_;
};

// A registry entry with the parameters the user gave (typed and range-checked, not yet defaulted).
struct ComponentConfig {
  std::string name;
  GivenParams params;
  // Solvers only: the entry's `label:` or, by default, the entry as written (`omd(eta=auto)`).
  // Unique within an experiment; it tells variants of one solver apart in every output.
  std::string label;
};

struct ExperimentConfig {
  std::string source;  // the YAML file, "" if built in code
  std::string name = "experiment";
  ComponentConfig game;
  ComponentConfig reference{"uniform", {}, ""};
  double beta = 0.01;
  std::vector<std::uint64_t> seeds{0};
  std::vector<ComponentConfig> solvers;
  StopRules stop;
  LogOptions log;
  std::string output;  // "" = runs/<name>

  // Where each key path was written (for errors found later, e.g. by a solver's Reset).
  std::map<std::string, SourceLocation> locations;
  // The location of `key` or of its closest written ancestor.
  SourceLocation Locate(const std::string& key) const;
  std::string OutputDir() const { return output.empty() ? "runs/" + name : output; }
};

// Reads and validates `path` with the overrides `sets` ("KEY=VALUE"). Relative file paths inside
// the experiment are resolved against the YAML file's folder. Throws InputErrors.
ExperimentConfig LoadExperiment(const std::string& path, const std::vector<std::string>& sets = {});
// The same from text; `base_dir` resolves relative paths. `sweep_file` also accepts the top-level
// keys `sweep` and `zip` (read by sweep.h).
ExperimentConfig ParseExperiment(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& sets, const std::string& base_dir,
                                 bool sweep_file = false);

// Every default filled in (solver steps whose default depends on the game stay implicit and are
// recorded per run in summary.json), plus the nlhf version and git commit. Parsing it again gives
// the same experiment.
std::string ResolvedYaml(const ExperimentConfig& config);

// ResolvedYaml without the lines that do not change results (version, output): equal strings mean
// identical traces. Run ids and sweep task ids hash it.
std::string ExperimentFingerprint(const ExperimentConfig& config);

}  // namespace nlhf
