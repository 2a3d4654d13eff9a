#pragma once
// The processor features this build of nlhf was compiled for, and whether the processor it runs on
// has them. With NLHF_SSE41 (cmake/Isa.cmake; the default where the build machine has SSE4.1) the
// library uses SSE4.1 instructions, so a copy built on one machine and run on a processor without
// them would die of an illegal instruction: the tools and the Python module ask here first and
// refuse with a message instead.
#include <string>

namespace nlhf {

// "" when the running processor has every feature this build uses; else what is missing and how to
// build for this processor (one sentence, no "error:" prefix).
std::string MissingProcessorFeatures();

}  // namespace nlhf
