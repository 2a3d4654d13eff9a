#include "nlhf/run_directory.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "nlhf/output.h"
#include "test_util.h"

namespace nlhf {
namespace {

namespace fs = std::filesystem;
using testing::ExpectInputError;
using testing::TempDir;

// Runs each test inside a fresh scratch directory (the rules depend on the current directory).
class RunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = fs::current_path();
    root_ = fs::canonical(dir_.Path(""));
    fs::create_directories(root_ / "work");
    fs::current_path(root_ / "work");
  }
  void TearDown() override { fs::current_path(old_cwd_); }
  void Touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p) << text; }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // Every path under `dir`, relative and sorted.
  static std::vector<std::string> Entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) out.push_back(fs::relative(e.path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
  }
  // A pid that belonged to a process that has exited.
  static long DeadPid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
  }

  TempDir dir_;
  fs::path old_cwd_, root_;
};

OutputDirectoryOptions RunOptions(bool force = false) {
  OutputDirectoryOptions o;
  o.tool = "nlhf-run";
  o.owned = {"trace.csv"};
  o.force = force;
  return o;
}

OutputDirectoryOptions SweepOptions(bool force = false) {
  OutputDirectoryOptions o;
  o.tool = "nlhf-sweep";
  o.staged = false;
  o.owned = {".parts", "trace.csv"};
  o.owned_folders = {".parts"};
  o.force = force;
  return o;
}

std::vector<OutputDirectory::StagedFile> OneTrace(const std::string& text) {
  return {{"trace.csv", [text](std::FILE* f) { WriteString(f, text); }}};
}

TEST_F(RunDirectoryTest, NormalizesDotsTrailingSlashesAndSymlinks) {
  EXPECT_EQ(NormalizePath("newdir/"), root_ / "work" / "newdir");
  EXPECT_EQ(NormalizePath("a/b/../c//"), root_ / "work" / "a" / "c");
  EXPECT_EQ(NormalizePath("nonexist/.."), root_ / "work");
  fs::create_directories(root_ / "real");
  fs::create_directory_symlink(root_ / "real", "link");
  EXPECT_EQ(NormalizePath("link/x"), root_ / "real" / "x");
}

TEST_F(RunDirectoryTest, RefusesTheCurrentDirectoryAndItsAncestors) {
  for (const char* dir : {".", "./", "nonexist/..", "../work"})
    ExpectInputError([&] { CheckOutputPath(dir, "--out", {}); }, {"is the current directory", "--out"});
  for (const char* dir : {"..", "nonexist/../..", "../.."})
    ExpectInputError([&] { CheckOutputPath(dir, "--out", {}); }, {"which holds the current directory"});
  ExpectInputError([&] { CheckOutputPath("/", "--out", {}); }, {"is the root directory"});
}

TEST_F(RunDirectoryTest, RefusesTheHomeDirectory) {
  const char* old = std::getenv("HOME");
  const std::string saved = old ? old : "";
  fs::create_directories(root_ / "home" / "me");
  ::setenv("HOME", (root_ / "home" / "me").c_str(), 1);
  ExpectInputError([&] { CheckOutputPath((root_ / "home" / "me/").string(), "--out", {}); }, {"your home directory"});
  ExpectInputError([&] { CheckOutputPath((root_ / "home").string(), "--out", {}); }, {"holds your home directory"});
  EXPECT_NO_THROW(CheckOutputPath((root_ / "home" / "me" / "runs").string(), "--out", {}));
  if (old) ::setenv("HOME", saved.c_str(), 1);
  else ::unsetenv("HOME");
}

// A leading ~ is not expanded by the tools (nor by a shell after --out=, nor in YAML): refused, with
// the path spelled out where HOME tells it, and nothing created; a ~ further in is an ordinary name.
TEST_F(RunDirectoryTest, RefusesAPathStartingWithATilde) {
  const char* old = std::getenv("HOME");
  const std::string saved = old ? old : "";
  ::setenv("HOME", "/home/me", 1);
  ExpectInputError([&] { CheckOutputPath("~/runs/x", "--out", {}); },
                   {"~/runs/x", "--out", "starts with ~, which is not expanded here", "(/home/me/runs/x)"});
  ExpectInputError([&] { CheckOutputPath("~", "--out", {}); }, {"starts with ~"});
  ExpectInputError([&] { CheckOutputPath("~me/runs", "output", {}); }, {"output", "starts with ~"});
  ExpectInputError([&] { OutputDirectory out("~/run", RunOptions()); }, {"starts with ~"});
  EXPECT_FALSE(fs::exists(root_ / "~"));
  EXPECT_NO_THROW(CheckOutputPath("runs/~x", "--out", {}));
  if (old) ::setenv("HOME", saved.c_str(), 1);
  else ::unsetenv("HOME");
}

TEST_F(RunDirectoryTest, RefusesADirectoryHoldingAnInput) {
  fs::create_directories(root_ / "data" / "deep");
  Touch(root_ / "data" / "deep" / "P.csv");
  const std::vector<std::string> inputs = {"../data/deep/P.csv"};
  for (const std::string dir : {"../data", "../data/deep", "../data/deep/"})
    ExpectInputError([&] { CheckOutputPath(dir, "--out", inputs); }, {"holds the input file ../data/deep/P.csv"});
  EXPECT_NO_THROW(CheckOutputPath("../data/out", "--out", inputs));
}

TEST_F(RunDirectoryTest, RefusesPathsUnderFilesDanglingSymlinksAndFiles) {
  Touch("file.txt");
  ExpectInputError([&] { CheckOutputPath("file.txt/sub", "--out", {}); }, {"is under", "file.txt, which is a file"});
  ExpectInputError([&] { CheckOutputPath("file.txt", "--out", {}); }, {"exists and is not a directory"});
  fs::create_symlink(root_ / "missing", "dangling");
  ExpectInputError([&] { CheckOutputPath("dangling", "--out", {}); }, {"is a symlink to", "which does not exist"});
  ExpectInputError([&] { CheckOutputPath("dangling/sub", "--out", {}); }, {"goes through", "a symlink"});
}

TEST_F(RunDirectoryTest, RefusesAnUnwritableLocation) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write a read-only directory";
  fs::create_directories("ro");
  fs::permissions("ro", fs::perms::owner_read | fs::perms::owner_exec);
  ExpectInputError([&] { CheckOutputPath("ro/out", "--out", {}); }, {"cannot be written", "Permission denied"});
  fs::permissions("ro", fs::perms::owner_all);
}

// A staged file given whole (an anonymous file) is linked in; where it cannot be, it is written.
TEST_F(RunDirectoryTest, WritesAStagedFileGivenWholeByLinkingIt) {
  std::FILE* whole = UnnamedFile(".", "trace.csv", 0666);
  if (whole == nullptr) GTEST_SKIP() << "no O_TMPFILE here";
  WriteString(whole, "h\nrows\n");
  {
    OutputDirectory out("run", RunOptions());
    out.WriteStaged({{"trace.csv", [](std::FILE* f) { WriteString(f, "h\nrows\n"); }, whole},
                     {"summary.json", [](std::FILE* f) { WriteString(f, "{}"); }}});
  }
  std::fclose(whole);
  EXPECT_EQ(Read("run/trace.csv"), "h\nrows\n");
  EXPECT_EQ(Read("run/summary.json"), "{}");
  struct stat st{};
  ASSERT_EQ(::stat("run/trace.csv", &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);  // one name, and no copy left anywhere
  struct stat written{};
  ASSERT_EQ(::stat("run/summary.json", &written), 0);
  EXPECT_EQ(st.st_mode & 0777, written.st_mode & 0777);  // the permissions of a written file
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(".")) ++entries;
  EXPECT_EQ(entries, 1u);  // run/ only: no staging folder, temp file or lock left
}

TEST_F(RunDirectoryTest, AcceptsANewDirectoryWithATrailingSlash) {
  OutputDirectory out("newdir/", RunOptions());
  out.WriteStaged(OneTrace("a\n"));
  EXPECT_EQ(Read("newdir/trace.csv"), "a\n");
  EXPECT_TRUE(HasMarker("newdir", "nlhf-run"));
  EXPECT_FALSE(HasMarker("newdir", "nlhf-sweep"));
}

TEST_F(RunDirectoryTest, AClaimThatWroteNothingLeavesNoFoldersBehind) {
  { OutputDirectory out("a/b/run", RunOptions()); }
  EXPECT_TRUE(fs::is_empty("."));
  fs::create_directories("a/keep");
  { OutputDirectory out("a/b/run", RunOptions()); }
  EXPECT_TRUE(fs::exists("a/keep"));
  EXPECT_FALSE(fs::exists("a/b"));
  { OutputDirectory("a/b/run", RunOptions()).WriteStaged(OneTrace("x\n")); }
  EXPECT_TRUE(fs::exists("a/b/run/trace.csv"));
}

TEST_F(RunDirectoryTest, ForceNeverReplacesAUsersDirectory) {
  fs::create_directories("thesis");
  Touch("thesis/thesis.tex", "my thesis");
  ExpectInputError([&] { OutputDirectory("thesis", RunOptions(false)); }, {"exists and is not empty", "--force"});
  ExpectInputError([&] { OutputDirectory("thesis", RunOptions(true)); },
                   {"holds files nlhf-run did not write (thesis.tex)", "--force will not replace it"});
  EXPECT_EQ(Read("thesis/thesis.tex"), "my thesis");
  EXPECT_FALSE(fs::exists(".thesis.lock"));
}

// CheckOutputDirectory (the dry run's check) refuses what claiming refuses, with the same message,
// and accepts what claiming accepts, creating and locking nothing either way.
TEST_F(RunDirectoryTest, TheDryRunsCheckRefusesWhatAClaimRefusesAndTouchesNothing) {
  fs::create_directories("thesis");
  Touch("thesis/thesis.tex", "my thesis");
  { OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("r\n")); }
  { OutputDirectory sweep("sweep", SweepOptions()); }
  const std::vector<std::pair<std::string, OutputDirectoryOptions>> refused = {
      {"thesis", RunOptions(false)}, {"thesis", RunOptions(true)}, {"thesis", SweepOptions(false)},
      {"thesis", SweepOptions(true)}, {"run", RunOptions(false)},   {"run", SweepOptions(false)},
      {"sweep", RunOptions(true)}};
  for (const auto& [dir, options] : refused) {
    SCOPED_TRACE(dir + " " + options.tool + (options.force ? " --force" : ""));
    std::string claimed;
    try {
      OutputDirectory claim(dir, options);
      ADD_FAILURE() << "claimed";
    } catch (const InputError& e) {
      claimed = e.what();
    }
    ExpectInputError([&] { CheckOutputDirectory(dir, options); }, {claimed});
  }
  const auto before = Entries(fs::current_path());
  for (const auto& [dir, options] : std::vector<std::pair<std::string, OutputDirectoryOptions>>{
           {"new/deeper", RunOptions()}, {"new2", SweepOptions()}, {"run", RunOptions(true)}, {"sweep", SweepOptions()}}) {
    SCOPED_TRACE(dir);
    EXPECT_NO_THROW(CheckOutputDirectory(dir, options));
  }
  EXPECT_EQ(Entries(fs::current_path()), before);  // nothing created, no lock left
  EXPECT_EQ(Read("thesis/thesis.tex"), "my thesis");
}

// A directory of the other tool is named as such (with or without --force), and left as it is.
TEST_F(RunDirectoryTest, TheOtherToolsOutputIsRefusedAsSuch) {
  { OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("r\n")); }
  { OutputDirectory sweep("sweep", SweepOptions()); }
  Touch("sweep/trace.csv", "s\n");
  for (const bool force : {false, true}) {
    ExpectInputError([&] { OutputDirectory("run", SweepOptions(force)); },
                     {"is an nlhf-run output directory, which nlhf-sweep does not write into"});
    ExpectInputError([&] { OutputDirectory("sweep", RunOptions(force)); },
                     {"is an nlhf-sweep output directory, which nlhf-run does not write into"});
  }
  EXPECT_EQ(Read("run/trace.csv"), "r\n");
  EXPECT_EQ(Read("sweep/trace.csv"), "s\n");
}

TEST_F(RunDirectoryTest, ForceReplacesADirectoryTheToolWroteButNotForeignFiles) {
  { OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("old\n")); }
  {
    OutputDirectory out("run", RunOptions(true));
    out.WriteStaged(OneTrace("new\n"));
  }
  EXPECT_EQ(Read("run/trace.csv"), "new\n");
  Touch("run/notes.txt", "mine");
  ExpectInputError([&] { OutputDirectory("run", RunOptions(true)); }, {"holds notes.txt, which nlhf-run did not write"});
  EXPECT_EQ(Read("run/notes.txt"), "mine");
  EXPECT_EQ(Read("run/trace.csv"), "new\n");
}

TEST_F(RunDirectoryTest, ASecondWriterIsRefusedWithTheHoldersPid) {
  {
    OutputDirectory first("run", RunOptions());
    ExpectInputError([&] { OutputDirectory("run/", RunOptions(true)); },
                     {"run is being written by process " + std::to_string(::getpid())});
    const OutputDirectory sweep_first("sweep", SweepOptions());
    ExpectInputError([&] { OutputDirectory("sweep", SweepOptions()); }, {"sweep is being written by process"});
  }
  EXPECT_FALSE(fs::exists(".run.lock"));  // removed on release
  EXPECT_NO_THROW(OutputDirectory("run", RunOptions()));
}

TEST_F(RunDirectoryTest, LockFollowsARemovedAndRecreatedLockFile) {
  const fs::path file = root_ / "x.lock";
  auto a = std::make_unique<DirectoryLock>(file, "x", true, "nlhf-run");
  a.reset();  // unlinks
  DirectoryLock b(file, "x", true, "nlhf-run");
  EXPECT_EQ(DirectoryLock::ReadPid(file), ::getpid());
}

// Readers only (a dry run's probe for an instant, a merge reading a shard) hold the lock shared,
// and its file holds an earlier writer's pid: here a live process's (init's, 1), as a recycled pid
// would be. A writer waits for the readers, never naming that process, and is refused as "being
// read" if they stay.
TEST_F(RunDirectoryTest, AWriterWaitsForReadersAndNeverNamesAnEarlierWritersPid) {
  const fs::path file = root_ / "x.lock";
  const auto reader = [&] {
    Touch(file, "1\n");
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::flock(fd, LOCK_SH), 0);
    return fd;
  };
  const int brief = reader();
  std::thread done([brief] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::close(brief);
  });
  EXPECT_NO_THROW(DirectoryLock(file, "x", true, "nlhf-run"));
  done.join();
  const int stays = reader();
  ExpectInputError([&] { DirectoryLock lock(file, "x", true, "nlhf-run"); },
                   {"x is being read by another process (nlhf-sweep --merge reads its shards); wait for it to finish, "
                    "or choose another --out"});
  EXPECT_EQ(Read(file), "1\n");  // the readers' file is left as it was
  ::close(stays);
}

// A lock file that cannot be made (say beside --out /proc/x) is named with what it is for: the
// user gave the directory, not the lock's name.
TEST_F(RunDirectoryTest, ALockThatCannotBeMadeSaysWhatItIsFor) {
  const fs::path file = root_ / "missing" / ".x.lock";
  ExpectInputError([&] { DirectoryLock lock(file, "missing/x", true, "nlhf-run"); },
                   {"writing " + file.string() + ": No such file or directory",
                    "(the lock file that keeps two copies from writing missing/x at once)"});
}

// The names RunOptions' and SweepOptions' tools write (the predicates OutputDirectory passes).
bool TraceOrMarker(const std::string& name) { return name == "trace.csv" || name == kMarkerFile; }
bool TempOfTrace(const std::string& name) { return name.rfind(".trace.csv.tmp-", 0) == 0; }

TEST_F(RunDirectoryTest, RemovesLeftoversOfDeadProcessesOnly) {
  const long dead = DeadPid();
  fs::create_directories(fmt::format(".run.partial-{}", dead));
  Touch(fmt::format(".run.partial-{}/trace.csv", dead));
  fs::create_directories(".run.partial-1");  // pid 1 is alive
  Touch(fmt::format(".trace.csv.tmp-{}-123", dead));
  Touch(".trace.csv.tmp-1-123");
  Touch(fmt::format(".other.partial-{}", dead));  // another directory's staging: not ours to judge
  Touch(".notes.tmp-abc");
  // Around a staged output (the user's folder): only this output's staging folders.
  EXPECT_EQ(RemoveStaleLeftovers(".", TraceOrMarker, "run"), 1);
  EXPECT_FALSE(fs::exists(fmt::format(".run.partial-{}", dead)));
  EXPECT_TRUE(fs::exists(fmt::format(".trace.csv.tmp-{}-123", dead)));
  // Inside an output directory: temp files of dead processes.
  EXPECT_EQ(RemoveStaleLeftovers(".", TempOfTrace), 1);
  EXPECT_FALSE(fs::exists(fmt::format(".trace.csv.tmp-{}-123", dead)));
  for (const std::string kept : {".run.partial-1", ".trace.csv.tmp-1-123", ".notes.tmp-abc"}) EXPECT_TRUE(fs::exists(kept));
  EXPECT_TRUE(fs::exists(fmt::format(".other.partial-{}", dead)));
}

// A user's entry that merely has a leftover's name, with a dead process's pid in it, stays: a
// staging folder holding anything but the tool's files (or a folder in it, or a link to a folder), a
// temp-like file the tool would not write, a folder with a temp file's name.
TEST_F(RunDirectoryTest, LeavesAUsersEntriesThatHaveALeftoversName) {
  const long dead = DeadPid();
  const std::string thesis = fmt::format(".run.partial-{}", dead);
  fs::create_directories(thesis);
  Touch(thesis + "/thesis.tex", "my thesis");
  Touch(thesis + "/trace.csv", "mine too");
  const std::string nested = fmt::format(".run.partial-{}", DeadPid());
  fs::create_directories(nested + "/trace.csv");  // a folder named like the tool's file
  Touch(nested + "/trace.csv/data.txt", "mine");
  fs::create_directories("elsewhere");
  Touch("elsewhere/trace.csv", "mine");
  const std::string link = fmt::format(".run.partial-{}", DeadPid());
  fs::create_directory_symlink("elsewhere", link);
  const std::string notes = fmt::format(".notes.txt.tmp-{}-1", dead);
  Touch(notes, "my notes");
  const std::string folder = fmt::format(".trace.csv.tmp-{}-2", dead);
  fs::create_directories(folder);
  Touch(folder + "/data.txt", "mine");
  EXPECT_EQ(RemoveStaleLeftovers(".", TraceOrMarker, "run"), 0);
  EXPECT_EQ(RemoveStaleLeftovers(".", TempOfTrace), 0);
  EXPECT_EQ(Read(thesis + "/thesis.tex"), "my thesis");
  EXPECT_EQ(Read(thesis + "/trace.csv"), "mine too");
  EXPECT_EQ(Read(nested + "/trace.csv/data.txt"), "mine");
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(Read("elsewhere/trace.csv"), "mine");
  EXPECT_EQ(Read(notes), "my notes");
  EXPECT_EQ(Read(folder + "/data.txt"), "mine");
  // A claim beside them, and its staged write, leave them too.
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("a\n"));
  EXPECT_EQ(Read("run/trace.csv"), "a\n");
  EXPECT_EQ(Read(thesis + "/thesis.tex"), "my thesis");
  EXPECT_EQ(Read(nested + "/trace.csv/data.txt"), "mine");
  EXPECT_EQ(Read("elsewhere/trace.csv"), "mine");
}

// A staging folder of the user's that has this very process's pid in its name: the claim is
// refused before any work (or, made after the claim, the staged write), naming it, and it stays.
TEST_F(RunDirectoryTest, AStagingNameTakenByTheUserIsRefused) {
  const std::string mine = fmt::format(".run.partial-{}", ::getpid());
  fs::create_directories(mine);
  Touch(mine + "/thesis.tex", "my thesis");
  const std::string where = fs::absolute(mine).lexically_normal().string() + ": is not nlhf-run's";
  const std::string what = "so nlhf-run will not stage run in it, expected no entry by that name (move it away)";
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); }, {where, what});
  EXPECT_EQ(Read(mine + "/thesis.tex"), "my thesis");
  EXPECT_FALSE(fs::exists(".run.lock"));
  fs::rename(mine, "kept");
  OutputDirectory out("run", RunOptions());
  fs::rename("kept", mine);
  ExpectInputError([&] { out.WriteStaged(OneTrace("a\n")); }, {where, what});
  EXPECT_EQ(Read(mine + "/thesis.tex"), "my thesis");
  EXPECT_FALSE(fs::exists("run"));
}

// A writer killed between WriteStaged's two renames (the old results moved aside to ".NAME.old-PID",
// the new ones not yet in place) left neither at NAME. The next claim puts the old results back:
// without --force it is then refused, saying so (and the dry run says so beforehand); with --force
// the run replaces them.
TEST_F(RunDirectoryTest, PutsBackResultsAKilledWriterLeftMovedAside) {
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("old\n"));
  const long dead = DeadPid();
  const std::string aside = fmt::format(".run.old-{}", dead), staging = fmt::format(".run.partial-{}", dead);
  fs::rename("run", aside);
  fs::create_directory(staging);
  Touch(staging + "/trace.csv", "new, not yet in place\n");
  fs::copy_file(aside + "/" + kMarkerFile, staging + "/" + kMarkerFile);
  ExpectInputError([&] { CheckOutputDirectory("run", RunOptions()); },
                   {"run: --out: is hidden in " + aside + " by an nlhf-run killed while replacing it (a run puts it back)",
                    "or --force"});
  EXPECT_NO_THROW(CheckOutputDirectory("run", RunOptions(true)));
  EXPECT_FALSE(fs::exists("run"));  // (the dry run touched nothing)
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); },
                   {"run: --out: was left in " + aside + " by an nlhf-run killed while replacing it, and is back in "
                    "place now, expected a new directory (or --force to replace a directory nlhf-run wrote)"});
  EXPECT_EQ(Read("run/trace.csv"), "old\n");
  EXPECT_FALSE(fs::exists(aside));
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_FALSE(fs::exists(".run.lock"));
  // An empty folder made at NAME since (mkdir -p in a job script) is no reason to lose them.
  fs::rename("run", aside);
  fs::create_directory("run");
  ExpectInputError([&] { CheckOutputDirectory("run", RunOptions()); }, {"is hidden in " + aside});
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); }, {"was left in " + aside});
  EXPECT_EQ(Read("run/trace.csv"), "old\n");
  // With --force: put back, then replaced.
  fs::rename("run", aside);
  OutputDirectory("run", RunOptions(true)).WriteStaged(OneTrace("newer\n"));
  EXPECT_EQ(Read("run/trace.csv"), "newer\n");
  EXPECT_EQ(Entries("."), (std::vector<std::string>{"run", "run/" + std::string(kMarkerFile), "run/trace.csv"}));
}

// Two whole sets of results moved aside (killed writers of older versions): which is the latest
// cannot be told, so neither is put back and the run is refused, naming both, also with --force.
// What is not whole (no marker: its deletion had begun) is not put back; an empty one goes.
TEST_F(RunDirectoryTest, NeverGuessesWhichMovedAsideResultsToPutBack) {
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("first\n"));
  const std::string a = fmt::format(".run.old-{}", DeadPid()), b = fmt::format(".run.old-{}", DeadPid());
  fs::copy("run", b);
  fs::rename("run", a);
  for (const bool force : {false, true}) {
    for (const bool dry : {true, false})
      ExpectInputError(
          [&] { dry ? CheckOutputDirectory("run", RunOptions(force)) : (void)OutputDirectory("run", RunOptions(force)); },
          {"run: --out: has results hidden in each of ", a, b, "so nlhf-run cannot tell which to put back",
           "(move the others away)"});
  }
  EXPECT_EQ(Read(a + "/trace.csv"), "first\n");
  EXPECT_EQ(Read(b + "/trace.csv"), "first\n");
  EXPECT_FALSE(fs::exists("run"));
  // Without its marker, one is not put back (nor removed: nothing replaced it); an empty one goes.
  fs::remove(b + "/" + kMarkerFile);
  fs::remove(a + "/" + kMarkerFile);
  fs::remove(a + "/trace.csv");
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("second\n"));
  EXPECT_FALSE(fs::exists(a));
  EXPECT_EQ(Read(b + "/trace.csv"), "first\n");
  EXPECT_EQ(Read("run/trace.csv"), "second\n");
  // Beside the tool's results at NAME, it is what is left of replaced ones: it goes.
  OutputDirectory out("run", RunOptions(true));
  EXPECT_FALSE(fs::exists(b));
}

// Killed after both renames, while deleting the old results: the new ones are in place and what is
// left of the old goes. A moved-aside name that is not the tool's stays: one of a live process, a
// folder holding a user's file, a link; one with this process's pid is refused, naming it.
TEST_F(RunDirectoryTest, RemovesWhatAKilledWriterLeftOfTheOldResultsAndNothingElse) {
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("new\n"));
  const std::string half = fmt::format(".run.old-{}", DeadPid());
  fs::create_directory(half);
  Touch(half + "/" + kMarkerFile, "tool: nlhf-run\n");
  const std::string live = ".run.old-1", thesis = fmt::format(".run.old-{}", DeadPid());
  fs::create_directory(live);
  Touch(live + "/trace.csv");
  fs::create_directory(thesis);
  Touch(thesis + "/trace.csv", "mine");
  Touch(thesis + "/thesis.tex", "my thesis");
  fs::create_directory("elsewhere");
  const std::string link = fmt::format(".run.old-{}", DeadPid());
  fs::create_directory_symlink("elsewhere", link);
  OutputDirectory out("run", RunOptions(true));
  EXPECT_FALSE(fs::exists(half));
  EXPECT_EQ(Read("run/trace.csv"), "new\n");
  EXPECT_TRUE(fs::exists(live + "/trace.csv"));
  EXPECT_EQ(Read(thesis + "/thesis.tex"), "my thesis");
  EXPECT_TRUE(fs::is_symlink(link));
  // Nothing at NAME: a folder of the user's is not put back in its place either.
  fs::remove_all("run");
  const std::string mine = fmt::format(".run.old-{}", ::getpid());
  fs::create_directory(mine);
  Touch(mine + "/thesis.tex", "my thesis");
  const std::string where = fs::absolute(mine).lexically_normal().string() + ": is not nlhf-run's";
  ExpectInputError([&] { out.WriteStaged(OneTrace("a\n")); }, {where, "so nlhf-run will not move run aside into it"});
  EXPECT_FALSE(fs::exists("run"));
  EXPECT_EQ(Read(mine + "/thesis.tex"), "my thesis");
  EXPECT_EQ(Read(thesis + "/thesis.tex"), "my thesis");
}

// In place (a sweep's directory), the temp files of the tool's files left by a dead process go,
// the marker's among them; a user's file with a temp file's name stays.
TEST_F(RunDirectoryTest, InPlaceRemovesOnlyTheToolsStaleTempFiles) {
  OutputDirectory("sweep", SweepOptions()).path();  // marked
  const long dead = DeadPid();
  const std::vector<std::string> ours = {fmt::format("sweep/.{}.tmp-{}-1", kMarkerFile, dead),
                                         fmt::format("sweep/.trace.csv.tmp-{}-2", dead)};
  for (const std::string& f : ours) Touch(f);
  const std::string notes = fmt::format("sweep/.notes.txt.tmp-{}-1", dead);
  Touch(notes, "my notes");
  EXPECT_NO_THROW(OutputDirectory("sweep", SweepOptions()));  // (a resume: the user's files stay beside)
  for (const std::string& f : ours) EXPECT_FALSE(fs::exists(f)) << f;
  EXPECT_EQ(Read(notes), "my notes");
}

// The dry run's check refuses a user's file with the lock's name, as the claim does, touching nothing.
TEST_F(RunDirectoryTest, TheDryRunsCheckRefusesAUsersFileWithTheLocksName) {
  Touch(".run.lock", "my precious");
  ExpectInputError([&] { CheckOutputDirectory("run", RunOptions()); },
                   {".run.lock: holds something other than a process id, so nlhf-run will not take it for the lock file"});
  fs::create_directories("sweep");
  fs::create_symlink("elsewhere", "sweep/" + std::string(kLockFile));
  ExpectInputError([&] { CheckOutputDirectory("sweep", SweepOptions()); }, {"is a symlink, so nlhf-sweep will not take it"});
  EXPECT_EQ(Read(".run.lock"), "my precious");
  for (const std::string text : {"", "12345\n"}) {
    Touch(".run.lock", text);
    EXPECT_NO_THROW(CheckOutputDirectory("run", RunOptions()));
  }
}

// A user's file with the lock's name is neither truncated nor removed: the claim is refused.
TEST_F(RunDirectoryTest, AUsersFileWithTheLocksNameIsRefusedAndKept) {
  Touch(".run.lock", "my precious");
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); },
                   {".run.lock: holds something other than a process id, so nlhf-run will not take it for the lock file",
                    "that keeps two copies from writing run at once, expected no file by that name (move it away)"});
  EXPECT_EQ(Read(".run.lock"), "my precious");
  EXPECT_FALSE(fs::exists("run"));
  fs::create_directories("sweep");
  Touch("sweep/" + std::string(kLockFile), "notes\n");
  ExpectInputError([&] { OutputDirectory("sweep", SweepOptions()); }, {"holds something other than a process id, so nlhf-sweep will"});
  EXPECT_EQ(Read("sweep/" + std::string(kLockFile)), "notes\n");
  // A link or a folder by that name is not followed or replaced either.
  fs::remove(".run.lock");
  Touch("target.txt", "linked");
  fs::create_symlink("target.txt", ".run.lock");
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); }, {".run.lock: is a symlink, so nlhf-run will not take it for the lock file"});
  EXPECT_EQ(Read("target.txt"), "linked");
  EXPECT_TRUE(fs::is_symlink(".run.lock"));
  fs::remove(".run.lock");
  fs::create_directories(".run.lock");
  ExpectInputError([&] { OutputDirectory("run", RunOptions()); }, {".run.lock: is a directory, so nlhf-run will not take it for the lock file"});
  // What a lock holds (a pid, or nothing: a writer killed before writing it) is taken over.
  fs::remove(".run.lock");
  for (const std::string text : {"", "12345\n", "12345"}) {
    Touch(".run.lock", text);
    EXPECT_NO_THROW(OutputDirectory("run", RunOptions())) << "'" << text << "'";
    EXPECT_FALSE(fs::exists(".run.lock"));
  }
}

TEST_F(RunDirectoryTest, ClaimingRemovesStaleStagingFolders) {
  const long dead = DeadPid();
  fs::create_directories(fmt::format(".run.partial-{}", dead));
  Touch(fmt::format(".run.partial-{}/trace.csv", dead), "half");
  Touch(fmt::format(".run.partial-{}/{}", dead, kMarkerFile));
  const std::string empty = fmt::format(".run.partial-{}", DeadPid());
  fs::create_directories(empty);
  OutputDirectory("run", RunOptions()).WriteStaged(OneTrace("a\n"));
  EXPECT_FALSE(fs::exists(fmt::format(".run.partial-{}", dead)));
  EXPECT_FALSE(fs::exists(empty));
}

// A file size limit makes writes fail with EFBIG, as a full disk gives ENOSPC.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit r = old_;
    r.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int);
};

TEST_F(RunDirectoryTest, AFailedWriteNamesTheFileAndLeavesNoTemporaries) {
  const std::string big(1 << 16, 'x');
  {
    FileSizeLimit limit(4096);
    ExpectInputError([&] { WriteFileAtomic("big.csv", [&](std::FILE* f) { WriteString(f, big); }); },
                     {"writing big.csv: File too large"});
    OutputDirectory out("run", RunOptions());
    ExpectInputError([&] { out.WriteStaged(OneTrace(big)); }, {"writing run/trace.csv: File too large"});
  }
  EXPECT_TRUE(fs::is_empty("."));  // no temp file, no staging folder, no lock file
}

TEST_F(RunDirectoryTest, InPlaceDirectoryIsMarkedAndForceRemovesOnlyOwnedEntries) {
  {
    OutputDirectory out("sweep", SweepOptions());
    EXPECT_FALSE(out.resumed());
  }
  EXPECT_TRUE(HasMarker("sweep", "nlhf-sweep"));
  fs::create_directories("sweep/.parts");
  Touch("sweep/.parts/a.part");
  Touch("sweep/trace.csv");
  Touch("sweep/plot.png");
  EXPECT_TRUE(OutputDirectory("sweep", SweepOptions()).resumed());
  EXPECT_TRUE(fs::exists("sweep/.parts/a.part"));
  { OutputDirectory("sweep", SweepOptions(true)); }
  EXPECT_FALSE(fs::exists("sweep/.parts"));
  EXPECT_FALSE(fs::exists("sweep/trace.csv"));
  EXPECT_TRUE(fs::exists("sweep/plot.png"));
  EXPECT_TRUE(HasMarker("sweep", "nlhf-sweep"));
}

// A folder by the name of a file the tool writes is the user's: refused with and without force,
// never deleted (nlhf-run --force removed it recursively); the tool's own folder (.parts) is not.
TEST_F(RunDirectoryTest, AFolderNamedLikeAnOwnedFileIsRefusedNotDeleted) {
  { OutputDirectory("sweep", SweepOptions()); }
  fs::create_directories("sweep/trace.csv/drafts");
  Touch("sweep/trace.csv/drafts/thesis.tex", "mine");
  for (const bool force : {false, true})
    ExpectInputError([&] { OutputDirectory("sweep", SweepOptions(force)); },
                     {"holds trace.csv/, a folder nlhf-sweep did not write", "move the folder away"});
  {
    OutputDirectory staged("run", RunOptions());
    staged.WriteStaged(OneTrace("a\n"));
  }
  fs::remove("run/trace.csv");
  fs::create_directories("run/trace.csv");
  Touch("run/trace.csv/notes.txt", "mine too");
  ExpectInputError([&] { OutputDirectory("run", RunOptions(true)); },
                   {"holds trace.csv/, which nlhf-run did not write", "--force will not replace it"});
  EXPECT_EQ(Read("sweep/trace.csv/drafts/thesis.tex"), "mine");
  EXPECT_EQ(Read("run/trace.csv/notes.txt"), "mine too");
  // A file where the tool writes its folder is not the tool's either.
  fs::remove_all("sweep/trace.csv");
  Touch("sweep/.parts", "a file");
  ExpectInputError([&] { OutputDirectory("sweep", SweepOptions(true)); }, {".parts"});
  EXPECT_EQ(Read("sweep/.parts"), "a file");
}

TEST_F(RunDirectoryTest, InPlaceRefusesAnUnmarkedDirectoryUnlessItHoldsOnlyAcceptedEntries) {
  fs::create_directories("mine");
  Touch("mine/trace.csv", "user data");
  ExpectInputError([&] { OutputDirectory("mine", SweepOptions()); }, {"something other than nlhf-sweep's output (trace.csv)"});
  ExpectInputError([&] { OutputDirectory("mine", SweepOptions(true)); }, {"--force will not replace it"});
  EXPECT_EQ(Read("mine/trace.csv"), "user data");
  EXPECT_FALSE(fs::exists("mine/.nlhf-lock"));
  fs::create_directories("out/shard-1");
  fs::create_directories("out/shard-2");
  OutputDirectoryOptions o = SweepOptions();
  o.accepted = {"out/shard-1", "./out/shard-2/"};
  // With the lock a shard's claim holds beside it for a moment, left by a kill -9 then; anything
  // else stays refused.
  Touch("out/.shard-1.lock", "");
  EXPECT_NO_THROW(OutputDirectory("out", o));
  Touch("out/.shard-3.lock", "");
  fs::remove_all("out/.nlhf-output");
  ExpectInputError([&] { OutputDirectory("out", o); }, {".shard-3.lock"});
}

}  // namespace
}  // namespace nlhf
