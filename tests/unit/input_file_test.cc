#include "nlhf/input_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>

#include "nlhf/errors.h"
#include "nlhf/sha256.h"
#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::TempDir;

TEST(InputFile, ReadsAndHashesARegularFile) {
  TempDir dir;
  const std::string text = "a,b\n0.5,0.5\n";
  const std::string path = dir.File("m.csv", text);
  EXPECT_EQ(ReadInputFile(path, "game.path", "a CSV file", kMaxCsvBytes), text);
  Sha256 h;
  h.Update(text.data(), text.size());
  EXPECT_EQ(HashInputFile(path, "game.path", "a CSV file", kMaxCsvBytes), h.HexDigest());
  // SHA-256("abc"), FIPS 180-2's example.
  EXPECT_EQ(HashInputFile(dir.File("abc", "abc"), "k", "a file", 3),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ReadInputFile(dir.File("empty", ""), "k", "a file", 0), "");
  // Through a symbolic link.
  std::filesystem::create_symlink(path, dir.Path("link.csv"));
  EXPECT_EQ(ReadInputFile(dir.Path("link.csv"), "game.path", "a CSV file", kMaxCsvBytes), text);
}

TEST(InputFile, NamesThePathTheKeyAndWhatWasExpected) {
  TempDir dir;
  const std::string missing = dir.Path("missing.csv");
  try {
    ReadInputFile(missing, "game.path", "a CSV file", kMaxCsvBytes);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, missing);
    EXPECT_EQ(e.key(), "game.path");
    EXPECT_EQ(e.problem(), "cannot open the file (No such file or directory), expected a CSV file");
  }
  ExpectInputError([] { ReadInputFile("", "game.path", "a CSV file", kMaxCsvBytes); },
                   {"the path is empty, expected a CSV file"});
}

TEST(InputFile, RefusesWhatIsNotARegularFileWithoutOpeningIt) {
  TempDir dir;
  for (auto* read : {&ReadInputFile, &HashInputFile}) {
    ExpectInputError([&] { read(dir.Path(""), "k", "a YAML file", kMaxYamlBytes); }, {"is a directory, expected a YAML file"});
    ExpectInputError([&] { read("/dev/null", "k", "a YAML file", kMaxYamlBytes); }, {"is a device"});
  }
  // A named pipe with no writer: opening it for reading would wait forever.
  const std::string fifo = dir.Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto refused = std::async(std::launch::async, [&] {
    try {
      ReadInputFile(fifo, "k", "a YAML file", kMaxYamlBytes);
    } catch (const InputError& e) {
      return std::string(e.problem());
    }
    return std::string("read");
  });
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "blocked on a FIFO";
  EXPECT_EQ(refused.get(), "is a named pipe (FIFO), expected a YAML file");
  // A socket.
  const std::string socket_path = dir.Path("s");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(socket_path.size(), sizeof addr.sun_path);
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
  ExpectInputError([&] { ReadInputFile(socket_path, "k", "a YAML file", kMaxYamlBytes); }, {"is a socket"});
  ::close(fd);
}

TEST(InputFile, RefusesAFileAboveTheCapSayingBothSizes) {
  TempDir dir;
  const std::string path = dir.File("big", std::string(2000, 'x'));
  EXPECT_EQ(ReadInputFile(path, "k", "a file", 2000).size(), 2000u);
  for (auto* read : {&ReadInputFile, &HashInputFile})
    ExpectInputError([&] { read(path, "k", "a file", 1999); },
                     {"is 2000 bytes, more than the limit of 1999 bytes, expected a file"});
  const std::string mib = dir.File("mib", std::string(3 << 20, 'x'));
  ExpectInputError([&] { ReadInputFile(mib, "k", "a file", 1 << 20); }, {"is 3 MiB, more than the limit of 1 MiB"});
}

// A hash is taken again unless the file is provably the one hashed: same inode, size and times, and
// those times settled before the hash began (here: any time counts as settled).
TEST(InputFile, AHashIsReusedOnlyWhileTheFileIsProvablyUnchanged) {
  TempDir dir;
  const std::string path = dir.File("m.csv", "0.5,0.7\n0.3,0.5\n");
  auto hash = [&] { return HashInputFileReusing(path, "game.path", "a CSV file", kMaxCsvBytes, -std::chrono::hours(1)); };
  const std::int64_t before = InputFilesHashed();
  const std::string first = hash();
  EXPECT_EQ(InputFilesHashed(), before + 1);
  EXPECT_EQ(hash(), first);
  EXPECT_EQ(InputFilesHashed(), before + 1) << "an unchanged file was read again";
  // Other contents (another size): read again.
  dir.File("m.csv", "0.5,0.75\n0.25,0.5\n");
  const std::string second = hash();
  EXPECT_NE(second, first);
  EXPECT_EQ(InputFilesHashed(), before + 2);
  // Another file moved into its place, with the same contents: another inode, read again.
  const std::string twin = dir.File("twin.csv", "0.5,0.75\n0.25,0.5\n");
  std::filesystem::rename(twin, path);
  EXPECT_EQ(hash(), second);
  EXPECT_EQ(InputFilesHashed(), before + 3);
  // Within the cap only, and a file that is gone is an error, as ever.
  ExpectInputError([&] { HashInputFileReusing(path, "k", "a file", 3, -std::chrono::hours(1)); },
                   {"more than the limit of 3 bytes"});
  std::filesystem::remove(path);
  ExpectInputError(hash, {"game.path", "cannot open the file (No such file or directory)"});
}

// HashInputFile reuses nothing of a file written moments before (kInputHashSettled): a second write
// in the same tick of the file system's clock, of the same size, would leave its times as they were.
TEST(InputFile, AFileWrittenMomentsAgoIsHashedEveryTime) {
  TempDir dir;
  const std::string path = dir.File("m.csv", "0.5,0.7\n0.3,0.5\n");
  const std::int64_t before = InputFilesHashed();
  const std::string first = HashInputFile(path, "game.path", "a CSV file", kMaxCsvBytes);
  dir.File("m.csv", "0.5,0.6\n0.4,0.5\n");  // the same size
  EXPECT_NE(HashInputFile(path, "game.path", "a CSV file", kMaxCsvBytes), first);
  EXPECT_EQ(HashInputFile(path, "game.path", "a CSV file", kMaxCsvBytes),
            HashInputFileReusing(path, "game.path", "a CSV file", kMaxCsvBytes, std::chrono::hours(1)));
  EXPECT_EQ(InputFilesHashed(), before + 4);
}

TEST(InputFile, OpenGivesAStreamAtTheStart) {
  TempDir dir;
  const FilePtr f = OpenInputFile(dir.File("t", "hello"), "k", "a file", 5);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(testing::ReadStream(f.get()), "hello");
}

}  // namespace
}  // namespace nlhf
