#pragma once
// Spec strings: a registered entry and its parameters in one line, `name(key=value,...)`, e.g.
// `bradley_terry(n=20,scale=1,seed=3)`. Canonical specs list every parameter in table order with
// values that read back exactly, so a spec string identifies a game or policy completely.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlhf/params.h"

namespace nlhf {

struct SpecCall {
  std::string name;
  std::vector<std::pair<std::string, std::string>> args;  // raw key=value text, in given order
};

// Parses "name" or "name(k=v,...)". Values may be bare (no , ( ) [ ] = or spaces), "quoted"
// strings, or [lists,of,numbers]. Throws InputError naming the offending character.
SpecCall ParseSpec(std::string_view text);

// "name(k=v,...)" with every parameter of `params`, in order; "name" when there are none.
std::string FormatSpec(std::string_view name, const ParamMap& params);

}  // namespace nlhf
