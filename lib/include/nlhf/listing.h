#pragma once
// Human-readable listings of the registries for `--list`: every entry with its one-line doc and
// every parameter with type, default and allowed values, from the same tables the parsers use.
#include <ostream>
#include <string_view>

namespace nlhf {

// `what` is one of "games", "references", "solvers", "metrics". Throws InputError otherwise.
void PrintListing(std::string_view what, std::ostream& out);

}  // namespace nlhf
