#include "nlhf/processor.h"

namespace nlhf {

std::string MissingProcessorFeatures() {
#if defined(__SSE4_1__) && (defined(__x86_64__) || defined(__i386__))
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.1"))
    return "this nlhf was built for processors with SSE4.1 (NLHF_SSE41, on where the build machine has "
           "it), and this processor has none; build it here (bash scripts/build.sh) or configure with "
           "-DNLHF_SSE41=OFF";
#endif
  return "";
}

}  // namespace nlhf
