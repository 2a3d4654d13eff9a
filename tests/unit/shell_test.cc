// Tests of lib/src/shell.cc: ShellQuote, checked by running the quoted words through /bin/sh.
#include "nlhf/shell.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace nlhf {
namespace {

// The standard output of a command run by /bin/sh (popen).
std::string Output(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  std::string out;
  char buffer[256];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

// What a shell makes of WORD: the output of `printf %s WORD`.
std::string ShellReads(const std::string& word) { return Output("printf %s " + word); }

const std::vector<std::string> kHostile = {
    "plain",        "with space",   "it's",           "s'$(touch PWNED)'.yaml", "$HOME",         "`id`",
    "a\"b",         "back\\slash",  "new\nline",      "tab\there",              "*",             "~",
    "'",            "''",           "=ls",            "semi;colon",             "a|b&c>d<e",     "!event",
    "-n",           "{a,b}",        "$((1+1))",       "\x01\x7f",               "ünïcødé",       "%a%%"};

TEST(ShellQuote, LeavesPlainWordsAlone) {
  EXPECT_EQ(ShellQuote("/tmp/run-1/out_2.csv"), "/tmp/run-1/out_2.csv");
  EXPECT_EQ(ShellQuote("solvers[0].eta=0.1"), "'solvers[0].eta=0.1'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
}

TEST(ShellQuote, ShellReadsBackExactlyTheText) {
  for (const std::string& text : kHostile) EXPECT_EQ(ShellReads(ShellQuote(text)), text) << text;
}

TEST(ShellQuote, QuotedTwiceSurvivesAShellRunningAShell) {
  // sbatch --wrap=WORD: the submitting shell reads WORD, the job's shell reads the command again.
  for (const std::string& text : kHostile) {
    const std::string inner = "printf %s " + ShellQuote(text);
    EXPECT_EQ(Output("sh -c " + ShellQuote(inner)), text) << text;
    EXPECT_EQ(Output("bash -c " + ShellQuote("sh -c " + ShellQuote(inner))), text) << text;
  }
}

}  // namespace
}  // namespace nlhf
