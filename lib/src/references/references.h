#pragma once
// Internal: the builtin reference policies, one per file in this folder; registries.cc lists them.
#include "nlhf/generators.h"

namespace nlhf::references {

using ReferenceEntry = Registry<ReferenceFactory>::Entry;

ReferenceEntry UniformEntry();
ReferenceEntry SoftmaxNormalEntry();
ReferenceEntry ZipfEntry();
ReferenceEntry FileEntry();

}  // namespace nlhf::references
