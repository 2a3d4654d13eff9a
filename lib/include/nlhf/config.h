#pragma once
// Experiment configuration: the YAML file of `nlhf-run` (docs/cli.md), parsed strictly.
// Unknown keys (with a "did you mean"), wrong types, out-of-range values and unknown generator or
// solver names are all reported at once, each with file:line:col and its key path. `--set
// KEY=VALUE` overrides are applied to the YAML tree before validation, with the same checks.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nlhf/build.h"
#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/nash_set.h"
#include "nlhf/oracle.h"
#include "nlhf/run.h"

namespace nlhf {

// A registry entry with the parameters the user gave (typed and range-checked, not yet defaulted).
struct ComponentConfig {
  std::string name;
  GivenParams params;
  // Solvers only: the entry's `label:` or, by default, the entry as written (`omd(eta=auto)`).
  // Unique within an experiment; it tells variants of one solver apart in every output.
  std::string label;
  // Solvers only: the entry's `oracle:` (oracle.h); exact by default. A non-exact oracle is
  // written in config.resolved.yaml (and so enters the fingerprint); the exact one is not, so
  // experiments without oracles keep their fingerprints.
  OracleConfig oracle = {};
  // Games only: the game-level key `storage:` (generators.h), normalized: kAuto when it names what
  // auto would choose for this generator, so that only a storage other than the default is written
  // in config.resolved.yaml and enters the fingerprint (existing experiments keep theirs).
  GameStorage storage = GameStorage::kAuto;
};

// A solver entry's default label: the entry as written (its name and the parameters given, then
// a non-exact oracle), `omd(eta=auto)`.
std::string DefaultLabel(const ComponentConfig& solver);

// The supported range of beta (0 aside, for the solvers whose traits allow it). Measured on
// random_uniform (n = 10, 100), random_skew, bradley_terry, cyclic, tournament and rps3 with softmax_normal
// references: down to beta = 1e-10 pi*_beta is certified (certificate <= 1e-21) and every metric is
// finite; at 1e-12 the certificate fails on random_uniform n = 10 (gap_beta of pi* about 2e-10, no
// KL metrics) and `eta: auto` cannot find rho; below 2.2e-308 (subnormal) every metric is NaN. The
// floor 1e-8 keeps two decades of margin above the last good value; the project promises stability
// down to 1e-4. Above 1e6 pi*_beta equals mu to machine precision, gap_beta is beta times rounding
// noise (7.7e68 for nash_mp at beta = 1e100) and at 1e308 `eta: auto` fails; the tests go up to 1e6.
inline constexpr double kMinBeta = 1e-8;
inline constexpr double kMaxBeta = 1e6;
// Checks beta as the YAML key `beta` is checked: 0 only with a solver whose traits allow it, else a
// number in [kMinBeta, kMaxBeta]. `solver` empty: no solver to check 0 against (0 is allowed).
// Throws InputError(key, ...) with the YAML reader's message (for code that takes beta without a
// YAML file: the Python bindings).
void CheckBeta(double beta, const std::string& solver = "", const std::string& key = "beta");
// A run seed as the YAML key `seeds` reads each of its values (and `--seed` reads its one): an
// integer in [0, kMaxSeed].
ParamSpec RunSeedSpec();
// A solver entry's `oracle:` keys (type, batch, sampler) as raw text, checked as the YAML reader checks
// them: known keys and values, `solver` accepts the type, and batch or sampler never without a type
// (they would silently go to the exact oracle). Throws InputError naming `key` ("oracle.type").
OracleConfig MakeOracleConfig(const std::vector<std::pair<std::string, std::string>>& raw, const std::string& solver,
                              const std::string& key = "oracle");
// The problem with batch or sampler given without a type: "is missing (the default, exact, takes no batch), ...".
std::string OracleTypeMissing(std::string_view given);

// A file the experiment reads (a game's or a reference's `path`), with its content hash taken when
// the experiment was loaded. config.resolved.yaml writes the absolute path with `sha256: HEX` next
// to it (`game: {type: matrix, path: /abs/P.csv, sha256: ...}`); loading a file that records a hash
// verifies it and refuses changed content. The hash, not the path, enters ExperimentFingerprint.
struct InputFile {
  std::string key;     // the key path that names it: "game.path", "reference.path"
  std::string path;    // absolute and normalized
  std::string sha256;  // 64 lowercase hex digits
};

// What the file at key path `key` ("game.path", "reference.path") must be, for its error messages:
// a game reads CSV or .nfg, a reference CSV.
const char* ExpectedInputFile(std::string_view key);

// Whether each game's pi*_beta is computed (`equilibrium:` in the YAML).
enum class EquilibriumMode {
  kCertified,  // the certified pi*_beta, rho and the stability limits of every game (the default)
  kNone,       // none: the metrics that need pi* are empty cells, `auto` steps take their defaults
};

struct ExperimentConfig {
  std::string source;  // the YAML file, "" if built in code
  std::string name = "experiment";
  ComponentConfig game;
  ComponentConfig reference{"uniform", {}, ""};
  double beta = 0.01;
  // Only written in the fingerprint when `none`, so experiments that predate the key keep theirs.
  EquilibriumMode equilibrium = EquilibriumMode::kCertified;
  // Whether the games' pi*_beta is computed: beta > 0 and `equilibrium: certified`.
  bool SolvesEquilibrium() const { return beta > 0.0 && equilibrium == EquilibriumMode::kCertified; }
  // `ne_selection:` the point of the beta = 0 game's Nash set that kl_to_ne (and, at beta = 0,
  // kl_to_star and the rest of pi*) refers to. Written in the fingerprint only where it is used.
  NashSelection ne_selection = NashSelection::kKlProjection;
  // Whether the games' beta = 0 equilibrium is computed (nash_set.h): `equilibrium: certified` and
  // either beta = 0 (it is pi* there) or kl_to_ne asked for in log.metrics or stop.tolerance.
  bool SolvesNash() const;
  std::vector<std::uint64_t> seeds{0};
  std::vector<ComponentConfig> solvers;
  StopRules stop;
  LogOptions log;
  std::string output;  // "" = runs/<name>
  // Every input file with its content hash, in key order (game, then reference).
  std::vector<InputFile> inputs;

  // Where each key path was written (for errors found later, e.g. by a solver's Reset).
  std::map<std::string, SourceLocation> locations;
  // The location of `key` or of its closest written ancestor.
  SourceLocation Locate(const std::string& key) const;
  std::string OutputDir() const { return output.empty() ? "runs/" + name : output; }
  // Whether some solver entry has a sampled or pairs oracle (makes preference queries).
  bool AnySampled() const;
};

// Reads and validates `path` with the overrides `sets` ("KEY=VALUE"). The file must be a regular
// file of at most kMaxYamlBytes (input_file.h). Relative file paths inside the experiment are
// resolved against the YAML file's folder and made absolute; each input file is checked and
// hashed (ExperimentConfig::inputs). Strict YAML: a key given twice in one map, a second document
// and tabs in the indentation are errors. Throws InputErrors.
ExperimentConfig LoadExperiment(const std::string& path, const std::vector<std::string>& sets = {});
// The same from text; `base_dir` resolves relative paths. `sweep_file` also accepts the top-level
// keys `sweep` and `zip` (read by sweep.h).
ExperimentConfig ParseExperiment(const std::string& text, const std::string& source,
                                 const std::vector<std::string>& sets, const std::string& base_dir,
                                 bool sweep_file = false);

// Every default filled in (solver steps whose default depends on the game stay implicit and are
// recorded per run in summary.json), plus the nlhf version and git commit. Parsing it again gives
// the same experiment.
// `as_written[i]`: solver entry i is written as given (its parameters as given, no label), not
// resolved, for a sweep whose points label it by its swept values: its default label is the entry
// as written, so a resolved entry (every default, an explicit label) would label every point alike.
// `metrics_as_written`: log.metrics is left out when none was given, for a sweep whose points' default
// sets differ (beta = 0 at some, equilibrium: none at others): each point then takes its own.
// `reused`: a sweep's tasks that other builds computed (TaskIndex::OtherBuilds), listed under the
// `nlhf` key as `reused: [{version, git_commit, tasks}]`.
std::string ResolvedYaml(const ExperimentConfig& config, const std::vector<bool>& as_written = {},
                         bool metrics_as_written = false, const std::vector<BuildTasks>& reused = {});

// The metrics a config logs: its log.metrics, or when none was given the default set at its beta
// (without those that need an equilibrium under equilibrium: none), in the metric table's order.
std::vector<Metric> LoggedMetrics(const ExperimentConfig& config);

// SHA-256 (hex) of ResolvedYaml without what does not change results (version, output) and with
// input files identified by content hash instead of path: equal fingerprints mean identical traces,
// the same content at another path gives the same fingerprint, and an edited input a different
// one. Run ids and sweep task ids hash it.
std::string ExperimentFingerprint(const ExperimentConfig& config);
// "" when `metric` can be logged (tolerance: false) or stopped on (true) at beta under `mode`; else
// the problem and what is allowed, for a message after the metric's key: not defined at beta = 0
// (kl_from_star, span, fp_residual), or needing an equilibrium that `equilibrium: none` leaves out.
std::string MetricUnavailable(Metric metric, double beta, EquilibriumMode mode, bool tolerance);

}  // namespace nlhf
