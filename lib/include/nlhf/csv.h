#pragma once
// Numeric CSV input for user data: a preference matrix (n lines of n comma-separated numbers, no
// header) and a reference policy (n numbers, one per line). Errors name file, line and column.
#include <Eigen/Core>
#include <string>

namespace nlhf {

// `key` is the key path that named the file (for messages), e.g. "game.path".
Eigen::MatrixXd ReadMatrixCsv(const std::string& path, const std::string& key);
Eigen::VectorXd ReadVectorCsv(const std::string& path, const std::string& key);

}  // namespace nlhf
