#pragma once
// Internal to the library: the experiment parser's entry point for an already parsed (and possibly
// overridden) YAML tree, so that a sweep parses its file once and builds every point from it.
#include <map>
#include <string>

#include "nlhf/config.h"
#include "yaml_tree.h"

namespace nlhf {

// Content hashes by absolute path, so that the points of one sweep read each input file once.
struct InputHashCache {
  std::map<std::string, std::string> sha256;
};

// ParseExperiment on a tree: `origins` locates its nodes (file marks and --set values).
ExperimentConfig ParseExperimentTree(const YAML::Node& root, const yaml::Origins& origins,
                                     const std::string& base_dir, bool sweep_file, InputHashCache& hashes);

}  // namespace nlhf
