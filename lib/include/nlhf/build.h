#pragma once
// The build of nlhf that computed a result: its version and git commit (nlhf/version.h). A sweep's
// task store records it for every task it keeps, so that results reused after a rebuild are
// reported with the build that computed them (config.resolved.yaml, nlhf-sweep's end line).
#include <compare>
#include <cstdint>
#include <string>

#include "nlhf/version.h"

namespace nlhf {

struct Build {
  // Both kUnrecordedBuild for a task stored by a release that did not record its build.
  std::string version, git_commit;
  auto operator<=>(const Build&) const = default;
};

inline constexpr const char* kUnrecordedBuild = "unrecorded";

// The build running now.
inline Build ThisBuild() { return Build{kVersion, kGitCommit}; }

// How messages name a build: "nlhf 0.1.0 (git commit 4a2de1dea1f6)", or "a release that did not
// record its build".
inline std::string BuildName(const Build& b) {
  return b.version == kUnrecordedBuild ? "a release that did not record its build"
                                       : "nlhf " + b.version + " (git commit " + b.git_commit + ")";
}

// How many tasks (of a sweep) one build computed.
struct BuildTasks {
  Build build;
  std::int64_t tasks = 0;
  bool operator==(const BuildTasks&) const = default;
};

}  // namespace nlhf
