#pragma once
// summary.json of nlhf-run (docs/file-formats.md): one object per run, in run order.
#include <string>

#include "nlhf/config.h"
#include "nlhf/experiment.h"

namespace nlhf {

std::string SummaryJson(const ExperimentConfig& config, const ExperimentResult& result);

}  // namespace nlhf
