#include "nlhf/listing.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "nlhf/errors.h"
#include "nlhf/generators.h"
#include "nlhf/metrics.h"

namespace nlhf {

namespace {

template <class Entries>
void PrintEntries(const Entries& entries, std::ostream& out) {
  for (const auto& e : entries) {
    fmt::print(out, "{}\n    {}\n", e.name, e.doc);
    for (const ParamSpec& p : e.params) {
      fmt::print(out, "    {:<14} {:<14} default {:<10} {}; allowed: {}\n", p.name,
                 ParamTypeName(p.type), p.DefaultText(), p.doc, p.AllowedText());
    }
  }
}

}  // namespace

void PrintListing(std::string_view what, std::ostream& out) {
  if (what == "games") {
    PrintEntries(GameRegistry().entries(), out);
  } else if (what == "references") {
    PrintEntries(ReferenceRegistry().entries(), out);
  } else if (what == "metrics") {
    for (const MetricInfo& m : MetricTable())
      fmt::print(out, "{:<15} {}{}\n", m.name, m.doc, m.needs_star ? " [needs pi*]" : "");
  } else {
    throw InputError("--list", fmt::format("'{}' is not a listing, expected games, references or metrics",
                                           what));
  }
}

}  // namespace nlhf
