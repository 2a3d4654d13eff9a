#pragma once
// Internal: the builtin reference policies, one per file in this folder; each file's entry function
// (`ReferenceEntry <Name>Entry()`) is declared and listed in registries.cc.
#include "nlhf/generators.h"

namespace nlhf::references {

using ReferenceEntry = Registry<ReferenceFactory>::Entry;

}  // namespace nlhf::references
