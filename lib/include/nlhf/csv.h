#pragma once
// Numeric CSV input for user data: a preference matrix (n lines of n comma-separated numbers, no
// header) and a reference policy (n numbers, one per line). Errors name file, line and column.
#include <Eigen/Core>
#include <string>
#include <vector>

#include "nlhf/errors.h"

namespace nlhf {

// `key` is the key path that named the file (for messages), e.g. "game.path". `row_lines`, if
// given, gets the line number of each row of the matrix (of each entry of the vector), for
// CsvCellLocation.
Eigen::MatrixXd ReadMatrixCsv(const std::string& path, const std::string& key, std::vector<int>* row_lines = nullptr);
Eigen::VectorXd ReadVectorCsv(const std::string& path, const std::string& key, std::vector<int>* row_lines = nullptr);

// Where field `field` (0-based) of line `line` of the CSV file starts, for an error about `value`,
// which read as a number there but is not allowed: {path, line, column of its first character}, or
// {path} if that field no longer reads as `value` (the file changed since). Reads the file again
// (for error messages only).
SourceLocation CsvCellLocation(const std::string& path, int line, Eigen::Index field, double value);

}  // namespace nlhf
