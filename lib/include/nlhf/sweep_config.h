#pragma once
// A sweep file (docs/cli.md): an experiment plus `sweep:` (a Cartesian product over key paths) and
// `zip:` (groups of keys that vary together), expanded into points that are each a full experiment,
// validated before anything runs.
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nlhf/config.h"

namespace nlhf {

struct SweepAxis {
  std::string key;                  // a key path: game.n, beta, solvers[0].eta, seeds
  std::vector<std::string> values;  // each a YAML value in flow style
};

struct SweepPoint {
  size_t index = 0;
  std::vector<std::pair<std::string, std::string>> values;  // (key, YAML value), in column order
  ExperimentConfig config;
  std::string fingerprint;  // ExperimentFingerprint(config) (a SHA-256 hex digest), computed once
  // ExperimentFingerprint of the config without its seed list: what one task (one seed) computes.
  // Task ids and run ids hash it, so adding seeds to a sweep keeps the ids of the tasks done.
  std::string task_fingerprint;
};

// "sweep point P (k=v, k2=v2)", or "sweep point P (no swept keys)": how messages name a point.
std::string PointName(const SweepPoint& p);

struct SweepConfig {
  std::string source;    // the sweep file
  std::string text;      // its contents
  std::string base_dir;  // for relative paths
  std::vector<std::string> sets;
  // The base experiment (the file without sweep and zip, with the sets), as read with the points:
  // config.resolved.yaml writes it, with the input hashes of the contents the points were built from.
  ExperimentConfig base;
  std::vector<SweepAxis> sweep;
  std::vector<std::vector<SweepAxis>> zip;
  std::vector<SweepPoint> points;
  std::string fingerprint;  // identifies the expanded sweep; equal for its shards and its resumption

  std::vector<std::string> Keys() const;  // the swept keys, in column order
  size_t RunCount() const;
};

// At most this many points (a larger product is refused before anything is expanded).
inline constexpr size_t kMaxSweepPoints = 1000000;

// Reads, expands and validates every point (errors name the point's swept values). Throws InputErrors.
// The file is parsed once, with the `sets` applied to the whole of it (so `--set sweep.game.n=[1,2]`
// and `--set zip=[...]` change the sweep); each point is the base experiment (without sweep and
// zip) plus its values, sharing the parsed tree, so expansion takes time linear in the points.
// `on_count`, when given, receives the number of points before they are validated.
SweepConfig LoadSweep(const std::string& path, const std::vector<std::string>& sets = {},
                      const std::function<void(size_t)>& on_count = {});
SweepConfig ParseSweep(const std::string& text, const std::string& source, const std::vector<std::string>& sets,
                       const std::string& base_dir, const std::function<void(size_t)>& on_count = {});

// Where `key` of sweep point `point` is written: the sweep file's line and column, a --set, or the
// swept value the point takes. A sweep keeps no key locations once its points are validated (a map
// per point); an error found while running (a step resolved on a game's rho) is located by this,
// which builds that one point again from the sweep's text. The file alone if it cannot.
SourceLocation LocatePointKey(const SweepConfig& sweep, size_t point, const std::string& key);

// The files a sweep reads: the sweep file and every point's input files, once each (an output
// directory may not hold them).
std::vector<std::string> SweepInputFiles(const SweepConfig& sweep);

// The config.resolved.yaml of a sweep written to `out`: the resolved base experiment (its `output`
// set to `out`) followed by the sweep and zip sections, swept input paths made absolute (and, in a
// zip group, paired with their SHA-256), so the file runs again from any directory. `reused`: as
// ResolvedYaml's.
std::string ResolvedSweepYaml(const SweepConfig& sweep, const std::string& out,
                              const std::vector<BuildTasks>& reused = {});

}  // namespace nlhf
