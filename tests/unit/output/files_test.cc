// Safe file writing (lib/src/output/files.cc).
#include "nlhf/output/files.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "test_util.h"

namespace nlhf {
namespace {

TEST(AppendFileRange, CopiesExactlyTheRangeAfterWhatWasWritten) {
  testing::TempDir dir;
  const std::string from = dir.File("from", "0123456789abcdef");
  const std::string to = dir.Path("to");
  const int fd = ::open(from.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::FILE* out = std::fopen(to.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  std::fputs("head:", out);  // buffered: flushed before the copy
  AppendFileRange(fd, 3, 5, out);
  std::fputs(":tail", out);
  AppendFileRange(fd, 0, 0, out);
  std::fclose(out);
  EXPECT_EQ(testing::ReadFile(to), "head:34567:tail");
  // A range past the end of the source is an error, never a short file taken for complete.
  std::FILE* again = std::fopen(to.c_str(), "wb");
  EXPECT_THROW(AppendFileRange(fd, 10, 100, again), std::system_error);
  std::fclose(again);
  ::close(fd);
}

// A hint that changes no byte: it flushes what stdio buffers (so the kernel can write it), and on
// a file it cannot sync (a pipe) it does nothing.
TEST(StartWriteback, FlushesAndChangesNothing) {
  testing::TempDir dir;
  const std::string path = dir.Path("big");
  std::FILE* out = std::fopen(path.c_str(), "wb");
  ASSERT_NE(out, nullptr);
  const std::string text(3 * 4096 + 17, 'x');
  std::fputs(text.c_str(), out);
  StartWriteback(out);
  EXPECT_EQ(testing::ReadFile(path), text);  // in the kernel before fclose
  std::fputs("y", out);
  std::fclose(out);
  EXPECT_EQ(testing::ReadFile(path), text + "y");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::FILE* pipe = ::fdopen(fds[1], "wb");
  ASSERT_NE(pipe, nullptr);
  std::fputs("z", pipe);
  StartWriteback(pipe);
  char c = 0;
  EXPECT_EQ(::read(fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'z');
  std::fclose(pipe);
  ::close(fds[0]);
}

TEST(AnonymousFile, LeavesNothingInItsFolder) {
  testing::TempDir dir;
  std::FILE* f = AnonymousFile(dir.Path(""), "x");
  ASSERT_NE(f, nullptr);
  EXPECT_GE(std::fputs("data", f), 0);
  EXPECT_TRUE(std::filesystem::is_empty(dir.Path("")));
  std::fclose(f);
  testing::ExpectInputError([&] { AnonymousFile(dir.Path("missing/folder"), "out/trace.csv"); },
                            {"writing out/trace.csv"});
}

TEST(LinkFileSynced, NamesAnAnonymousFileOrSaysItCannot) {
  testing::TempDir dir;
  std::FILE* f = UnnamedFile(dir.Path(""), "x", 0666);
  if (f == nullptr) GTEST_SKIP() << "no O_TMPFILE here";
  WriteString(f, "rows\n");
  const std::string path = dir.Path("trace.csv");
  if (!LinkFileSynced(f, path, "out/trace.csv")) {  // no /proc here: nothing left behind
    std::fclose(f);
    EXPECT_FALSE(std::filesystem::exists(path));
    GTEST_SKIP() << "this filesystem cannot name an anonymous file";
  }
  EXPECT_EQ(testing::ReadFile(path), "rows\n");
  WriteString(f, "more\n");  // the same file under its new name
  std::fclose(f);
  EXPECT_EQ(testing::ReadFile(path), "rows\nmore\n");
  // An existing name is never replaced: that is an error naming the file.
  std::FILE* g = UnnamedFile(dir.Path(""), "x", 0666);
  ASSERT_NE(g, nullptr);
  WriteString(g, "other\n");
  testing::ExpectInputError([&] { LinkFileSynced(g, path, "out/trace.csv"); }, {"writing out/trace.csv", "exists"});
  std::fclose(g);
  EXPECT_EQ(testing::ReadFile(path), "rows\nmore\n");
}

TEST(WriteFileAtomic, AFailedWriteLeavesTheOldFileAndNoTemporary) {
  testing::TempDir dir;
  const std::string path = dir.File("f.txt", "old");
  EXPECT_THROW(WriteFileAtomic(path, [](std::FILE*) { throw std::system_error(ENOSPC, std::generic_category()); }),
               WriteFailure);
  EXPECT_EQ(testing::ReadFile(path), "old");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.Path(""))) ++entries;
  EXPECT_EQ(entries, 1u);
  WriteFileAtomic(path, [](std::FILE* f) { WriteString(f, "new"); });
  EXPECT_EQ(testing::ReadFile(path), "new");
}

size_t Entries(const testing::TempDir& dir) {
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.Path(""))) ++entries;
  return entries;
}

// Several files at once: all written and renamed in place, each write seeing the earlier ones
// still under their temp names; a failure anywhere before the renames renames none and leaves
// no temp file; a rename that fails keeps the files renamed before it.
TEST(WriteFilesAtomic, WritesAllOrNoneBeforeTheRenames) {
  testing::TempDir dir;
  const std::string a = dir.File("a.csv", "old a"), b = dir.File("b.csv", "old b"), c = dir.Path("c.yaml");
  std::vector<std::string> seen;
  auto listing = [&] {
    std::string names;
    for (const auto& e : std::filesystem::directory_iterator(dir.Path("")))
      names += e.path().filename().string().substr(0, 6) + " ";
    seen.push_back(names);
  };
  WriteFilesAtomic({{a, [&](std::FILE* f) { WriteString(f, "new a"); }},
                    {b,
                     [&](std::FILE* f) {
                       listing();
                       WriteString(f, "new b");
                     }},
                    {c, [&](std::FILE* f) { WriteString(f, std::string(100000, 'c')); }}});
  EXPECT_EQ(testing::ReadFile(a), "new a");
  EXPECT_EQ(testing::ReadFile(b), "new b");
  EXPECT_EQ(testing::ReadFile(c), std::string(100000, 'c'));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find(".a.csv"), std::string::npos) << seen[0];  // a's temp file, not yet renamed
  EXPECT_EQ(Entries(dir), 3u);
  // The second writer fails (a full disk): the error names its file; nothing renamed, no temp
  // file left, and the third never written.
  bool third_written = false;
  try {
    WriteFilesAtomic({{a, [](std::FILE* f) { WriteString(f, "newer a"); }},
                      {b, [](std::FILE*) { throw std::system_error(ENOSPC, std::generic_category()); }},
                      {c, [&](std::FILE* f) {
                         third_written = true;
                         WriteString(f, "newer c");
                       }}});
    ADD_FAILURE() << "a full disk was not reported";
  } catch (const WriteFailure& e) {
    EXPECT_EQ(std::string(e.what()), "writing " + b + ": " + std::generic_category().message(ENOSPC));
  }
  EXPECT_FALSE(third_written);
  EXPECT_EQ(testing::ReadFile(a), "new a");
  EXPECT_EQ(testing::ReadFile(b), "new b");
  EXPECT_EQ(Entries(dir), 3u);
  // Any other exception of a writer passes through, as WriteFileAtomic's does, with the same cleanup.
  EXPECT_THROW(WriteFilesAtomic({{a, [](std::FILE* f) { WriteString(f, "newer a"); }},
                                 {b, [](std::FILE*) { throw std::runtime_error("bug"); }}}),
               std::runtime_error);
  EXPECT_EQ(testing::ReadFile(a), "new a");
  EXPECT_EQ(Entries(dir), 3u);
  // A rename that fails (a folder has the last name): the first two are renamed, the third's temp
  // file removed, and the error names the third.
  std::filesystem::remove(c);
  std::filesystem::create_directory(c);
  std::filesystem::create_directory(c + "/inside");
  try {
    WriteFilesAtomic({{a, [](std::FILE* f) { WriteString(f, "3 a"); }},
                      {b, [](std::FILE* f) { WriteString(f, "3 b"); }},
                      {c, [](std::FILE* f) { WriteString(f, "3 c"); }}});
    ADD_FAILURE() << "a folder in the way was replaced";
  } catch (const WriteFailure& e) {
    EXPECT_NE(std::string(e.what()).find("c.yaml"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::ReadFile(a), "3 a");
  EXPECT_EQ(testing::ReadFile(b), "3 b");
  EXPECT_TRUE(std::filesystem::is_directory(c));
  EXPECT_EQ(Entries(dir), 3u);
  // A folder that cannot be written: the error, and nothing changed.
  EXPECT_THROW(WriteFilesAtomic({{dir.Path("missing/x.csv"), [](std::FILE* f) { WriteString(f, "x"); }}}),
               WriteFailure);
  WriteFilesAtomic({});  // nothing to write: nothing happens
  EXPECT_EQ(Entries(dir), 3u);
}

TEST(WriteNewFileAtomic, WritesANewFileAndNeverReplacesOne) {
  testing::TempDir dir;
  const std::string path = dir.Path("new.txt");
  WriteNewFileAtomic(path, [](std::FILE* f) { WriteString(f, "first"); });
  EXPECT_EQ(testing::ReadFile(path), "first");
  bool wrote = false;
  testing::ExpectInputError([&] { WriteNewFileAtomic(path, [&](std::FILE* f) { wrote = true; WriteString(f, "x"); }); },
                            {"writing " + path + ": the file exists, and it is not overwritten"});
  EXPECT_FALSE(wrote);  // refused before the work
  EXPECT_EQ(testing::ReadFile(path), "first");
  // A dangling symbolic link is a name that exists too.
  std::filesystem::create_symlink(dir.Path("nowhere"), dir.Path("link"));
  EXPECT_THROW(WriteNewFileAtomic(dir.Path("link"), [](std::FILE* f) { WriteString(f, "x"); }), WriteFailure);
  EXPECT_FALSE(std::filesystem::exists(dir.Path("nowhere")));
  EXPECT_EQ(Entries(dir), 2u);
  // A directory is called one (--output . said "the file exists").
  std::filesystem::create_directory(dir.Path("folder"));
  testing::ExpectInputError([&] { WriteNewFileAtomic(dir.Path("folder"), [](std::FILE* f) { WriteString(f, "x"); }); },
                            {": a directory is there, and it is not overwritten"});
}

TEST(WriteNewFileAtomic, AFileThatAppearsDuringTheWriteIsKeptAndTheTemporaryRemoved) {
  testing::TempDir dir;
  const std::string path = dir.Path("race.txt");
  testing::ExpectInputError([&] {
    WriteNewFileAtomic(path, [&](std::FILE* f) {
      WriteString(f, "mine");
      std::ofstream(path) << "theirs";  // another process creates it meanwhile
    });
  }, {"the file exists, and it is not overwritten"});
  EXPECT_EQ(testing::ReadFile(path), "theirs");
  EXPECT_EQ(Entries(dir), 1u);
}

TEST(WriteNewFileAtomic, AFailedWriteLeavesNoFile) {
  testing::TempDir dir;
  EXPECT_THROW(WriteNewFileAtomic(dir.Path("f.txt"),
                                  [](std::FILE*) { throw std::system_error(ENOSPC, std::generic_category()); }),
               WriteFailure);
  EXPECT_EQ(Entries(dir), 0u);
  testing::ExpectInputError([&] { WriteNewFileAtomic(dir.Path("missing/f.txt"), [](std::FILE*) {}); },
                            {"writing " + dir.Path("missing/f.txt") + ": its folder " + dir.Path("missing") +
                             " does not exist, expected the name of a new file in an existing folder"});
}

// CheckNewFile refuses, before any work, what WriteNewFileAtomic would refuse after it.
TEST(CheckNewFile, RefusesAnExistingNameAndAMissingOrFileFolder) {
  testing::TempDir dir;
  EXPECT_NO_THROW(CheckNewFile(dir.Path("new.txt")));
  WriteNewFileAtomic(dir.Path("f.txt"), [](std::FILE* f) { std::fputs("x", f); });
  testing::ExpectInputError([&] { CheckNewFile(dir.Path("f.txt")); }, {"the file exists, and it is not overwritten"});
  testing::ExpectInputError([&] { CheckNewFile(dir.Path("f.txt/g.txt")); },
                            {"its folder " + dir.Path("f.txt") + " is not a folder"});
  testing::ExpectInputError([&] { CheckNewFile(dir.Path("")); }, {"a directory is there"});
}

}  // namespace
}  // namespace nlhf
