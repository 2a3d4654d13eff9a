#include "nlhf/shell.h"

namespace nlhf {

std::string ShellQuote(std::string_view text) {
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  };
  // A leading = is expanded by zsh (=ls is /bin/ls); quote it too.
  bool all_plain = !text.empty() && text.front() != '=';
  for (char c : text) all_plain = all_plain && plain(c);
  if (all_plain) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace nlhf
