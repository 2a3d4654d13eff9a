#pragma once
// A registry: an explicit list of named entries, each with a one-line doc, a parameter table and,
// for the kinds that have them, traits (what the entry is, read by code that must not name it:
// SolverTraits). Lookup of an unknown name throws an InputError that lists the valid names.
#include <string>
#include <string_view>
#include <vector>

#include "nlhf/errors.h"
#include "nlhf/params.h"

namespace nlhf {

// The traits of a kind of entry that has none.
struct NoTraits {};

template <class Factory, class Traits = NoTraits>
struct RegistryEntry {
  std::string name;
  std::string doc;  // one line
  std::vector<ParamSpec> params;
  Factory make;
  Traits traits = {};
};

template <class Factory, class Traits = NoTraits>
class Registry {
 public:
  using Entry = RegistryEntry<Factory, Traits>;

  // `kind` names the entries in messages: "game", "reference".
  Registry(std::string kind, std::vector<Entry> entries)
      : kind_(std::move(kind)), entries_(std::move(entries)) {}

  const std::string& kind() const { return kind_; }
  const std::vector<Entry>& entries() const { return entries_; }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const Entry& e : entries_) names.push_back(e.name);
    return names;
  }

  const Entry* TryFind(std::string_view name) const {
    for (const Entry& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }

  // `key` is the key path for messages ("game.type").
  const Entry& Find(std::string_view name, const std::string& key) const {
    if (const Entry* e = TryFind(name)) return *e;
    std::string problem = "unknown " + kind_ + " '" + std::string(name) + "'";
    problem += DidYouMeanSuffix(name, Names());
    throw InputError(key, problem + ", valid: " + JoinNames(Names()));
  }

 private:
  std::string kind_;
  std::vector<Entry> entries_;
};

}  // namespace nlhf
