#include "nlhf/csv.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"

namespace nlhf {
namespace {

using testing::ExpectInputError;
using testing::TempDir;

TEST(ReadMatrixCsv, ReadsASquareMatrix) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "0.5, 0.25\r\n0.75,0.5\n\n");
  const Eigen::MatrixXd P = ReadMatrixCsv(path, "game.path");
  ASSERT_EQ(P.rows(), 2);
  EXPECT_EQ(P(0, 1), 0.25);
  EXPECT_EQ(P(1, 0), 0.75);
}

// A spreadsheet's "CSV UTF-8" starts with a byte order mark: not part of the first number (it was
// refused as "'\xef\xbb\xbf0.5' is not a number"). Only at the start of the file.
TEST(ReadMatrixCsv, SkipsAByteOrderMarkAtTheStart) {
  TempDir dir;
  EXPECT_EQ(ReadMatrixCsv(dir.File("P.csv", "\xEF\xBB\xBF" "0.5,0.25\n0.75,0.5\n"), "game.path")(0, 0), 0.5);
  ExpectInputError([&] { ReadMatrixCsv(dir.File("Q.csv", "0.5,0.25\n\xEF\xBB\xBF" "0.75,0.5\n"), "game.path"); },
                   {"is not a number"});
}

TEST(ReadMatrixCsv, ReadsBackNumbersExactly) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.1234567890123456789\n0.8765432109876543211,0.5\n");
  EXPECT_EQ(ReadMatrixCsv(path, "k")(0, 1), 0.1234567890123456789);
}

TEST(ReadMatrixCsv, RejectsRaggedRowsNamingTheLine) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.5\n0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(path, "game.path"); },
                   {path + ":2", "game.path", "row 2 has 1 values but row 1 has 2", "square matrix"});
  // Rows of one length, one too many: the extra row is at fault, not row 1; too few: the file.
  const std::string extra = dir.File("extra.csv", "0.5,0.5\n0.5,0.5\n\n");
  EXPECT_NO_THROW(ReadMatrixCsv(extra, "game.path"));  // (trailing blank lines are no rows)
  const std::string more = dir.File("more.csv", "0.5,0.5\n0.5,0.5\n0.5,0.5\n0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(more, "game.path"); },
                   {more + ":3: game.path: row 3 is beyond a square matrix", "2 values each", "2 rows, not 4"});
  const std::string fewer = dir.File("fewer.csv", "0.5,0.5,0.5\n0.5,0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(fewer, "game.path"); },
                   {fewer + ": game.path: the file has 2 rows of 3 values each"});
  // Decimal commas (0,5 for 0.5) double the values per row: said so, and only then.
  const std::string comma = dir.File("comma.csv", "0,5,0,3\n0,7,0,5\n");
  ExpectInputError([&] { ReadMatrixCsv(comma, "game.path"); },
                   {comma + ": game.path: the file has 2 rows of 4 values each (this looks like decimals written "
                            "with a comma, 0,5 for 0.5"});
  const std::string four = dir.File("four.csv", "0.5,0.3,0.1,0.2\n0.7,0.5,0.2,0.1\n");
  try {
    ReadMatrixCsv(four, "game.path");
    ADD_FAILURE() << "a 2 x 4 file was read";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).find("decimal"), std::string::npos) << e.what();
  }
}

// A cell that is not a number says why it may look like one: an invisible character, or another
// separator than the comma; an empty last cell, a trailing comma.
TEST(ReadMatrixCsv, SaysWhatMakesACellNotANumber) {
  TempDir dir;
  const std::string nbsp = dir.File("nbsp.csv", "0.5,0.5\n0.5,0.5\xC2\xA0\n");
  ExpectInputError([&] { ReadMatrixCsv(nbsp, "k"); },
                   {nbsp + ":2:5", "is not a number (it holds the invisible character U+00A0 NO-BREAK SPACE at byte 4"});
  const std::string bom = dir.File("bom.csv", "0.5,0.5\n\xEF\xBB\xBF" "0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(bom, "k"); }, {bom + ":2:1", "U+FEFF BYTE ORDER MARK at byte 1"});
  const std::string semicolons = dir.File("semi.csv", "0.5;0.5\n0.5;0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(semicolons, "k"); }, {":1:1", "separate values with ';'"});
  const std::string tabs = dir.File("tabs.csv", "0.5\t0.5\n0.5\t0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(tabs, "k"); }, {":1:1", "separate values with tabs"});
  const std::string plain = dir.File("plain.csv", "0.5,x\n0.5,0.5\n");
  try {
    ReadMatrixCsv(plain, "k");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.problem(), "'x' is not a number, expected a finite number");  // no hint where none applies
  }
  const std::string trailing = dir.File("trailing.csv", "0.5,0.5,\n0.5,0.5,\n");
  ExpectInputError([&] { ReadMatrixCsv(trailing, "k"); }, {":1:9", "empty cell after the last comma", "trailing comma"});
}

TEST(ReadMatrixCsv, RejectsNonNumericCellsNamingLineAndColumn) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.5\n0.5, abc\n");
  ExpectInputError([&] { ReadMatrixCsv(path, "game.path"); }, {path + ":2:6", "'abc' is not a number"});
  const std::string inf = dir.File("inf.csv", "0.5,inf\n0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(inf, "k"); }, {"'inf' is not finite"});
  const std::string empty_cell = dir.File("e.csv", "0.5,\n0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(empty_cell, "k"); }, {":1:5", "empty cell"});
}

TEST(ReadMatrixCsv, RejectsMissingAndEmptyFiles) {
  TempDir dir;
  ExpectInputError([&] { ReadMatrixCsv(dir.Path("nope.csv"), "game.path"); },
                   {"nope.csv", "game.path", "cannot open"});
  const std::string path = dir.File("empty.csv", "\n \n");
  ExpectInputError([&] { ReadMatrixCsv(path, "k"); }, {"no numbers"});
}

TEST(ReadMatrixCsv, RejectsBlankLinesBetweenRows) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "0.5,0.5\n\n0.5,0.5\n");
  ExpectInputError([&] { ReadMatrixCsv(path, "k"); }, {path + ":2:1", "empty line"});
}

TEST(ReadMatrixCsv, SaysWhichWayANumberIsOutOfRange) {
  TempDir dir;
  ExpectInputError([&] { ReadMatrixCsv(dir.File("u.csv", "0.5,1e-400\n1,0.5\n"), "game.path"); },
                   {"u.csv:1:5: game.path: '1e-400' underflows"});
  ExpectInputError([&] { ReadMatrixCsv(dir.File("o.csv", "0.5,1e400\n1,0.5\n"), "game.path"); },
                   {"o.csv:1:5: game.path: '1e400' overflows"});
}

TEST(ReadMatrixCsv, RefusesWhatIsNotARegularFile) {
  TempDir dir;
  std::filesystem::create_directory(dir.Path("d"));
  ExpectInputError([&] { ReadMatrixCsv(dir.Path("d"), "game.path"); }, {"game.path: is a directory"});
  ExpectInputError([&] { ReadMatrixCsv("/dev/zero", "game.path"); }, {"/dev/zero: game.path: is a device"});
  ASSERT_EQ(::mkfifo(dir.Path("f").c_str(), 0600), 0);
  ExpectInputError([&] { ReadVectorCsv(dir.Path("f"), "reference.path"); }, {"is a named pipe (FIFO)"});
}

TEST(ReadVectorCsv, ReadsOneNumberPerLine) {
  TempDir dir;
  const Eigen::VectorXd v = ReadVectorCsv(dir.File("mu.csv", "0.25\n0.75\n"), "reference.path");
  ASSERT_EQ(v.size(), 2);
  EXPECT_EQ(v[1], 0.75);
  const std::string two = dir.File("two.csv", "0.25,0.75\n");
  ExpectInputError([&] { ReadVectorCsv(two, "reference.path"); }, {two + ":1", "one number per line"});
}

// The row lines ReadMatrixCsv gives and CsvCellLocation's columns agree with where the numbers are
// written (blank top lines, a byte order mark, blanks before a cell); a field the file no longer has
// gives the line alone.
TEST(CsvCellLocation, FindsTheCellOfARowAndField) {
  TempDir dir;
  const std::string path = dir.File("P.csv", "\xEF\xBB\xBF" "\n0.5,0.5\n0.5,\t 0.5\n");
  std::vector<int> lines;
  ReadMatrixCsv(path, "game.path", &lines);
  EXPECT_EQ(lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(CsvCellLocation(path, 2, 0, 0.5).ToString(), path + ":2:1");
  EXPECT_EQ(CsvCellLocation(path, 3, 1, 0.5).ToString(), path + ":3:7");
  const std::string bom = dir.File("bom.csv", "\xEF\xBB\xBF" "0.5,0.5\n");
  EXPECT_EQ(CsvCellLocation(bom, 1, 1, 0.5).ToString(), bom + ":1:5");
  const std::string crlf = dir.File("crlf.csv", "0.5,+0.25 \r\n0.75,0.5\r\n");
  EXPECT_EQ(CsvCellLocation(crlf, 1, 1, 0.25).ToString(), crlf + ":1:5");
  EXPECT_EQ(CsvCellLocation(crlf, 2, 1, 0.5).ToString(), crlf + ":2:6");
  // A field the file no longer has, or that no longer reads as the value (the file changed since
  // it was read): the file alone, never a column that points at something else.
  EXPECT_EQ(CsvCellLocation(path, 3, 2, 0.5).ToString(), path);
  EXPECT_EQ(CsvCellLocation(path, 9, 0, 0.5).ToString(), path);
  EXPECT_EQ(CsvCellLocation(path, 3, 1, 0.25).ToString(), path);
  std::vector<int> vector_lines;
  ReadVectorCsv(dir.File("mu.csv", "\n\n0.5\n0.5\n"), "reference.path", &vector_lines);
  EXPECT_EQ(vector_lines, (std::vector<int>{3, 4}));
}

}  // namespace
}  // namespace nlhf
