#pragma once
// Quoting for POSIX shells (sh, bash), used to write scripts (nlhf-sweep --emit-slurm) that pass
// arbitrary file names and values through unchanged.
#include <string>
#include <string_view>

namespace nlhf {

// `text` as one shell word that any POSIX shell reads back as exactly `text`: unchanged when it
// consists only of characters no shell treats specially ([A-Za-z0-9_@%+=:,./-], not empty), else
// in single quotes, with each ' written as '\''. Nothing inside single quotes is special ($, `, \,
// ", newlines), so the word is never expanded. Quoting a quoted word again gives a word for a shell
// that runs another shell (sbatch --wrap).
std::string ShellQuote(std::string_view text);

}  // namespace nlhf
